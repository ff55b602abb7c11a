package app

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/render"
)

// compareView puts the planes of two models side by side (basin
// --compare A B): the same window, direction seed and images for both,
// each direction normalized to its own model's filters, one colour scale
// and the same contour levels, so the pictures differ only where the
// models do. Every key acts on both; d shows A − B instead.
type compareView struct {
	pair
	diff   bool
	layers int
}

// pair is what the compare views share: the scans of A (the app's model)
// and B over one window, B following every move of A.
type pair struct {
	a, b scanState
}

func newPair(c *common, group view, axes []surface.Axis, res []int, log bool, kind string) pair {
	p := pair{a: newScanState(c, axes, res, log), b: newScanState(c, axes, res, log)}
	p.b.ck = c.other
	p.a.group, p.b.group = group, group
	p.a.fileBase, p.b.fileBase = "compare-a-"+kind, "compare-b-"+kind
	return p
}

func newCompareView(c *common) *compareView {
	o := c.opts
	v := &compareView{}
	axes, res := planeWindow(o)
	v.pair = newPair(c, v, axes, res, true, "2d")
	return v
}

func (v *compareView) title() string { return "compare" }

// setB makes ck the model B (its scans restart in ready).
func (v *pair) setB(ck *checkpoint.Checkpoint) {
	if v.b.cancel != nil {
		v.b.cancel()
	}
	v.b.ck, v.b.centre, v.b.prev, v.b.cur = ck, nil, nil, nil
	v.b.id, v.b.running, v.b.paused, v.b.queued = 0, false, false, false
}

func (v *pair) ready() {
	v.a.restart(false)
	v.follow(false)
}

// follow gives B the window, cursor and directions of A and, with
// rescan, starts B's scan of it.
func (v *pair) follow(rescan bool) {
	a, b := &v.a, &v.b
	b.axes, b.dir, b.log = slices.Clone(a.axes), a.dir, a.log
	copy(b.cursor, a.cursor)
	b.dirty = true
	if rescan || b.id == 0 {
		b.restart(false)
		if a.prev == nil { // another landscape: B's old picture goes too
			b.prev = nil
		}
	}
}

func (v *pair) pauseScans(asking view) {
	v.a.pause(asking)
	v.b.pause(asking)
}

func (v *compareView) keys() helpKeys {
	k := v.a.c.keys
	return helpKeys{
		short: []key.Binding{k.Diff, k.ZoomIn, k.ZoomOut, k.PanLeft, k.Edit, k.NewDir, k.Layers},
		full: [][]key.Binding{
			{k.Left, k.Right, k.Up, k.Down},
			{k.PanLeft, k.PanRight, k.PanUp, k.PanDown},
			{k.ZoomIn, k.ZoomOut, k.Reset, k.Edit, k.Finer, k.Coarser},
			{k.NewDir, k.Norm, k.Scale, k.Layers, k.Diff, k.Interp},
		},
	}
}

func (v *compareView) key(msg tea.KeyMsg) bool {
	k := v.a.c.keys
	if v.a.form == nil {
		switch {
		case key.Matches(msg, k.Diff):
			v.diff = !v.diff
			v.a.dirty = true
			return true
		case key.Matches(msg, k.Layers):
			v.layers = (v.layers + 1) % 3
			v.a.dirty = true
			return true
		}
	}
	return v.pair.key(msg)
}

// key moves A, and B with it; i interpolates between them.
func (v *pair) key(msg tea.KeyMsg) bool {
	if v.a.form == nil && key.Matches(msg, v.a.c.keys.Interp) {
		v.a.c.root.request(startInterp{})
		return true
	}
	before := v.a.id
	ok := v.a.key(msg)
	v.follow(v.a.id != before)
	return ok
}

func (v *compareView) mouse(msg tea.MouseMsg, w, h int) bool {
	l := compareLayout(w, h, v.a.aspect())
	x := msg.X
	if x >= l.xb { // a point on B is the same point on A
		x = x - l.xb + l.xa
	}
	msg.X = x
	acted := v.a.mouse(msg, l.xa, 1, l.pw, l.ph)
	before := v.a.id
	if acted {
		v.follow(v.a.id != before)
	}
	return acted
}

func (v *pair) handle(ev any) bool {
	fa, fb := v.a.handle(ev), v.b.handle(ev)
	return (fa || fb) && !v.a.running && !v.b.running
}

func (v *pair) status() []string {
	return append(v.a.status(), "B "+v.b.model().Path)
}

func (v *pair) activity() string {
	var s []string
	for _, p := range []struct {
		name string
		st   *scanState
	}{{"A", &v.a}, {"B", &v.b}} {
		if a := p.st.activity(); a != "" {
			s = append(s, p.name+" "+a)
		}
	}
	return strings.Join(s, ", ")
}

func (v *pair) capturing() bool { return v.a.form != nil }

func (v *pair) resize() { v.a.dirty = true }

// cached draws with draw when A or B changed.
func (v *pair) cached(w, h int, draw func(w, h int) string) string {
	if v.b.dirty {
		v.a.dirty, v.b.dirty = true, false
	}
	return v.a.cached(w, h, draw)
}

func (v *compareView) view(w, h int) string { return v.cached(w, h, v.draw) }

// cmpLayout places the two planes: A's β labels and axis, A's heatmap, a
// gap and B's axis, B's heatmap, then the colour bar.
type cmpLayout struct{ xa, xb, pw, ph int }

