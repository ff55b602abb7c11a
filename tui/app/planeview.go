package app

import (
	"fmt"
	"math"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/render"
)

// Layers of the 2D picture that `c` cycles through.
const (
	layersBoth = iota
	layersHeatmap
	layersContours
)

// planeView is the 2D scan, f(α,β) = L(θ* + αδ + βη), as a heatmap with
// contour lines.
type planeView struct {
	scanState
	layers int
}

func newPlaneView(c *common) *planeView {
	o := c.opts
	axes, res := planeWindow(o)
	v := &planeView{scanState: newScanState(c, axes, res, true)}
	v.group = v
	return v
}

func (v *planeView) pauseScans(asking view) { v.pause(asking) }

func (v *planeView) title() string { return "2D scan" }

func (v *planeView) ready() { v.restart(false) }

func (v *planeView) keys() helpKeys {
	k := v.c.keys
	return helpKeys{
		short: []key.Binding{k.Up, k.ZoomIn, k.ZoomOut, k.PanLeft, k.Edit, k.Scale, k.Layers},
		full: [][]key.Binding{
			{k.Left, k.Right, k.Up, k.Down},
			{k.PanLeft, k.PanRight, k.PanUp, k.PanDown},
			{k.ZoomIn, k.ZoomOut, k.Reset, k.Edit, k.Finer, k.Coarser},
			{k.NewDir, k.Norm, k.Scale, k.Layers},
		},
	}
}

func (v *planeView) key(msg tea.KeyMsg) bool {
	if v.form == nil && key.Matches(msg, v.c.keys.Layers) {
		v.layers = (v.layers + 1) % 3
		v.dirty = true
		return true
	}
	return v.scanState.key(msg)
}

func (v *planeView) mouse(msg tea.MouseMsg, w, h int) bool {
	x0, y0, pw, ph := planeLayout(w, h, v.aspect())
	return v.scanState.mouse(msg, x0, y0, pw, ph)
}

func (v *planeView) view(w, h int) string { return v.cached(w, h, v.draw) }

// Plane layout: β labels, axis, heatmap, gap, colour bar.
const (
	labelW = 7
	barW   = 11
)

// cellAspect is a terminal cell's height over its width (about 2 in the
// usual fonts).
const cellAspect = 2.0

// planeLayout returns the heatmap's first column and row in the body and
// its width and height in cells for a window of α span over β span
// (aspect): as wide as the screen allows but no wider than the window's
// shape on cells about twice as tall as wide, so a round basin is round.
func planeLayout(w, h int, aspect float64) (x0, y0, pw, ph int) {
	pw, ph = max(w-labelW-1-barW-1, 4), max(h-4, 2)
	if aspect > 0 && !math.IsInf(aspect, 0) {
		pw = min(pw, max(int(math.Round(cellAspect*float64(ph)*aspect)), 4))
	}
	return labelW + 1, 1, pw, ph
}

// aspect is the window's α span over its β span.
func (v *scanState) aspect() float64 {
	al, be := v.alpha(), v.beta()
	return (al.Max - al.Min) / (be.Max - be.Min)
}

// field samples the shown landscape of v onto a grid of fw×fh values over
// the window (row 0 at β max), the way the heatmap and contours read it.
func field(v *scanState, fw, fh int) render.Field {
	key := fieldKey{cur: v.cur, prev: v.prev, curDone: computed(v.cur), prevDone: computed(v.prev), alpha: v.alpha(), beta: v.beta(), w: fw, h: fh}
	for _, c := range v.fields {
		if c.key == key {
			return c.f
		}
	}
	f := render.NewField(fw, fh)
	al, be := key.alpha, key.beta
	for y := 0; y < fh; y++ {
		b := be.Max - (float64(y)+0.5)/float64(fh)*(be.Max-be.Min)
		for x := 0; x < fw; x++ {
			a := al.Min + (float64(x)+0.5)/float64(fw)*(al.Max-al.Min)
			f.V[y*fw+x] = v.value(a, b)
		}
	}
	v.fields[v.nextField] = sampled{key, f}
	v.nextField = (v.nextField + 1) % len(v.fields)
	return f
}

