package app

import (
	"context"
	"slices"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/charmbracelet/bubbles/key"
)

// axisNames are the scan axes in order: α along δ, β along η.
var axisNames = [2]string{"α", "β"}

// scanState is what the 1D and the 2D view share: the window being
// scanned (one axis or two), the engine job filling it, the surface coming
// in (cur) and the one it replaces (prev, drawn until the new points cover
// it), the cursor, and the keys that move them. Everything is written per
// axis, so the line and the plane differ only in how they draw.
type scanState struct {
	c           *common
	ck          *checkpoint.Checkpoint // the model scanned; nil: the app's
	group       view                   // the view it belongs to: its own scans do not pause each other
	fileBase    string                 // its surfaces' names in the run folder: "" for scan1d-N, scan2d-N
	axes        []surface.Axis         // the window and its resolution, α then β
	home        []surface.Axis
	cursor      []float64 // a coordinate per axis
	dir         direction.Spec
	resolutions []int

	id      int
	cancel  context.CancelFunc
	over    <-chan struct{} // closes when the job's goroutine is done
	running bool
	paused  bool // the job was stopped for another view's; it resumes when it ends
	queued  bool // the job waits for another view's scan to end
	cur     *surface.Surface
	prev    *surface.Surface
	centre  *model.Result
	// scanned is the model the centre and the surfaces on screen belong
	// to: when the app switches model (T, M) they are the old model's and
	// are dropped, never reused as the new one's centre.
	scanned *checkpoint.Checkpoint
	last    progress.Point
	already int // points the job started with (a resumed one has some)
	file    string
	err     string

	log  bool
	form *rangeForm

	along *jobs.Along // scans on this plane, not on drawn directions (the trajectory view)

	dirty    bool // redraw needed
	cache    string
	cacheKey [2]int

	// fields are the last fields sampled from the surfaces (the heatmap's,
	// the contours', the 3D view's), reused while nothing they depend on
	// changed; nextField is the slot the next new one takes.
	fields    [3]sampled
	nextField int
}

// lineWindow is a 1D view's window as the options set it (α at --points)
// and the resolutions r and R step through.
func lineWindow(o Options) ([]surface.Axis, []int) {
	a := o.Alpha
	a.N = o.Points
	return []surface.Axis{a}, []int{11, 21, 51, 101, 201, o.Points}
}

// planeWindow is a 2D view's window and resolutions.
func planeWindow(o Options) ([]surface.Axis, []int) {
	return []surface.Axis{o.Alpha, o.Beta}, []int{11, 21, 41, 81, o.Alpha.N}
}

// lineKeys are a 1D view's keys, with more in the full list.
func lineKeys(k keyMap, more ...key.Binding) helpKeys {
	return helpKeys{
		short: []key.Binding{k.Left, k.ZoomIn, k.ZoomOut, k.Edit, k.NewDir},
		full:  [][]key.Binding{{k.Left, k.Right, k.PanLeft, k.PanRight, k.ZoomIn, k.ZoomOut, k.Reset}, append([]key.Binding{k.Edit, k.Finer, k.Coarser, k.NewDir, k.Norm, k.Scale}, more...)},
	}
}

func newScanState(c *common, axes []surface.Axis, resolutions []int, log bool) scanState {
	return scanState{
		c: c, axes: axes, home: slices.Clone(axes), cursor: make([]float64, len(axes)),
		dir: c.opts.Direction, resolutions: sortedUnique(resolutions), log: log, dirty: true,
	}
}

func sortedUnique(v []int) []int {
	slices.Sort(v)
	return slices.Compact(v)
}

// alpha is the first axis.
func (v *scanState) alpha() surface.Axis { return v.axes[0] }

// beta is the second axis, or the zero axis of a line.
func (v *scanState) beta() surface.Axis {
	if len(v.axes) < 2 {
		return surface.Axis{}
	}
	return v.axes[1]
}

// settings of a scan of the current window.
func (v *scanState) settings() scan.Settings {
	o := v.c.opts
	return scan.Settings{Alpha: v.alpha(), Beta: v.beta(), Direction: v.dir, SampleSeed: o.SampleSeed,
		Split: o.Split, Samples: o.Samples, Workers: o.Workers, Nice: ScanNice}
}

// ScanNice is the niceness of the app's scan workers' threads (scan.Job):
// keys and frames, and the terminal (tmux) drawing them, get the cores
// before the scan does; alone, the scan runs as fast.
const ScanNice = 10

