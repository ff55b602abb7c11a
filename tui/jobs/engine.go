package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/compare"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/core/trajectory"
)

// Messages the engine's goroutines send through the mailbox.
type (
	DataLoaded struct {
		Source *data.Source
		Err    error
	}
	TrainDone struct {
		Checkpoint *checkpoint.Checkpoint
		Result     *train.Result
		Err        error
	}
	ScanStarted struct {
		ID      int
		Surface *surface.Surface // the UI's own copy: same axes and metadata, no points
	}
	// ScanQueued: the job waits for another view's scan to end.
	ScanQueued struct{ ID int }
	// ScanEvent is a scan's progress.Centre or progress.Point.
	ScanEvent struct {
		ID    int
		Event progress.Event
	}
	ScanDone struct {
		ID   int
		File string // "" when nothing was saved
		Err  error
	}
	OtherLoaded struct {
		Checkpoint *checkpoint.Checkpoint
		Err        error
	}
	// ModelLoaded is a checkpoint chosen in the models list, to show.
	ModelLoaded struct {
		Checkpoint *checkpoint.Checkpoint
		Err        error
	}
)

// Engine runs the core's work in goroutines and reports through a mailbox.
type Engine struct {
	Ctx    context.Context
	cancel context.CancelFunc
	box    *mailbox
	wg     sync.WaitGroup

	runsDir, label string
	// NoFiles: scans keep their points in memory only (basin --demo,
	// which loops over the same windows for an audience).
	NoFiles bool
	mu      sync.Mutex
	runDir  string
	files   map[string]int
	pools   map[string]*model.Pool // evaluators per preset, reused by every scan
	// Slot lets one scan run at a time: two scans on the same cores only
	// slow each other down, and each holds its workers' evaluators (70 MB
	// apiece for the standard net).
	Slot chan struct{}
	// Hub, under basin serve, shares scans between sessions; nil alone.
	Hub *Hub
	// WatchEvery is how often WatchFile looks at its file (0: every
	// second).
	WatchEvery time.Duration
	// Files reads what a person picks; under basin serve only inside the
	// run folders and the session's own (nil: anywhere).
	Files *Files
}

func NewEngine(runsDir, label string) *Engine {
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{Ctx: ctx, cancel: cancel, box: newMailbox(), runsDir: runsDir, label: label,
		files: map[string]int{}, pools: map[string]*model.Pool{}, Slot: make(chan struct{}, 1)}
}

// Wait blocks until the jobs have sent events and returns all of them,
// in order; nil once the engine is shut down.
func (e *Engine) Wait() []any { return e.box.wait() }

// Go runs f in a goroutine that shutdown waits for, so every job has
// written its files before the app returns.
func (e *Engine) Go(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// Shutdown cancels every job, waits for them to write their files and
// frees the evaluators.
func (e *Engine) Shutdown() {
	e.cancel()
	e.wg.Wait()
	e.box.close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.pools {
		p.Close()
	}
}

// Pool returns the evaluators of an architecture: as many kept idle as a
// scan has workers.
func (e *Engine) Pool(arch model.Arch, workers int) *model.Pool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pools[arch.Preset]
	if !ok {
		if workers <= 0 {
			workers = scan.DefaultWorkers()
		}
		p = model.NewPool(arch, workers)
		e.pools[arch.Preset] = p
	}
	return p
}

// RunDir is the run folder, "" until something has been saved.
func (e *Engine) RunDir() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runDir
}

// Path returns a new file name in the run folder, creating the folder on
// first use: base-1.ext, base-2.ext, … for repeated names.
func (e *Engine) Path(base, ext string, numbered bool) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.runDir == "" {
		dir, err := newRunDir(e.runsDir, time.Now().Format("20060102-150405")+"-"+e.label)
		if err != nil {
			return "", err
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

// newRunDir creates a run folder named name under parent, or name-2,
// name-3, … if another session (started in the same second) has it:
// Mkdir fails on an existing folder, so two sessions never share one.
func newRunDir(parent, name string) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create run folder: %w", err)
	}
	for i := 1; i < 1000; i++ {
		dir := filepath.Join(parent, name)
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", dir, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("create run folder: %w", err)
		}
	}
	return "", fmt.Errorf("create run folder: %s-2 … -999 all exist in %s", name, parent)
}

