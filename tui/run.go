package tui

import (
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
)

// Run opens the app and returns the run folder it wrote into ("" if it
// wrote nothing). A checkpoint or data directory that cannot be read is an
// error before the screen opens; after quitting, Run waits for the
// engine's jobs to save their files.
func Run(opts Options) (runDir string, err error) {
	ck, src, err := preload(opts)
	if err != nil {
		return "", InputError{err}
	}
	m := newModel(opts, ck, src, os.Stdout)
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion())
	_, err = p.Run()
	m.eng.shutdown()
	return m.eng.RunDir(), err
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
	src := opts.source
	if src == nil && opts.Data != "" {
		if src, err = data.LoadDir(opts.Data); err != nil {
			return nil, nil, fmt.Errorf("--data: %w", err)
		}
	}
	return ck, src, nil
}
