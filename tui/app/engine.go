package app

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
	// scanQueued: the job waits for another view's scan to end.
	scanQueued struct{ id int }
	// scanEvent is a scan's progress.Centre or progress.Point.
	scanEvent struct {
		id int
		ev progress.Event
	}
	scanDone struct {
		id   int
		file string // "" when nothing was saved
		err  error
	}
	otherLoaded struct {
		ck  *checkpoint.Checkpoint
		err error
	}
	// modelLoaded is a checkpoint chosen in the models list, to show.
	modelLoaded struct {
		ck  *checkpoint.Checkpoint
		err error
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
	pools          map[string]*model.Pool // evaluators per preset, reused by every scan
	// slot lets one scan run at a time: two scans on the same cores only
	// slow each other down, and each holds its workers' evaluators (70 MB
	// apiece for the standard net).
	slot chan struct{}
	// hub, under basin serve, shares scans between sessions; nil alone.
	hub *scanHub
	// read reads what a person picks; under basin serve only inside the
	// run folders and the session's own (nil: anywhere).
	read *access
}

func newEngine(runsDir, label string) *engine {
	ctx, cancel := context.WithCancel(context.Background())
	return &engine{ctx: ctx, cancel: cancel, box: newMailbox(), runsDir: runsDir, label: label,
		files: map[string]int{}, pools: map[string]*model.Pool{}, slot: make(chan struct{}, 1)}
}