// LoadOther reads a second checkpoint to compare with.
func (e *Engine) LoadOther(path string) {
	e.Go(func() {
		ck, err := e.Files.Checkpoint(path)
		e.box.send(OtherLoaded{ck, err})
	})
}

// LoadModel reads a checkpoint to switch the views to.
func (e *Engine) LoadModel(path string) {
	e.Go(func() {
		ck, err := e.Files.Checkpoint(path)
		e.box.send(ModelLoaded{ck, err})
	})
}

// NewRun starts a new run folder (made on the first file written): a
// model trained from the app's form gets its own.
func (e *Engine) NewRun(label string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDir, e.label, e.files = "", label, map[string]int{}
}

func (e *Engine) LoadData(dir string) {
	e.Go(func() {
		src, err := data.Load(dir)
		e.box.send(DataLoaded{src, err})
	})
}

// Train runs training under its own context (so it can be stopped early
// without quitting) and saves the checkpoint, stopped or not; a diverged
// run is saved as such and not opened.
func (e *Engine) Train(ctx context.Context, cfg train.Config, src *data.Source) {
	e.Go(func() {
		livePath, _ := e.Path("model", ".progress.json", false) // for anyone watching the run
		res, err := train.TrainLive(ctx, cfg, src, livePath, func(ev progress.Event) { e.box.send(ev) })
		if res == nil {
			e.box.send(TrainDone{Err: err})
			return
		}
		path, perr := e.Path("model", ".safetensors", false)
		if perr == nil {
			path, perr = train.Save(path, cfg, res, src.Name)
		}
		var ck *checkpoint.Checkpoint
		if perr == nil && !res.Diverged {
			ck, perr = checkpoint.Load(path)
		}
		if res.Diverged && perr == nil {
			err = fmt.Errorf("%w; its weights are in %s", err, path)
		}
		e.box.send(TrainDone{Checkpoint: ck, Result: res, Err: errors.Join(err, perr)})
	})
}

// ScanJob is one scan a view asks for.
type ScanJob struct {
	ID         int
	After      <-chan struct{} // the view's previous job; this one waits for it to stop
	Checkpoint *checkpoint.Checkpoint
	Source     *data.Source
	Settings   scan.Settings
	Centre     *model.Result    // known centre (same checkpoint and images), or nil
	Resume     *surface.Surface // points of a paused job with the same settings, or nil
	File       string           // where the paused job saved, to go on saving there
	Base       string           // the file's name before -N.npz; "" for scan1d or scan2d
	Along      *Along           // a plane given (a trajectory's), not drawn from st.Direction
}

// Along is a plane given to scan on: a trajectory's principal directions,
// with what the file records about them.
type Along struct {
	D, E      model.Params
	Norm      string
	Explained []float64
	Paths     []surface.Path
}

// TrajLoaded is the trajectory of a checkpoint, on its PCA plane.
type TrajLoaded struct {
	ID    int
	Along *Along
	Err   error
}

// LoadTrajectory reads the trajectories beside the checkpoints (the first
// is the centre and must have one; the others are drawn when they have
// one) and finds their pooled PCA plane and paths (core/trajectory), off
// the screen's goroutine.
func (e *Engine) LoadTrajectory(id int, cks []*checkpoint.Checkpoint) {
	e.Go(func() {
		var runs []trajectory.Run
		for i, ck := range cks {
			snaps, err := e.Files.Trajectory(ck)
			if err != nil && i == 0 {
				e.box.send(TrajLoaded{ID: id, Err: err})
				return
			}
			if err == nil {
				runs = append(runs, trajectory.Run{Name: ck.Path, Snaps: snaps})
			}
		}
		pl, err := trajectory.PCA(cks[0].Params, runs)
		if err != nil {
			e.box.send(TrajLoaded{ID: id, Err: err})
			return
		}
		a := &Along{D: pl.D, E: pl.E, Norm: "pca", Explained: pl.Explained[:], Paths: pl.ProjectAll(runs)}
		e.box.send(TrajLoaded{ID: id, Along: a})
	})
}

