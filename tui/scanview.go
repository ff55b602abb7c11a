package tui

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
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
	axes        []surface.Axis // the window and its resolution, α then β
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
	last    progress.Point
	already int // points the job started with (a resumed one has some)
	file    string
	err     string

	log  bool
	form *rangeForm

	dirty    bool // redraw needed
	cache    string
	cacheKey [2]int
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
	return scan.Settings{Alpha: v.alpha(), Beta: v.beta(), Direction: v.dir, SampleSeed: o.Direction.Seed,
		Split: o.Split, Samples: o.Samples, Workers: o.Workers}
}

// restart cancels the view's job and scans the current window. The new
// job begins once the old one has stopped; with first set, the other
// views' scans pause for it (they resume, losing nothing, when it is done),
// so the view the user is working in gets the cores at once.
func (v *scanState) restart(first bool) {
	if v.c.ck == nil || v.c.src == nil {
		return
	}
	if v.cancel != nil {
		v.cancel()
	}
	v.paused = false
	v.begin(v.c.nextJob())
	v.submit(scanJob{st: v.settings(), centre: v.centre})
	if first && v.c.yield != nil {
		v.c.yield(v)
	}
}

// pause stops the running job of a view other than except; the view
// resumes it when the job has ended.
func (v *scanState) pause(except *scanState) {
	if v == except || !v.running || v.paused {
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
	j := scanJob{st: v.settings(), centre: v.centre, file: v.file}
	if v.cur != nil {
		j.resume = v.cur.Clone()
	}
	v.submit(j)
}

// submit hands a job to the engine, after the view's previous one.
func (v *scanState) submit(j scanJob) {
	c := v.c
	ctx, cancel := context.WithCancel(c.eng.ctx)
	v.cancel = cancel
	if c.scanSettings != nil { // tests watch the scans started
		c.scanSettings(j.st)
		return
	}
	j.id, j.after, j.ck, j.src = v.id, v.over, c.ck, c.src
	v.over = c.eng.scan(ctx, j)
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
	case scanQueued:
		if ev.id == v.id {
			v.queued, v.dirty = true, true
		}
	case scanStarted:
		if ev.id == v.id {
			v.queued = false
			v.started(ev.surf)
		}
	case scanEvent:
		if ev.id != v.id {
			return false
		}
		switch e := ev.ev.(type) {
		case progress.Centre:
			v.setCentre(model.Result{Loss: e.Loss, Accuracy: e.Acc})
		case progress.Point:
			v.point(e)
		}
	case scanDone:
		if ev.id != v.id {
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
		v.cur.Meta.CentreLoss, v.cur.Meta.CentreAcc = v.centre.Loss, v.centre.Accuracy
	}
	v.dirty = true
}

func (v *scanState) setCentre(c model.Result) {
	v.centre = &c
	if v.cur != nil {
		v.cur.Meta.CentreLoss, v.cur.Meta.CentreAcc = c.Loss, c.Accuracy
	}
	v.dirty = true
}

func (v *scanState) point(p progress.Point) {
	if v.cur == nil {
		return
	}
	v.cur.Set(p.Index, p.Loss, p.Acc)
	v.last = p
	if p.Done == p.Total {
		v.prev = nil
	}
	v.dirty = true
}

func (v *scanState) finish(ev scanDone) {
	v.running, v.queued = false, false
	v.file = ev.file
	if ev.err != nil {
		v.err = ev.err.Error()
	}
	v.dirty = true
}

// axisKeys are the bindings that act along one axis.
type axisKeys struct{ less, more, panLess, panMore key.Binding }

func (v *scanState) axisKeys() []axisKeys {
	k := v.c.keys
	return []axisKeys{{k.Left, k.Right, k.PanLeft, k.PanRight}, {k.Down, k.Up, k.PanDown, k.PanUp}}[:len(v.axes)]
}

// key handles the keys both scan views share, restarting the scan when the
// window or the directions change; false for a key it does not know.
func (v *scanState) key(msg tea.KeyMsg) bool {
	if v.form != nil {
		v.formKey(msg)
		return true
	}
	k := v.c.keys
	rescan := false
	for i, ak := range v.axisKeys() {
		switch {
		case key.Matches(msg, ak.less):
			v.step(i, -1)
		case key.Matches(msg, ak.more):
			v.step(i, 1)
		case key.Matches(msg, ak.panLess):
			rescan = v.pan(i, -1)
		case key.Matches(msg, ak.panMore):
			rescan = v.pan(i, 1)
		default:
			continue
		}
		v.dirty = true
		if rescan {
			v.restart(true)
		}
		return true
	}
	switch {
	case key.Matches(msg, k.ZoomIn):
		rescan = v.zoom(true)
	case key.Matches(msg, k.ZoomOut):
		rescan = v.zoom(false)
	case key.Matches(msg, k.Reset):
		v.axes = slices.Clone(v.home)
		clear(v.cursor)
		rescan = true
	case key.Matches(msg, k.Finer):
		rescan = v.resolution(1)
	case key.Matches(msg, k.Coarser):
		rescan = v.resolution(-1)
	case key.Matches(msg, k.NewDir):
		v.dir.Seed++
		v.prev = nil // another direction: the old picture is not this landscape
		rescan = true
	case key.Matches(msg, k.Norm):
		i := slices.Index(direction.Norms, v.dir.Norm)
		v.dir.Norm = direction.Norms[(i+1)%len(direction.Norms)]
		v.prev = nil
		rescan = true
	case key.Matches(msg, k.Scale):
		v.log = !v.log
	case key.Matches(msg, k.Edit):
		var labels []string
		var vals []float64
		for i, a := range v.axes {
			labels = append(labels, axisNames[i]+" min", axisNames[i]+" max")
			vals = append(vals, a.Min, a.Max)
		}
		f := newRangeForm(labels, vals)
		v.form = &f
	default:
		return false
	}
	v.dirty = true
	if rescan {
		v.restart(true)
	}
	return true
}

// formKey types into the range form; Enter with valid ranges rescans.
func (v *scanState) formKey(msg tea.KeyMsg) {
	f, res := v.form.update(msg)
	v.form = &f
	v.dirty = true
	if res == nil {
		return
	}
	v.form = nil
	if !res.cancelled {
		v.setRanges(res.values)
		v.restart(true)
	}
}

// step moves the cursor along an axis by whole grid steps, staying in the
// window.
func (v *scanState) step(axis, d int) {
	a := v.axes[axis]
	i := min(max(v.cursorIndex(axis)+d, 0), a.N-1)
	v.cursor[axis] = a.At(i)
}

// cursorIndex snaps the cursor to the grid of the window along an axis.
func (v *scanState) cursorIndex(axis int) int {
	a := v.axes[axis]
	if a.N < 2 {
		return 0
	}
	k := int(math.Round((v.cursor[axis] - a.Min) / (a.Max - a.Min) * float64(a.N-1)))
	return min(max(k, 0), a.N-1)
}

// zoom halves (in) or doubles the window around the cursor; false when
// that would leave 1e-6 … 1e6 (nothing changes then).
func (v *scanState) zoom(in bool) bool {
	f := 2.0
	if in {
		f = 0.5
	}
	for _, a := range v.axes {
		if half := (a.Max - a.Min) / 2 * f; half < 1e-6 || half > 1e6 {
			return false
		}
	}
	for i := range v.axes {
		a := &v.axes[i]
		half := (a.Max - a.Min) / 2 * f
		a.Min, a.Max = v.cursor[i]-half, v.cursor[i]+half
	}
	return true
}

// pan shifts the window (and the cursor with it) by a quarter along an
// axis.
func (v *scanState) pan(axis, d int) bool {
	a := &v.axes[axis]
	s := (a.Max - a.Min) / 4 * float64(d)
	a.Min, a.Max, v.cursor[axis] = a.Min+s, a.Max+s, v.cursor[axis]+s
	return true
}

// resolution moves every axis to the next finer or coarser resolution.
func (v *scanState) resolution(d int) bool {
	n := v.axes[0].N
	i := slices.Index(v.resolutions, n)
	if i < 0 {
		i = 0
	}
	i = min(max(i+d, 0), len(v.resolutions)-1)
	if v.resolutions[i] == n {
		return false
	}
	for a := range v.axes {
		v.axes[a].N = v.resolutions[i]
	}
	return true
}

// setRanges applies the form's validated values, min and max per axis.
func (v *scanState) setRanges(vals []float64) {
	for i := range v.axes {
		a := &v.axes[i]
		a.Min, a.Max = vals[2*i], vals[2*i+1]
		v.cursor[i] = math.Min(math.Max(v.cursor[i], a.Min), a.Max)
	}
	v.dirty = true
}

// pointTo moves the cursor to the cell (x, y) of a plot whose first cell is
// (x0, y0) and size pw×ph, snapped to the grid; false outside the plot. A
// plot's y grows downwards and β upwards.
func (v *scanState) pointTo(x, y, x0, y0, pw, ph int) bool {
	px, py := x-x0, y-y0
	if px < 0 || px >= pw || py < 0 || py >= ph {
		return false
	}
	frac := []float64{(float64(px) + 0.5) / float64(pw), 1 - (float64(py)+0.5)/float64(ph)}
	for i := range v.axes {
		a := v.axes[i]
		v.cursor[i] = a.Min + frac[i]*(a.Max-a.Min)
		v.cursor[i] = a.At(v.cursorIndex(i))
	}
	v.dirty = true
	return true
}

// mouse zooms with the wheel and points with a click inside the plot.
func (v *scanState) mouse(msg tea.MouseMsg, x0, y0, pw, ph int) bool {
	if v.form != nil || msg.Action != tea.MouseActionPress {
		return false
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp, tea.MouseButtonWheelDown:
		if v.pointTo(msg.X, msg.Y, x0, y0, pw, ph) {
			if v.zoom(msg.Button == tea.MouseButtonWheelUp) {
				v.restart(true)
			}
			return true
		}
	case tea.MouseButtonLeft:
		return v.pointTo(msg.X, msg.Y, x0, y0, pw, ph)
	}
	return false
}

// value is the loss shown at (α, β): from the new scan where it has
// points, else from the one it replaces; +Inf when off scale, NaN when
// unknown.
func (v *scanState) value(a, b float64) float64 {
	for _, s := range []*surface.Surface{v.cur, v.prev} {
		if s == nil {
			continue
		}
		if l, ok := s.At(a, b); ok {
			if surface.OffScale(l) {
				return math.Inf(1)
			}
			return l
		}
	}
	return math.NaN()
}

// readout is the exact value at the cursor's grid point, if computed.
func (v *scanState) readout() (loss, acc float64, ok bool) {
	if v.cur == nil {
		return 0, 0, false
	}
	k := 0
	for i := range v.axes {
		k = k*v.axes[i].N + v.cursorIndex(i)
	}
	if k >= v.cur.Len() || !v.cur.Done[k] {
		return 0, 0, false
	}
	return v.cur.Loss[k], v.cur.Acc[k], true
}

func (v *scanState) gridLabel() string {
	if len(v.axes) == 1 {
		return fmt.Sprintf("%d points", v.axes[0].N)
	}
	return fmt.Sprintf("grid %dx%d", v.axes[0].N, v.axes[1].N)
}

func (v *scanState) kind() string { return fmt.Sprintf("%dD", len(v.axes)) }

func (v *scanState) scaleName() string {
	if v.log {
		return "log"
	}
	return "linear"
}

// status is the view's part of the status bar.
func (v *scanState) status() []string {
	o := v.c.opts
	return []string{string(v.dir.Norm), fmt.Sprintf("seed %d", v.dir.Seed),
		fmt.Sprintf("%d %s imgs", o.Samples, o.Split), v.gridLabel()}
}

// activity is the job's progress, "" when idle.
func (v *scanState) activity() string {
	switch {
	case !v.running:
		return ""
	case v.paused || v.queued:
		return v.kind() + " waiting"
	case v.last.Total == 0:
		return v.kind() + " starting"
	}
	return fmt.Sprintf("%s %d/%d", v.kind(), v.last.Done, v.last.Total)
}

func (v *scanState) capturing() bool { return v.form != nil }

func (v *scanState) resize() { v.dirty = true }

// shownPoints is how many points of the window are computed.
func (v *scanState) shownPoints() int {
	if v.cur == nil {
		return 0
	}
	return v.cur.Computed()
}

// rate is points per second of the running job.
func (v *scanState) rate() float64 {
	if v.last.Elapsed <= 0 {
		return 0
	}
	return float64(v.last.Done-v.already) / v.last.Elapsed.Seconds()
}

func (v *scanState) eta() string {
	r := v.rate()
	if r <= 0 {
		return "--"
	}
	return (time.Duration(float64(v.last.Total-v.last.Done) / r * float64(time.Second))).Round(time.Second).String()
}

// progressLine is the scan's progress, speed and file.
func (v *scanState) progressLine(w int) string {
	st := v.c.st
	var s string
	switch {
	case v.paused || v.queued:
		s = st.faint.Render("waiting for the other view's scan to finish")
		if n := v.shownPoints(); n > 0 {
			s += st.faint.Render(fmt.Sprintf("; then it goes on from the %d points it has", n))
		}
	case v.running && v.last.Total == 0:
		s = st.faint.Render("evaluating the centre, drawing directions…")
	case v.running:
		frac := float64(v.last.Done) / float64(v.last.Total)
		barW := 16
		fill := int(frac * float64(barW))
		s = st.bar.Render(strings.Repeat("█", fill)) + st.faint.Render(strings.Repeat("░", barW-fill)) +
			fmt.Sprintf(" %d/%d points · %.1f pts/s · eta %s", v.last.Done, v.last.Total, v.rate(), v.eta())
	case v.cur != nil:
		s = st.ok.Render("done") + fmt.Sprintf(" %d points", v.cur.Computed())
	}
	if v.file != "" {
		s += st.faint.Render(" · saved " + v.file)
	}
	if v.err != "" {
		s += " " + st.err.Render(v.err)
	}
	return truncate(s, w)
}

// summary of the current surface, nil before the centre is known.
func (v *scanState) summary() *surface.Summary {
	if v.cur == nil || v.centre == nil {
		return nil
	}
	s := surface.Summarize(v.cur, surface.DefaultThreshold)
	return &s
}

// readoutLine shows the cursor's value and the landscape's numbers.
func (v *scanState) readoutLine(w int) string {
	st := v.c.st
	var s string
	for i := range v.axes {
		s += st.key.Render(axisNames[i]+" "+render.FormatTick(v.cursor[i])) + " "
	}
	if l, a, ok := v.readout(); ok {
		if surface.OffScale(l) {
			s += st.err.Render("loss off scale") + fmt.Sprintf(" (%.3g)", l)
		} else {
			s += fmt.Sprintf("loss %.4f acc %.2f%%", l, 100*a)
		}
	} else {
		s += st.faint.Render("loss …")
	}
	if sum := v.summary(); sum != nil {
		sep := st.faint.Render(" │ ")
		width := fmt.Sprintf("α %s", sum.WidthAlpha)
		if len(v.axes) > 1 {
			width += fmt.Sprintf(" β %s", sum.WidthBeta)
		}
		full := s + sep + fmt.Sprintf("centre %.4f", sum.CentreLoss) + sep +
			fmt.Sprintf("basin (loss < centre+%g) %s", sum.Threshold, width)
		if lipgloss.Width(full) > w { // narrow: the basin's numbers matter most
			full = s + sep + "basin " + strings.ReplaceAll(width, " width ", " ")
		}
		s = full
		if sum.OffScale > 0 {
			s += sep + st.err.Render(fmt.Sprintf("%d off scale", sum.OffScale))
		}
	}
	return truncate(s, w)
}

// cached returns the body drawn by draw, redrawn only when something
// changed; an open form takes the bottom of the body.
func (v *scanState) cached(w, h int, draw func(w, h int) string) string {
	if !v.dirty && v.cacheKey == [2]int{w, h} {
		return v.cache
	}
	out := draw(w, h)
	if v.form != nil {
		out = fitHeight(out, h-6) + "\n" + v.form.view(v.c.st)
	}
	v.cache, v.cacheKey, v.dirty = out, [2]int{w, h}, v.form != nil
	return out
}