// restart cancels the view's job and scans the current window. The new
// job begins once the old one has stopped; with first set, the other
// views' scans pause for it (they resume, losing nothing, when it is done),
// so the view the user is working in gets the cores at once.
func (v *scanState) restart(first bool) {
	if v.model() == nil || v.c.src == nil {
		return
	}
	if v.cancel != nil {
		v.cancel()
	}
	if m := v.model(); m != v.scanned {
		v.scanned, v.centre, v.cur, v.prev = m, nil, nil, nil
	}
	v.paused = false
	v.begin(v.c.nextJob())
	v.submit(jobs.ScanJob{Settings: v.settings(), Centre: v.centre})
	if first {
		v.c.root.request(pauseOthers{v.group})
	}
}

// model is the checkpoint the state scans.
func (v *scanState) model() *checkpoint.Checkpoint {
	if v.ck != nil {
		return v.ck
	}
	return v.c.ck
}

// shown: the view came on screen; if its scan is waiting for another
// view's, the others pause and it runs now.
func (v *scanState) shown() {
	if v.running && v.queued {
		v.c.root.request(pauseOthers{v.group})
	}
}

// pause stops the running job unless it belongs to the view asking; the
// view resumes it when the job has ended.
func (v *scanState) pause(asking view) {
	if v.group == asking || !v.running || v.paused {
		return
	}
	v.paused = true
	v.cancel()
}

// resume goes on with a paused scan: the same window, the points it has,
// the same file.
func (v *scanState) resume() {
	v.paused = false
	v.id, v.running, v.err = v.c.nextJob(), true, ""
	j := jobs.ScanJob{Settings: v.settings(), Centre: v.centre, File: v.file}
	if v.cur != nil {
		j.Resume = v.cur.Clone()
	}
	v.submit(j)
}

// submit hands a job to the engine, after the view's previous one.
func (v *scanState) submit(j jobs.ScanJob) {
	c := v.c
	ctx, cancel := context.WithCancel(c.eng.Ctx)
	v.cancel = cancel
	j.ID, j.After, j.Checkpoint, j.Source, j.Base, j.Along = v.id, v.over, v.model(), c.src, v.fileBase, v.along
	v.over = c.scanner.Scan(ctx, j)
}

// begin marks the start of job id. The last surface stays on screen until
// the new one's points replace it.
func (v *scanState) begin(id int) {
	v.id, v.running, v.err, v.file = id, true, "", ""
	if v.cur != nil && v.cur.Computed() > 0 {
		v.prev = v.cur
	}
	v.cur = nil
	v.last = progress.Point{}
	v.dirty = true
}

// handle takes the engine's events of the view's current job; true when
// the job has finished.
func (v *scanState) handle(ev any) bool {
	switch ev := ev.(type) {
	case jobs.ScanQueued:
		if ev.ID == v.id {
			v.queued, v.dirty = true, true
		}
	case jobs.ScanStarted:
		if ev.ID == v.id {
			v.queued = false
			v.started(ev.Surface)
		}
	case jobs.ScanEvent:
		if ev.ID != v.id {
			return false
		}
		switch e := ev.Event.(type) {
		case progress.Centre:
			v.setCentre(e.Result)
		case progress.Point:
			v.point(e)
		}
	case jobs.ScanDone:
		if ev.ID != v.id {
			return false
		}
		v.finish(ev)
		if v.paused {
			v.resume()
			return false
		}
		return true
	}
	return false
}

func (v *scanState) started(s *surface.Surface) {
	v.cur, v.already = s, s.Computed()
	if v.centre != nil {
		v.cur.Meta.CentreLoss, v.cur.Meta.CentreAcc, v.cur.Meta.CentreLossSE = v.centre.Loss, v.centre.Accuracy, v.centre.LossSE
	}
	v.dirty = true
}

func (v *scanState) setCentre(c model.Result) {
	v.centre = &c
	if v.cur != nil {
		v.cur.Meta.CentreLoss, v.cur.Meta.CentreAcc, v.cur.Meta.CentreLossSE = c.Loss, c.Accuracy, c.LossSE
	}
	v.dirty = true
}

func (v *scanState) point(p progress.Point) {
	if v.cur == nil {
		return
	}
	v.cur.Record(p.Index, model.Result{Loss: p.Loss, Accuracy: p.Acc, LossSE: p.LossSE})
	v.last = p
	if p.Done == p.Total {
		v.prev = nil
	}
	v.dirty = true
}

func (v *scanState) finish(ev jobs.ScanDone) {
	v.running, v.queued = false, false
	v.file = ev.File
	if ev.Err != nil {
		v.err = ev.Err.Error()
	}
	v.dirty = true
}