// Scan runs a view's Scan job once the job before it in the same view has
// stopped and no other Scan is running, so the app never holds more
// evaluators than one Scan's workers however fast keys arrive. It saves
// the surface every few seconds and when it ends, cancelled included, if
// it has any points. The returned channel closes when the job is over.
func (e *Engine) Scan(ctx context.Context, j ScanJob) <-chan struct{} {
	over := make(chan struct{})
	e.Go(func() {
		defer close(over)
		if j.After != nil {
			<-j.After
		}
		var shared *sharedScan
		if e.Hub != nil && j.Along == nil && ctx.Err() == nil {
			key := scanKey(j.Checkpoint, j.Settings)
			for {
				sh, lead, have := e.Hub.join(key)
				if lead {
					shared = sh
					if have != nil && j.Resume == nil {
						j.Resume = have
					}
					defer e.Hub.done(sh)
					break
				}
				if e.follow(ctx, j, sh) { // another session computes it: its points are ours
					return
				}
			}
		}
		if e.takeSlot(ctx, func() { e.box.send(ScanQueued{ID: j.ID}) }) {
			defer func() { <-e.Slot }()
		}
		// Replaced or paused: nothing to do, unless the app is quitting
		// and this is a paused scan's points, which must be saved (no
		// computing needed: ctx is done).
		if ctx.Err() != nil && (e.Ctx.Err() == nil || j.Resume == nil || j.Resume.Computed() == 0) {
			e.box.send(ScanDone{ID: j.ID, File: j.File})
			return
		}
		ss, err := e.session(j)
		if err != nil {
			e.box.send(ScanDone{ID: j.ID, Err: err})
			return
		}
		ui := ss.Surface.Clone() // the view's own copy, without the directions
		ui.D, ui.E, ui.EvalIndices, ui.Paths = nil, nil, nil, nil
		e.box.send(ScanStarted{ID: j.ID, Surface: ui})
		if shared != nil {
			e.Hub.started(shared, ui)
		}
		err = ss.Run(ctx, func(ev progress.Event) {
			e.box.send(ScanEvent{ID: j.ID, Event: ev})
			if shared != nil {
				e.Hub.publish(shared, ev)
			}
		})
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		file := ss.File()
		if file == "" {
			file = j.File
		}
		e.box.send(ScanDone{ID: j.ID, File: file, Err: err})
	})
	return over
}

// session prepares the scan.Session of a job: on its drawn directions or
// the plane it was given, resumed from its points, saving every 5 s into
// its file (or a new scan1d-N/scan2d-N) and, when cancelled while the app
// runs (replaced or paused: its points live on in the view), not at all.
func (e *Engine) session(j ScanJob) (*scan.Session, error) {
	var ss *scan.Session
	var err error
	if a := j.Along; a != nil {
		ss, err = scan.NewTrajectorySession(j.Checkpoint, j.Source, j.Settings, a.D, a.E, a.Explained, a.Paths)
	} else {
		ss, err = scan.NewSession(j.Checkpoint, j.Source, j.Settings)
	}
	if err == nil && j.Resume != nil {
		err = ss.Resume(j.Resume)
	}
	if err != nil {
		return nil, err
	}
	ss.Job.Pool = e.Pool(j.Checkpoint.Arch, j.Settings.Workers)
	ss.Centre, ss.SaveEvery = j.Centre, 5*time.Second
	ss.Replaced = func() bool { return e.Ctx.Err() == nil }
	base := j.Base
	switch {
	case base != "":
	case j.Settings.Is2D():
		base = "scan2d"
	default:
		base = "scan1d"
	}
	ss.Out = func() (string, error) {
		if j.File != "" {
			return j.File, nil
		}
		return e.Path(base, ".npz", true)
	}
	if e.NoFiles {
		ss.Out = nil
	}
	return ss, nil
}

