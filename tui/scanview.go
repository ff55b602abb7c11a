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

	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/surface"
)

// Layers of the 2D picture that `c` cycles through.
const (
	layersBoth = iota
	layersHeatmap
	layersContours
)

// scanView is the state of the 1D or the 2D scan: the window being
// scanned, the surface filling in (cur) and the one it replaces (prev,
// drawn until the new points cover it), and the cursor.
type scanView struct {
	twoD        bool
	alpha, beta surface.Axis // the window and its resolution
	home        [2]surface.Axis
	dir         direction.Spec
	resolutions []int

	id      int
	cancel  context.CancelFunc
	running bool
	cur     *surface.Surface
	prev    *surface.Surface
	centre  *model.Result
	last    progress.Point
	file    string
	err     string

	ca, cb float64 // cursor (α, β)
	log    bool
	layers int
	form   *rangeForm

	dirty    bool // redraw needed
	cache    string
	cacheKey [2]int
}

func newScanView(twoD bool, o Options) scanView {
	v := scanView{twoD: twoD, alpha: o.Alpha, dir: o.Direction, dirty: true}
	if twoD {
		v.beta = o.Beta
		v.log = true
		v.resolutions = sortedUnique([]int{11, 21, 41, 81, o.Alpha.N})
	} else {
		v.alpha.N = o.Points
		v.resolutions = sortedUnique([]int{11, 21, 51, 101, 201, o.Points})
	}
	v.home = [2]surface.Axis{v.alpha, v.beta}
	return v
}

func sortedUnique(v []int) []int {
	slices.Sort(v)
	return slices.Compact(v)
}

// begin marks the start of job id. The last surface stays on screen until
// the new one's points replace it.
func (v *scanView) begin(id int) {
	v.id, v.running, v.err, v.file = id, true, "", ""
	if v.cur != nil && v.cur.Computed() > 0 {
		v.prev = v.cur
	}
	v.cur = nil
	v.last = progress.Point{}
	v.dirty = true
}

func (v *scanView) started(s *surface.Surface) {
	v.cur = s
	if v.centre != nil {
		v.cur.Meta.CentreLoss, v.cur.Meta.CentreAcc = v.centre.Loss, v.centre.Accuracy
	}
	v.dirty = true
}

func (v *scanView) setCentre(c model.Result) {
	v.centre = &c
	if v.cur != nil {
		v.cur.Meta.CentreLoss, v.cur.Meta.CentreAcc = c.Loss, c.Accuracy
	}
	v.dirty = true
}

