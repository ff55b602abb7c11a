package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/tui/cli"
)

// Run opens the app and returns the run folder it wrote into ("" if it
// wrote nothing) and the signal that ended it, if one did. A checkpoint,
// data directory or runs folder that cannot be used is an error before the
// screen opens. SIGHUP (the SSH connection dropped) and SIGTERM end the
// app as q does: after quitting, Run waits for the engine's jobs to save
// their files.
func Run(opts Options) (runDir string, sig os.Signal, err error) {
	ck, src, err := preload(opts)
	if err != nil {
		return "", nil, InputError{err}
	}
	if opts.Compare != "" {
		if opts.other, err = checkpoint.Load(opts.Compare); err != nil {
			return "", nil, InputError{err}
		}
		if opts.other.Arch.Preset != ck.Arch.Preset {
			return "", nil, InputError{fmt.Errorf("--compare: A is a %s net and B a %s net: compare needs one architecture", ck.Arch.Preset, opts.other.Arch.Preset)}
		}
	}
	// One scan runs at a time, each worker with its evaluator.
	scan.LimitHeap(opts.Workers)
	m := newModel(opts, ck, src, os.Stdout)
	defer reserveUIProc()()
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithFPS(appFPS))
	stop := quitOnSignals(p)
	_, err = p.Run()
	m.eng.shutdown()
	if sig = stop(); sig != nil {
		// The terminal may be gone: an error from drawing on it is not
		// the user's problem, the saved files are what matter.
		err = nil
	}
	return m.eng.RunDir(), sig, err
}

// quitOnSignals quits the app on SIGHUP or SIGTERM as q would, so the
// engine's jobs save their work; Bubble Tea alone quits on SIGTERM but
// lets SIGHUP kill the process. The returned func stops listening and
// tells which signal came, if one did.
func quitOnSignals(p interface{ Quit() }) func() os.Signal {
	return cli.OnSignal(p.Quit, syscall.SIGHUP, syscall.SIGTERM)
}

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
		ck, err = checkpoint.Load(opts.Checkpoint)
	case opts.Pretrained:
		ck, err = checkpoint.Pretrained(opts.Train.Arch.Preset)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(opts.RunsDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("--runs: %w", err)
	}
	if err := atomicfile.CheckWritable(filepath.Join(opts.RunsDir, "probe")); err != nil {
		return nil, nil, fmt.Errorf("--runs: %w", err)
	}
	src := opts.source
	if src == nil && opts.Data != "" {
		if src, err = data.Load(opts.Data); err != nil {
			return nil, nil, fmt.Errorf("--data: %w", err)
		}
	}
	return ck, src, nil
}

// appFPS is how often a changed frame is written: at Bubble Tea's 60, a
// key waits up to 17 ms for the next frame; 120 halves that, and a frame
// is only written when it changed.
const appFPS = 120

// reserveUIProc gives the screen a scheduler slot of its own: one P more
// than the cores, while the engine's workers stay at one per core (their
// counts were taken at start-up). Without it, a scan's workers hold every
// P and a key waits for preemption (BenchmarkKeyLatency). It returns a
// func that restores the setting.
func reserveUIProc() func() {
	before := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" || before != runtime.NumCPU() {
		return func() {} // the user chose
	}
	runtime.GOMAXPROCS(before + 1)
	return func() { runtime.GOMAXPROCS(before) }
}