// fieldKey is what a sampled field depends on: the surfaces and how many
// of their points are in (a point is written once), the window, the size.
type fieldKey struct {
	cur, prev         *surface.Surface
	curDone, prevDone int
	alpha, beta       surface.Axis
	w, h              int
}

// sampled is a field kept for the next frame: a cursor key redraws the
// plane without sampling the surfaces again (callers only read it).
type sampled struct {
	key fieldKey
	f   render.Field
}

// computed is s.Computed(), 0 for no surface.
func computed(s *surface.Surface) int {
	if s == nil {
		return 0
	}
	return s.Computed()
}

// plane is one heatmap of a window with its axes: what the 2D view draws
// once and the compare view twice.
type plane struct {
	v            *scanState
	coarse, fine render.Field // 1 and 2 values a half cell: the heatmap and the contours
	scale        render.Scale
	layers       int
	labels       bool            // β labels at the left (the compare view's right plane has none)
	pal          *render.Palette // nil: the loss palette
}

// draw renders the plane into a canvas of w×(ph+1) cells: β labels and
// axis, the heatmap pw×ph, contours, the cursor's crosshair, the ✕ at θ*,
// α labels below.
func (p plane) draw(st styles, w, ph int) *render.Canvas {
	v, al, be := p.v, p.v.alpha(), p.v.beta()
	x0 := labelW + 1
	if !p.labels {
		x0 = 1
	}
	pw := p.coarse.W
	pal := render.NewPalette(st.profile)
	if p.pal != nil {
		pal = *p.pal
	}
	var plot *render.Canvas
	if p.layers == layersContours {
		plot = render.NewCanvas(pw, ph)
	} else {
		plot = render.Heatmap(p.coarse, p.scale, pal)
	}
	switch {
	case p.scale.Max <= p.scale.Min:
	case p.layers == layersContours: // lines in their levels' colours
		render.ContourLines(plot, p.fine, p.coarse, p.scale.Levels(8), p.scale, pal)
	case p.layers == layersBoth:
		render.Contours(plot, p.fine, p.coarse, p.scale.Levels(8), p.scale, pal, st.contour)
	}
	col := func(a float64) int {
		return int(math.Floor((a - al.Min) / (al.Max - al.Min) * float64(pw)))
	}
	row := func(b float64) int {
		return int(math.Floor((be.Max - b) / (be.Max - be.Min) * float64(ph)))
	}
	// The cursor, then the ✕ at θ* over everything.
	cx, cy := min(max(col(v.cursor[0]), 0), pw-1), min(max(row(v.cursor[1]), 0), ph-1)
	reticle(plot, cx, cy, st.cursor)
	if c := plot.At(col(0), row(0)); c != nil && al.Min <= 0 && al.Max >= 0 && be.Min <= 0 && be.Max >= 0 {
		c.Ch, c.FG, c.Bold = '✕', st.cross, true
	}

	canvas := render.NewCanvas(w, ph+1)
	canvas.Blit(x0, 0, plot)
	for y := 0; y < ph; y++ {
		canvas.At(x0-1, y).Ch, canvas.At(x0-1, y).FG = '│', st.axis
	}
	canvas.Text(x0-1, ph, "└", st.axis)
	for _, b := range render.Ticks(be.Min, be.Max, max(2, ph/4)) {
		if y := row(b); y >= 0 && y < ph {
			if p.labels {
				l := render.FormatTick(b)
				canvas.Text(x0-2-render.Width(l), y, l, st.axis)
			}
			canvas.At(x0-1, y).Ch = '┤'
		}
	}
	next := x0
	for _, a := range render.Ticks(al.Min, al.Max, max(2, pw/10)) {
		x := col(a)
		l := render.FormatTick(a)
		start := max(x0+x-render.Width(l)/2, x0)
		if x < 0 || x >= pw || start < next || start+render.Width(l) > w {
			continue
		}
		canvas.Text(start, ph, l, st.axis)
		next = start + render.Width(l) + 1
	}
	if p.labels {
		canvas.Text(0, ph, "β↑ α→", st.axis)
	}
	markAxes(canvas, x0-1, ph, x0+cx, cy, st.cursor)
	return canvas
}