func (v *scanView) point(p progress.Point) {
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

func (v *scanView) finish(ev scanDone) {
	v.running = false
	v.file = ev.file
	if ev.err != nil {
		v.err = ev.err.Error()
	}
	v.dirty = true
}

// key handles a key of the scan views; true means the scan must restart.
func (v *scanView) key(msg tea.KeyMsg, k keyMap) bool {
	v.dirty = true
	switch {
	case key.Matches(msg, k.Left):
		v.step(-1, 0)
	case key.Matches(msg, k.Right):
		v.step(1, 0)
	case key.Matches(msg, k.Up) && v.twoD:
		v.step(0, 1)
	case key.Matches(msg, k.Down) && v.twoD:
		v.step(0, -1)
	case key.Matches(msg, k.PanLeft):
		return v.pan(-1, 0)
	case key.Matches(msg, k.PanRight):
		return v.pan(1, 0)
	case key.Matches(msg, k.PanUp) && v.twoD:
		return v.pan(0, 1)
	case key.Matches(msg, k.PanDown) && v.twoD:
		return v.pan(0, -1)
	case key.Matches(msg, k.ZoomIn):
		return v.zoom(true)
	case key.Matches(msg, k.ZoomOut):
		return v.zoom(false)
	case key.Matches(msg, k.Reset):
		v.alpha, v.beta = v.home[0], v.home[1]
		v.ca, v.cb = 0, 0
		return true
	case key.Matches(msg, k.Finer):
		return v.resolution(1)
	case key.Matches(msg, k.Coarser):
		return v.resolution(-1)
	case key.Matches(msg, k.NewDir):
		v.dir.Seed++
		v.prev = nil // another direction: the old picture is not this landscape
		return true
	case key.Matches(msg, k.Norm):
		i := slices.Index(direction.Norms, v.dir.Norm)
		v.dir.Norm = direction.Norms[(i+1)%len(direction.Norms)]
		v.prev = nil
		return true
	case key.Matches(msg, k.Scale):
		v.log = !v.log
	case key.Matches(msg, k.Layers) && v.twoD:
		v.layers = (v.layers + 1) % 3
	case key.Matches(msg, k.Edit):
		labels := []string{"α min", "α max"}
		vals := []float64{v.alpha.Min, v.alpha.Max}
		if v.twoD {
			labels = append(labels, "β min", "β max")
			vals = append(vals, v.beta.Min, v.beta.Max)
		}
		f := newRangeForm(labels, vals)
		v.form = &f
	}
	return false
}

// step moves the cursor by whole grid steps, staying in the window.
func (v *scanView) step(di, dj int) {
	i, j := v.cursorIndex()
	i = min(max(i+di, 0), v.alpha.N-1)
	v.ca = v.alpha.At(i)
	if v.twoD {
		j = min(max(j+dj, 0), v.beta.N-1)
		v.cb = v.beta.At(j)
	}
}

// cursorIndex snaps the cursor to the grid of the window.
func (v *scanView) cursorIndex() (i, j int) {
	snap := func(a surface.Axis, x float64) int {
		if a.N < 2 {
			return 0
		}
		k := int(math.Round((x - a.Min) / (a.Max - a.Min) * float64(a.N-1)))
		return min(max(k, 0), a.N-1)
	}
	i = snap(v.alpha, v.ca)
	if v.twoD {
		j = snap(v.beta, v.cb)
	}
	return i, j
}

// zoom halves (in) or doubles the window around the cursor.
func (v *scanView) zoom(in bool) bool {
	f := 2.0
	if in {
		f = 0.5
	}
	scale := func(a *surface.Axis, c float64) bool {
		half := (a.Max - a.Min) / 2 * f
		if half < 1e-6 || half > 1e6 {
			return false
		}
		a.Min, a.Max = c-half, c+half
		return true
	}
	ok := scale(&v.alpha, v.ca)
	if v.twoD {
		ok = scale(&v.beta, v.cb) && ok
	}
	return ok
}

// pan shifts the window (and the cursor with it) by a quarter.
func (v *scanView) pan(dx, dy int) bool {
	sa := (v.alpha.Max - v.alpha.Min) / 4 * float64(dx)
	v.alpha.Min, v.alpha.Max, v.ca = v.alpha.Min+sa, v.alpha.Max+sa, v.ca+sa
	if v.twoD {
		sb := (v.beta.Max - v.beta.Min) / 4 * float64(dy)
		v.beta.Min, v.beta.Max, v.cb = v.beta.Min+sb, v.beta.Max+sb, v.cb+sb
	}
	return true
}

func (v *scanView) resolution(d int) bool {
	i := slices.Index(v.resolutions, v.alpha.N)
	if i < 0 {
		i = 0
	}
	i = min(max(i+d, 0), len(v.resolutions)-1)
	if v.resolutions[i] == v.alpha.N {
		return false
	}
	v.alpha.N = v.resolutions[i]
	if v.twoD {
		v.beta.N = v.resolutions[i]
	}
	return true
}

// setRanges applies the form's validated values.
func (v *scanView) setRanges(vals []float64) {
	v.alpha.Min, v.alpha.Max = vals[0], vals[1]
	if v.twoD {
		v.beta.Min, v.beta.Max = vals[2], vals[3]
	}
	v.ca = math.Min(math.Max(v.ca, v.alpha.Min), v.alpha.Max)
	v.cb = math.Min(math.Max(v.cb, v.beta.Min), v.beta.Max)
	v.dirty = true
}

// value is the loss shown at (α, β): from the new scan where it has
// points, else from the one it replaces; +Inf when off scale, NaN when
// unknown.
func (v *scanView) value(a, b float64) float64 {
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
func (v *scanView) readout() (loss, acc float64, ok bool) {
	if v.cur == nil {
		return 0, 0, false
	}
	i, j := v.cursorIndex()
	k := i*v.cur.NY() + j
	if k >= v.cur.Len() || !v.cur.Done[k] {
		return 0, 0, false
	}
	return v.cur.Loss[k], v.cur.Acc[k], true
}

func (v *scanView) gridLabel() string {
	if v.twoD {
		return fmt.Sprintf("grid %dx%d", v.alpha.N, v.beta.N)
	}
	return fmt.Sprintf("%d points", v.alpha.N)
}

func (v *scanView) kind() string {
	if v.twoD {
		return "2D"
	}
	return "1D"
}

// rate is points per second of the running job.
func (v *scanView) rate() float64 {
	if v.last.Elapsed <= 0 {
		return 0
	}
	return float64(v.last.Done) / v.last.Elapsed.Seconds()
}

func (v *scanView) eta() string {
	r := v.rate()
	if r <= 0 {
		return "--"
	}
	return (time.Duration(float64(v.last.Total-v.last.Done) / r * float64(time.Second))).Round(time.Second).String()
}

func (v *scanView) progressShort() string {
	if v.last.Total == 0 {
		return v.kind() + " starting"
	}
	return fmt.Sprintf("%s %d/%d", v.kind(), v.last.Done, v.last.Total)
}

// progressLine is the scan's progress, speed and file.
func (v *scanView) progressLine(st styles, w int) string {
	var s string
	switch {
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
func (v *scanView) summary() *surface.Summary {
	if v.cur == nil || v.centre == nil {
		return nil
	}
	s := surface.Summarize(v.cur, surface.DefaultThreshold)
	return &s
}

// view draws the scan, rebuilt only when something changed.
func (v *scanView) view(st styles, w, h int) string {
	if !v.dirty && v.cacheKey == [2]int{w, h} {
		return v.cache
	}
	var out string
	if v.twoD {
		out = v.planeView(st, w, h)
	} else {
		out = v.lineView(st, w, h)
	}
	if v.form != nil {
		out = fitHeight(out, h-6) + "\n" + v.form.view(st)
	}
	v.cache, v.cacheKey, v.dirty = out, [2]int{w, h}, v.form != nil
	return out
}
