package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/tui/jobs"
)

// Open reads what the user named (the checkpoint, the model to compare
// with, the data) and returns the app on it, drawing to out. A file that
// cannot be used is an InputError, before any screen opens.
func Open(opts Options, out io.Writer) (*Model, error) {
	ck, src, err := preload(opts)
	if err != nil {
		return nil, InputError{err}
	}
	if opts.Compare != "" {
		if opts.other, err = checkpoint.Open(opts.Compare); err != nil {
			return nil, InputError{err}
		}
		if err := ck.Arch.Same(opts.other.Arch); err != nil {
			return nil, InputError{fmt.Errorf("--compare: A and B are %v: compare needs one architecture", err)}
		}
	}
	return newModel(opts, ck, src, out), nil
}

// New is the app on ck (nil: it trains one first) and src (nil: it loads
// opts.Data itself), drawing in the colours of opts.Profile to out.
func New(opts Options, ck *checkpoint.Checkpoint, src *data.Source, out io.Writer) *Model {
	return newModel(opts, ck, src, out)
}

// Shutdown cancels the app's jobs and waits for them to save their files:
// call it once the program has ended.
func (m *Model) Shutdown() { m.eng.Shutdown() }

// RunDir is the run folder the app wrote into, "" if it wrote nothing.
func (m *Model) RunDir() string { return m.eng.RunDir() }

// Shared is what the sessions of one basin serve share.
type Shared struct {
	hub  *jobs.Hub
	slot chan struct{}
}

// NewShared is a server's shared state: a hub through which two viewers
// asking for the same scan compute it once, and one slot so that one scan
// computes at a time on the machine (the others' keys keep their cores).
func NewShared() *Shared { return &Shared{hub: jobs.NewHub(), slot: make(chan struct{}, 1)} }

// Serve makes m one session of a server: its scans go through shared,
// and it reads files only inside the folders read (the run folders and
// its own). The returned func releases those folders.
func (m *Model) Serve(shared *Shared, read ...string) (release func()) {
	m.eng.Hub, m.eng.Slot = shared.hub, shared.slot
	m.eng.Files = jobs.Confined(read...)
	return m.eng.Files.Close
}

// FPS is how often a changed frame is written: at Bubble Tea's 60, a key
// waits up to 17 ms for the next frame; 120 halves that, and a frame is
// only written when it changed.
const FPS = 120

// InputError is a file the user named that cannot be used: basin exits
// with the usage status, before the screen opens.
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

// preload reads what the user named, so a typo fails fast with a clear
// message instead of inside the app.
func preload(opts Options) (*checkpoint.Checkpoint, *data.Source, error) {
	var ck *checkpoint.Checkpoint
	var err error
	switch {
	case opts.Checkpoint != "":
		ck, err = checkpoint.Open(opts.Checkpoint)
	case opts.Pretrained:
		ck, err = checkpoint.Pretrained(opts.Train.Arch.Preset)
	}
	if err != nil {
		return nil, nil, err
	}
	if ck != nil && opts.Train.Norm != nil {
		if err := ck.SetNorm(*opts.Train.Norm); err != nil {
			return nil, nil, err
		}
	}
	if err := os.MkdirAll(opts.RunsDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("--runs: %w", err)
	}
	if err := atomicfile.CheckWritable(filepath.Join(opts.RunsDir, "probe")); err != nil {
		return nil, nil, fmt.Errorf("--runs: %w", err)
	}
	src := opts.Source
	switch {
	case src != nil:
	case opts.Data != "":
		if src, err = data.Load(opts.Data); err != nil {
			return nil, nil, fmt.Errorf("--data: %w", err)
		}
	case ck != nil && ck.TrainedOn() != "": // the data set it was trained on
		if src, err = data.Load(ck.TrainedOn()); err != nil {
			return nil, nil, fmt.Errorf("%s was trained on %s, which cannot be read (%v): give --data", ck.Path, ck.TrainedOn(), err)
		}
	}
	if ck != nil {
		if src == nil && ck.Arch.Input != data.MNISTShape {
			return nil, nil, fmt.Errorf("%s was trained on %v images: give --data the data set it was trained on", ck.Path, ck.Arch.Input)
		}
		if src != nil {
			if err := ck.Fits(src); err != nil {
				return nil, nil, err
			}
		}
	}
	return ck, src, nil
}