// reticle draws the cursor at (cx, cy) of the plot: a cross of short arms
// (3 cells across, 1 row up and down: about square on screen), and marks
// its row and column on the axes (see markAxes). It touches 4 rows at
// most, so a cursor key re-sends a few rows of the frame, not every row
// of the heatmap as a crosshair across the plane would (tens of
// kilobytes a key over SSH and through tmux).
func reticle(plot *render.Canvas, cx, cy int, fg render.Color) {
	for d := 1; d <= 3; d++ {
		for _, x := range []int{cx - d, cx + d} {
			if c := plot.At(x, cy); c != nil {
				c.Ch, c.FG = '─', fg
			}
		}
	}
	for _, y := range []int{cy - 1, cy + 1} {
		if c := plot.At(cx, y); c != nil {
			c.Ch, c.FG = '│', fg
		}
	}
	if c := plot.At(cx, cy); c != nil {
		c.Ch, c.FG, c.Bold = '┼', fg, true
	}
}

// markAxes marks the cursor's row on the β axis (▶) and its column under
// the plot (▲, where no α label is written).
func markAxes(canvas *render.Canvas, axisX, labelY, x, y int, fg render.Color) {
	if c := canvas.At(axisX, y); c != nil && y < labelY {
		c.Ch, c.FG = '▶', fg
	}
	if c := canvas.At(x, labelY); c != nil && c.Ch == ' ' {
		c.Ch, c.FG = '▲', fg
	}
}

// ownPlane is the plane of a view's own scan laid out in w×h: its fields
// sampled at the heatmap's size (and twice it for the contours), scaled
// linear or log as the view shows it.
func ownPlane(v *scanState, layers int, log bool, w, h int) (p plane, x0, pw, ph int) {
	x0, _, pw, ph = planeLayout(w, h, v.aspect())
	coarse := field(v, pw, 2*ph)
	p = plane{v: v, coarse: coarse, scale: render.ScaleOf(coarse, log), layers: layers, labels: true}
	if layers != layersHeatmap {
		p.fine = field(v, 2*pw, 4*ph)
	}
	return p, x0, pw, ph
}

func (v *planeView) draw(w, h int) string {
	st, al, be := v.c.st, v.alpha(), v.beta()
	p, x0, pw, ph := ownPlane(&v.scanState, v.layers, v.log, w, h)
	canvas := p.draw(st, w, ph)
	if p.scale.Max > p.scale.Min {
		canvas.Blit(x0+pw+1, 0, render.ColorBar(ph, barW, p.scale, render.NewPalette(st.profile), st.axis))
	}
	layers := [...]string{"heatmap+contours", "heatmap", "contours"}[v.layers]
	cos := ""
	if v.cur != nil {
		cos = fmt.Sprintf(" · cos %.1e", v.cur.Meta.Cosine)
	}
	title := st.title.Render("2D scan") + st.faint.Render(fmt.Sprintf("  f(α,β) = L(θ* + αδ + βη) · %s-normalized · seed %d · grid %dx%d · %s scale · %s%s · ✕ θ*",
		v.dir.Norm, v.dir.Seed, al.N, be.N, v.scaleName(), layers, cos))
	return truncate(title, w) + "\n" + canvas.String() + "\n" + v.readoutLine(w) + "\n" + v.progressLine(w)
}

// figure is the plane as it stands (F).
func (v *planeView) figure() (figure.Figure, string, error) {
	return scanFigure(&v.scanState, "figure-2d")
}