// goJob runs f in a goroutine that shutdown waits for, so every job has
// written its files before the app returns.
func (e *engine) goJob(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// shutdown cancels every job, waits for them to write their files and
// frees the evaluators.
func (e *engine) shutdown() {
	e.cancel()
	e.wg.Wait()
	e.box.close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.pools {
		p.Close()
	}
}

// pool returns the evaluators of an architecture: as many kept idle as a
// scan has workers.
func (e *engine) pool(arch model.Arch, workers int) *model.Pool {
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

// loadOther reads a second checkpoint to compare with.
func (e *engine) loadOther(path string) {
	e.goJob(func() {
		ck, err := e.read.checkpoint(path)
		e.box.send(otherLoaded{ck, err})
	})
}

// loadModel reads a checkpoint to switch the views to.
func (e *engine) loadModel(path string) {
	e.goJob(func() {
		ck, err := e.read.checkpoint(path)
		e.box.send(modelLoaded{ck, err})
	})
}

// newRun starts a new run folder (made on the first file written): a
// model trained from the app's form gets its own.
func (e *engine) newRun(label string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDir, e.label, e.files = "", label, map[string]int{}
}

func (e *engine) loadData(dir string) {
	e.goJob(func() {
		src, err := data.Load(dir)
		e.box.send(dataLoaded{src, err})
	})
}

// train runs training under its own context (so it can be stopped early
// without quitting) and saves the checkpoint, stopped or not; a diverged
// run is saved as such and not opened.
func (e *engine) train(ctx context.Context, cfg train.Config, src *data.Source) {
	e.goJob(func() {
		live, lastSave := train.NewLive(cfg), time.Time{}
		livePath, _ := e.path("model", ".progress.json", false) // for anyone watching the run
		defer func() {
			live.Done = true
			live.Save(livePath)
		}()
		res, err := train.Train(ctx, cfg, src, func(ev progress.Event) {
			e.box.send(ev)
			live.Add(ev)
			if time.Since(lastSave) > 2*time.Second && livePath != "" {
				live.Save(livePath)
				lastSave = time.Now()
			}
		})
		if res == nil {
			e.box.send(trainDone{err: err})
			return
		}
		path, perr := e.path("model", ".safetensors", false)
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
		e.box.send(trainDone{ck: ck, res: res, err: errors.Join(err, perr)})
	})
}

// scanJob is one scan a view asks for.
type scanJob struct {
	id     int
	after  <-chan struct{} // the view's previous job; this one waits for it to stop
	ck     *checkpoint.Checkpoint
	src    *data.Source
	st     scan.Settings
	centre *model.Result    // known centre (same checkpoint and images), or nil
	resume *surface.Surface // points of a paused job with the same settings, or nil
	file   string           // where the paused job saved, to go on saving there
	base   string           // the file's name before -N.npz; "" for scan1d or scan2d
	along  *along           // a plane given (a trajectory's), not drawn from st.Direction
}

// along is a plane given to scan on: a trajectory's principal directions,
// with what the file records about them.
type along struct {
	d, e      model.Params
	norm      string
	explained []float64
	paths     []surface.Path
}

// trajLoaded is the trajectory of a checkpoint, on its PCA plane.
type trajLoaded struct {
	id    int
	along *along
	err   error
}

// loadTrajectory reads the trajectories beside the checkpoints (the first
// is the centre and must have one; the others are drawn when they have
// one) and finds their pooled PCA plane and paths (core/trajectory), off
// the screen's goroutine.
func (e *engine) loadTrajectory(id int, cks []*checkpoint.Checkpoint) {
	e.goJob(func() {
		var runs []trajectory.Run
		for i, ck := range cks {
			snaps, err := e.read.trajectory(ck)
			if err != nil && i == 0 {
				e.box.send(trajLoaded{id: id, err: err})
				return
			}
			if err == nil {
				runs = append(runs, trajectory.Run{Name: ck.Path, Snaps: snaps})
			}
		}
		pl, err := trajectory.PCA(cks[0].Params, runs)
		if err != nil {
			e.box.send(trajLoaded{id: id, err: err})
			return
		}
		a := &along{d: pl.D, e: pl.E, norm: "pca", explained: pl.Explained[:]}
		for _, r := range runs {
			a.paths = append(a.paths, pl.Project(r))
		}
		e.box.send(trajLoaded{id: id, along: a})
	})
}

// scan runs a view's scan job once the job before it in the same view has
// stopped and no other scan is running, so the app never holds more
// evaluators than one scan's workers however fast keys arrive. It saves
// the surface every few seconds and when it ends, cancelled included, if
// it has any points. The returned channel closes when the job is over.
func (e *engine) scan(ctx context.Context, j scanJob) <-chan struct{} {
	over := make(chan struct{})
	e.goJob(func() {
		defer close(over)
		if j.after != nil {
			<-j.after
		}
		var shared *sharedScan
		if e.hub != nil && j.along == nil && ctx.Err() == nil {
			key := scanKey(j.ck, j.st)
			for {
				sh, lead, have := e.hub.join(key)
				if lead {
					shared = sh
					if have != nil && j.resume == nil {
						j.resume = have
					}
					defer e.hub.done(sh)
					break
				}
				if e.follow(ctx, j, sh) { // another session computes it: its points are ours
					return
				}
			}
		}
		if e.takeSlot(ctx, func() { e.box.send(scanQueued{id: j.id}) }) {
			defer func() { <-e.slot }()
		}
		// Replaced or paused: nothing to do, unless the app is quitting
		// and this is a paused scan's points, which must be saved (no
		// computing needed: ctx is done).
		if ctx.Err() != nil && (e.ctx.Err() == nil || j.resume == nil || j.resume.Computed() == 0) {
			e.box.send(scanDone{id: j.id, file: j.file})
			return
		}
		var ss *scan.Session
		var err error
		if a := j.along; a != nil {
			if ss, err = scan.NewSessionOn(j.ck, j.src, j.st, a.d, a.e, a.norm); err == nil {
				m := &ss.Surface.Meta
				m.Kind, m.Explained, ss.Surface.Paths = "trajectory", a.explained, a.paths
				for _, p := range a.paths {
					m.PathNames = append(m.PathNames, p.Name)
				}
			}
		} else {
			ss, err = scan.NewSession(j.ck, j.src, j.st)
		}
		if err == nil && j.resume != nil {
			err = ss.Resume(j.resume)
		}
		if err != nil {
			e.box.send(scanDone{id: j.id, err: err})
			return
		}
		ss.Job.Pool = e.pool(j.ck.Arch, j.st.Workers)
		ss.Centre, ss.SaveEvery = j.centre, 5*time.Second
		// Cancelled while the app runs, the job was replaced or paused by
		// the user (its points live on in the view); at shutdown it saves.
		ss.Replaced = func() bool { return e.ctx.Err() == nil }
		base := j.base
		switch {
		case base != "":
		case j.st.Is2D():
			base = "scan2d"
		default:
			base = "scan1d"
		}
		ss.Out = func() (string, error) {
			if j.file != "" {
				return j.file, nil
			}
			return e.path(base, ".npz", true)
		}
		ui := ss.Surface.Clone() // the view's own copy, without the directions
		ui.D, ui.E, ui.EvalIndices, ui.Paths = nil, nil, nil, nil
		e.box.send(scanStarted{id: j.id, surf: ui})
		if shared != nil {
			e.hub.started(shared, ui)
		}
		err = ss.Run(ctx, func(ev progress.Event) {
			e.box.send(scanEvent{id: j.id, ev: ev})
			if shared != nil {
				e.hub.publish(shared, ev)
			}
		})
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		file := ss.File()
		if file == "" {
			file = j.file
		}
		e.box.send(scanDone{id: j.id, file: file, err: err})
	})
	return over
}

// follow shows a scan another session computes: its points as they come,
// sent as this job's events. It returns true when the scan is complete or
// this job was cancelled, false when the other session stopped early and
// this one should take over from the points published.
func (e *engine) follow(ctx context.Context, j scanJob, sh *sharedScan) bool {
	start := time.Now()
	var seen *surface.Surface
	centreSent := false
	for {
		s, centre, running, changed := e.hub.view(sh)
		if s != nil {
			if seen == nil {
				ui := s.Clone()
				ui.D, ui.E, ui.EvalIndices, ui.Paths = nil, nil, nil, nil
				e.box.send(scanStarted{id: j.id, surf: ui})
				seen = s
			} else {
				done := seen.Computed()
				for k, d := range s.Done {
					if !d || seen.Done[k] {
						continue
					}
					done++
					a, b := s.Coord(k)
					e.box.send(scanEvent{id: j.id, ev: progress.Point{Index: k, I: k / s.NY(), J: k % s.NY(), Alpha: a, Beta: b,
						Loss: s.Loss[k], Acc: s.Acc[k], LossSE: s.LossSE[k], Done: done, Total: s.Len(), Elapsed: time.Since(start)}})
				}
				seen = s
			}
			if centre != nil && !centreSent {
				e.box.send(scanEvent{id: j.id, ev: progress.Centre{Result: *centre}})
				centreSent = true
			}
		}
		if !running {
			if s != nil && s.Computed() == s.Len() {
				e.box.send(scanDone{id: j.id})
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

func (e *engine) sendDone(j scanJob) bool {
	e.box.send(scanDone{id: j.id})
	return true
}

// Messages of a measure job.
type (
	measureStep struct {
		id   int
		what string
	}
	measureDone struct {
		id    int
		sides []*compare.Side
		err   error
	}
)

// Messages of an interpolation job.
type (
	interpStep struct {
		id    int
		split data.Split
		p     progress.Point
	}
	interpDone struct {
		id   int
		s    *surface.Surface
		file string
		err  error
	}
)

// takeSlot waits for the scan slot, telling waiting (if not nil) when it
// is taken; false if ctx ended first. The caller gives it back with
// <-e.slot.
func (e *engine) takeSlot(ctx context.Context, waiting func()) bool {
	select {
	case e.slot <- struct{}{}:
		return true
	default:
	}
	if waiting != nil {
		waiting()
	}
	select {
	case e.slot <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// interp runs basin interp between a and b as one job in the scan slot
// and saves the surface in the run folder.
func (e *engine) interp(ctx context.Context, id int, a, b *checkpoint.Checkpoint, src *data.Source, st scan.Settings) {
	e.goJob(func() {
		if !e.takeSlot(ctx, nil) {
			e.box.send(interpDone{id: id, err: ctx.Err()})
			return
		}
		defer func() { <-e.slot }()
		split := data.Train
		s, err := scan.Interpolate(ctx, a, b, src, st, e.pool(a.Arch, st.Workers), func(ev progress.Event) {
			if p, ok := ev.(progress.Point); ok {
				e.box.send(interpStep{id: id, split: split, p: p})
			}
		}, func(sp data.Split) { split = sp })
		var file string
		if s != nil && s.Computed() > 0 {
			path, perr := e.path("interp", ".npz", true)
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
		e.box.send(interpDone{id: id, s: s, file: file, err: err})
	})
}

// measure computes the numbers of each model (compare.Measure) as one
// job in the scan slot, so it never competes with a scan for the cores.
func (e *engine) measure(ctx context.Context, id int, cks []*checkpoint.Checkpoint, src *data.Source, st compare.Settings) {
	e.goJob(func() {
		if !e.takeSlot(ctx, func() { e.box.send(measureStep{id: id, what: "waiting for the scans to finish"}) }) {
			e.box.send(measureDone{id: id, err: ctx.Err()})
			return
		}
		defer func() { <-e.slot }()
		pool := e.pool(cks[0].Arch, st.Line.Workers)
		var sides []*compare.Side
		var err error
		for i, ck := range cks {
			side := &compare.Side{Name: string(rune('A' + i))}
			sides = append(sides, side)
			if err = compare.Measure(ctx, side, ck, src, st, pool, func(what string) {
				e.box.send(measureStep{id: id, what: what})
			}); err != nil {
				break
			}
		}
		e.box.send(measureDone{id: id, sides: sides, err: err})
	})
}
