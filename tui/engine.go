package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/cli"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

// Messages the engine's goroutines send through the mailbox.
type (
	dataLoaded struct {
		src *data.Source
		err error
	}
	trainDone struct {
		ck  *checkpoint.Checkpoint
		res *train.Result
		err error
	}
	scanStarted struct {
		id   int
		surf *surface.Surface // the UI's own copy: same axes and metadata, no points
	}
	scanCentre struct {
		id     int
		centre model.Result
	}
	scanPoint struct {
		id int
		p  progress.Point
	}
	scanDone struct {
		id   int
		file string // "" when nothing was saved
		err  error
	}
)

// engine runs the core's work in goroutines and reports through a mailbox.
type engine struct {
	ctx    context.Context
	cancel context.CancelFunc
	box    *mailbox
	wg     sync.WaitGroup

	runsDir, label string
	mu             sync.Mutex
	runDir         string
	files          map[string]int
}

func newEngine(runsDir, label string) *engine {
	ctx, cancel := context.WithCancel(context.Background())
	return &engine{ctx: ctx, cancel: cancel, box: newMailbox(), runsDir: runsDir, label: label, files: map[string]int{}}
}

// go runs f in the background, tracked so shutdown can wait for its files.
func (e *engine) goJob(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// shutdown cancels every job and waits for them to write their files.
func (e *engine) shutdown() {
	e.cancel()
	e.wg.Wait()
	e.box.close()
}

// RunDir is the run folder, "" until something has been saved.
func (e *engine) RunDir() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runDir
}

// path returns a new file name in the run folder, creating the folder on
// first use: base-1.ext, base-2.ext, … for repeated names.
func (e *engine) path(base, ext string, numbered bool) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.runDir == "" {
		dir := filepath.Join(e.runsDir, time.Now().Format("20060102-150405")+"-"+e.label)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("create run folder: %w", err)
		}
		e.runDir = dir
	}
	name := base + ext
	if numbered {
		e.files[base]++
		name = fmt.Sprintf("%s-%d%s", base, e.files[base], ext)
	}
	return filepath.Join(e.runDir, name), nil
}

func (e *engine) loadData(dir string) {
	e.goJob(func() {
		var src *data.Source
		var err error
		if dir == "" {
			src, err = data.LoadEmbedded()
		} else {
			src, err = data.LoadDir(dir)
		}
		e.box.send(dataLoaded{src, err})
	})
}

// train runs training under its own context (so it can be stopped early
// without quitting) and saves the checkpoint, stopped or not.
func (e *engine) train(ctx context.Context, cfg train.Config, src *data.Source) {
	e.goJob(func() {
		res, err := train.Train(ctx, cfg, src, func(ev progress.Event) { e.box.send(ev) })
		if res == nil {
			e.box.send(trainDone{err: err})
			return
		}
		path, perr := e.path("model", ".safetensors", false)
		if perr == nil {
			perr = cli.SaveTraining(path, cfg, res, src.Name)
		}
		var ck *checkpoint.Checkpoint
		if perr == nil {
			ck, perr = checkpoint.Load(path)
		}
		e.box.send(trainDone{ck: ck, res: res, err: errors.Join(err, perr)})
	})
}

// scan prepares and runs one scan job, saving its surface every few
// seconds and when it ends (cancelled included) if it has any points.
// A known centre (same checkpoint and images) is reused, not re-evaluated.
func (e *engine) scan(ctx context.Context, id int, ck *checkpoint.Checkpoint, src *data.Source, st scan.Settings, known *model.Result) {
	e.goJob(func() {
		job, s, err := scan.Prepare(ck, src, st)
		if err != nil {
			e.box.send(scanDone{id: id, err: err})
			return
		}
		s.Meta.Version = cli.Version
		ui := surface.New(s.Alpha, s.Beta)
		ui.Meta = s.Meta
		e.box.send(scanStarted{id: id, surf: ui})
		var centre model.Result
		if known != nil {
			centre = *known
		} else if centre, err = scan.Centre(job); err != nil {
			e.box.send(scanDone{id: id, err: err})
			return
		}
		s.Meta.CentreLoss, s.Meta.CentreAcc = centre.Loss, centre.Accuracy
		e.box.send(scanCentre{id: id, centre: centre})
		base := "scan1d"
		if st.Is2D() {
			base = "scan2d"
		}
		var file string
		save := func() error {
			if s.Computed() == 0 {
				return nil
			}
			if file == "" {
				p, err := e.path(base, ".npz", true)
				if err != nil {
					return err
				}
				file = p
			}
			return surface.Save(file, surface.NPZ, s)
		}
		last := time.Now()
		var saveErr error
		err = scan.Run(ctx, job, s, func(ev progress.Event) {
			if p, ok := ev.(progress.Point); ok {
				e.box.send(scanPoint{id: id, p: p})
			}
			if time.Since(last) > 5*time.Second && saveErr == nil {
				saveErr = save()
				last = time.Now()
			}
		})
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		if serr := save(); serr != nil {
			saveErr = serr
		}
		e.box.send(scanDone{id: id, file: file, err: errors.Join(err, saveErr)})
	})
}