// follow shows a scan another session computes: its points as they come,
// sent as this job's events. It returns true when the scan is complete or
// this job was cancelled, false when the other session stopped early and
// this one should take over from the points published.
func (e *Engine) follow(ctx context.Context, j ScanJob, sh *sharedScan) bool {
	start := time.Now()
	var seen *surface.Surface
	centreSent := false
	for {
		s, centre, running, changed := e.Hub.view(sh)
		if s != nil {
			if seen == nil {
				ui := s.Clone()
				ui.D, ui.E, ui.EvalIndices, ui.Paths = nil, nil, nil, nil
				e.box.send(ScanStarted{ID: j.ID, Surface: ui})
				seen = s
			} else {
				done := seen.Computed()
				for k, d := range s.Done {
					if !d || seen.Done[k] {
						continue
					}
					done++
					a, b := s.Coord(k)
					e.box.send(ScanEvent{ID: j.ID, Event: progress.Point{Index: k, I: k / s.NY(), J: k % s.NY(), Alpha: a, Beta: b,
						Loss: s.Loss[k], Acc: s.Acc[k], LossSE: s.LossSE[k], Done: done, Total: s.Len(), Elapsed: time.Since(start)}})
				}
				seen = s
			}
			if centre != nil && !centreSent {
				e.box.send(ScanEvent{ID: j.ID, Event: progress.Centre{Result: *centre}})
				centreSent = true
			}
		}
		if !running {
			if s != nil && s.Computed() == s.Len() {
				e.box.send(ScanDone{ID: j.ID})
				return true
			}
			return ctx.Err() != nil && e.sendDone(j)
		}
		select {
		case <-ctx.Done():
			return e.sendDone(j)
		case <-changed:
		}
	}
}

func (e *Engine) sendDone(j ScanJob) bool {
	e.box.send(ScanDone{ID: j.ID})
	return true
}

// Messages of a measure job.
type (
	MeasureStep struct {
		ID   int
		What string
	}
	MeasureDone struct {
		ID    int
		Sides []*compare.Side
		Err   error
	}
)

// Messages of an interpolation job.
type (
	InterpStep struct {
		ID    int
		Split data.Split
		Point progress.Point
	}
	InterpDone struct {
		ID      int
		Surface *surface.Surface
		File    string
		Err     error
	}
)

// takeSlot waits for the scan slot, telling waiting (if not nil) when it
// is taken; false if ctx ended first. The caller gives it back with
// <-e.slot.
func (e *Engine) takeSlot(ctx context.Context, waiting func()) bool {
	select {
	case e.Slot <- struct{}{}:
		return true
	default:
	}
	if waiting != nil {
		waiting()
	}
	select {
	case e.Slot <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// Interp runs basin Interp between a and b as one job in the scan slot
// and saves the surface in the run folder.
func (e *Engine) Interp(ctx context.Context, id int, a, b *checkpoint.Checkpoint, src *data.Source, st scan.Settings) {
	e.Go(func() {
		if !e.takeSlot(ctx, nil) {
			e.box.send(InterpDone{ID: id, Err: ctx.Err()})
			return
		}
		defer func() { <-e.Slot }()
		split := data.Train
		s, err := scan.Interpolate(ctx, a, b, src, st, e.Pool(a.Arch, st.Workers), func(ev progress.Event) {
			if p, ok := ev.(progress.Point); ok {
				e.box.send(InterpStep{ID: id, Split: split, Point: p})
			}
		}, func(sp data.Split) { split = sp })
		var file string
		if s != nil && s.Computed() > 0 {
			path, perr := e.Path("interp", ".npz", true)
			if perr == nil {
				perr = surface.Save(path, surface.NPZ, s)
			}
			if perr == nil {
				file = path
			}
			err = errors.Join(err, perr)
		}
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		e.box.send(InterpDone{ID: id, Surface: s, File: file, Err: err})
	})
}

// Measure computes the numbers of each model (compare.Measure) as one
// job in the scan slot, so it never competes with a scan for the cores.
func (e *Engine) Measure(ctx context.Context, id int, cks []*checkpoint.Checkpoint, src *data.Source, st compare.Settings) {
	e.Go(func() {
		if !e.takeSlot(ctx, func() { e.box.send(MeasureStep{ID: id, What: "waiting for the scans to finish"}) }) {
			e.box.send(MeasureDone{ID: id, Err: ctx.Err()})
			return
		}
		defer func() { <-e.Slot }()
		pool := e.Pool(cks[0].Arch, st.Line.Workers)
		var sides []*compare.Side
		var err error
		for i, ck := range cks {
			side := &compare.Side{} // one model is just the model; two are A and B
			if len(cks) > 1 {
				side.Name = string(rune('A' + i))
			}
			sides = append(sides, side)
			if err = compare.Measure(ctx, side, ck, src, st, pool, func(what string) {
				e.box.send(MeasureStep{ID: id, What: what})
			}); err != nil {
				break
			}
		}
		e.box.send(MeasureDone{ID: id, Sides: sides, Err: err})
	})
}