func compareLayout(w, h int, aspect float64) cmpLayout {
	pw, ph := max((w-labelW-1-2-barW-1)/2, 4), max(h-4, 2)
	if aspect > 0 && !math.IsInf(aspect, 0) { // each plane to its window's shape (see planeLayout)
		pw = min(pw, max(int(math.Round(cellAspect*float64(ph)*aspect)), 4))
		ph = min(ph, max(int(math.Round(float64(pw)/(cellAspect*aspect))), 2))
	}
	return cmpLayout{xa: labelW + 1, xb: labelW + 1 + pw + 2, pw: pw, ph: ph}
}

func (v *compareView) draw(w, h int) string {
	st, al, be := v.a.c.st, v.a.alpha(), v.a.beta()
	l := compareLayout(w, h, v.a.aspect())
	if v.diff { // one plane, laid out as the 2D view's
		x0, _, pw, ph := planeLayout(w, h, v.a.aspect())
		l = cmpLayout{xa: x0, xb: x0, pw: pw, ph: ph}
	}
	pal := render.NewPalette(st.profile)
	canvas := render.NewCanvas(w, l.ph+1)
	var scale render.Scale
	var what string
	if v.diff {
		fw := l.xb + l.pw - l.xa
		d := difference(field(&v.a, fw, 2*l.ph), field(&v.b, fw, 2*l.ph))
		scale = render.ScaleOf(d, false).Symmetric()
		pal = render.NewDivergingPalette(st.profile)
		p := plane{v: &v.a, coarse: d, scale: scale, layers: layersHeatmap, labels: true, pal: &pal}
		canvas.Blit(0, 0, p.draw(st, l.xb+l.pw, l.ph))
		what = "A − B: red where A is higher, blue where B is"
	} else {
		ca, cb := field(&v.a, l.pw, 2*l.ph), field(&v.b, l.pw, 2*l.ph)
		both := render.Field{W: l.pw, H: 4 * l.ph, V: append(slices.Clone(ca.V), cb.V...)}
		scale = render.ScaleOf(both, v.a.log)
		for i, side := range []struct {
			st     *scanState
			coarse render.Field
		}{{&v.a, ca}, {&v.b, cb}} {
			p := plane{v: side.st, coarse: side.coarse, scale: scale, layers: v.layers, labels: i == 0}
			if v.layers != layersHeatmap {
				p.fine = field(side.st, 2*l.pw, 4*l.ph)
			}
			x := 0
			if i == 1 {
				x = l.xb - 1
			}
			canvas.Blit(x, 0, p.draw(st, l.pw+labelW+2, l.ph))
		}
		what = fmt.Sprintf("one %s scale for both, the same contour levels", v.a.scaleName())
	}
	if scale.Max > scale.Min {
		canvas.Blit(l.xb+l.pw+1, 0, render.ColorBar(l.ph, barW, scale, pal, st.axis))
	}
	la, lb := checkpoint.Labels(v.a.model(), v.b.model())
	head := st.title.Render("Compare") + st.faint.Render(fmt.Sprintf("  A %s │ B %s · %s · %s-normalized, each to its own filters · seed %d · grid %dx%d",
		render.Clean(la), render.Clean(lb), what, v.a.dir.Norm, v.a.dir.Seed, al.N, be.N))
	return truncate(head, w) + "\n" + canvas.String() + "\n" + v.readoutLine(w) + "\n" + v.progressLine(w)
}

// difference is A − B where both are known and on scale, NaN elsewhere.
func difference(a, b render.Field) render.Field {
	d := render.NewField(a.W, a.H)
	for i := range d.V {
		if render.Finite(a.V[i]) && render.Finite(b.V[i]) {
			d.V[i] = a.V[i] - b.V[i]
		}
	}
	return d
}

// readoutLine reads both models at the cursor, and their difference.
func (v *pair) readoutLine(w int) string {
	st := v.a.c.st
	var s string
	for i := range v.a.axes {
		s += st.key.Render(axisNames[i]+" "+render.FormatTick(v.a.cursor[i])) + " "
	}
	s = strings.TrimSuffix(s, " ")
	sep := st.faint.Render(" │ ")
	la, _, sa, oka := v.a.readout()
	lb, _, sb, okb := v.b.readout()
	for _, r := range []struct {
		name  string
		l, se float64
		ok    bool
	}{{"A", la, sa, oka}, {"B", lb, sb, okb}} {
		switch {
		case !r.ok:
			s += sep + r.name + st.faint.Render(" …")
		case surface.OffScale(r.l):
			s += sep + r.name + " " + st.err.Render("off scale")
		default:
			s += sep + fmt.Sprintf("%s %.4f ± %.4f", r.name, r.l, r.se)
		}
	}
	if oka && okb && !surface.OffScale(la) && !surface.OffScale(lb) {
		s += sep + fmt.Sprintf("A − B %+.4f (± %.4f)", la-lb, math.Hypot(sa, sb))
	}
	return truncate(s, w)
}

// progressLine is the progress of both scans.
func (v *pair) progressLine(w int) string {
	return truncate("A "+v.a.progressLine(w)+v.a.c.st.faint.Render(" │ ")+"B "+v.b.progressLine(w), w)
}

// figure is A and B on one scale and A − B (F).
func (v *compareView) figure() (figure.Figure, string, error) {
	a, b := v.a.cur, v.b.cur
	if a == nil || b == nil || a.Computed() == 0 || b.Computed() == 0 {
		return figure.Figure{}, "", fmt.Errorf("no points to draw yet")
	}
	la, lb := checkpoint.Labels(v.a.model(), v.b.model())
	f, err := figure.Compare(a, b, v.a.log, la, lb)
	return f, "figure-compare", err
}
