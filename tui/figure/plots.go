package figure

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

var (
	blue   = color.RGBA{31, 119, 180, 255}
	orange = color.RGBA{230, 120, 20, 255}
	// accuracy's colours, apart from the losses' (train, test)
	green  = color.RGBA{44, 160, 44, 255}
	purple = color.RGBA{148, 103, 189, 255}
	red    = color.RGBA{220, 20, 30, 255}
)

// Surface is the figure of a surface file: a line (with accuracy under it)
// for a 1D scan or an interpolation, a plane (with any paths on it) for a
// 2D scan or a trajectory. log draws the loss on a log scale.
func Surface(s *surface.Surface, log bool) (Figure, error) {
	if err := drawable(s); err != nil {
		return Figure{}, err
	}
	if s.Is2D() {
		return plane(s, log), nil
	}
	return line(s, log), nil
}

// partial names a side's note from filled, if any.
func partial(side, note string) string {
	if note == "" {
		return ""
	}
	return " · " + side + ": " + note[len(" · "):]
}

// filled is a plane scanned in part (a figure saved mid-scan) with each
// point not computed yet given its nearest computed neighbour's values, as
// the app's views resample what they have: a scan runs coarse to fine, so
// this is the coarser grid's picture, not isolated dots in white. note
// says how many points are real ("" for a whole plane), for the caption.
func filled(s *surface.Surface) (f *surface.Surface, note string) {
	if s.Computed() == s.Len() || !s.Is2D() {
		return s, ""
	}
	f = s.Clone()
	ny := s.Beta.N
	var have []int
	for k, done := range s.Done {
		if done {
			have = append(have, k)
		}
	}
	for k, done := range s.Done {
		if done {
			continue
		}
		i, j := k/ny, k%ny
		best, bd := -1, math.MaxInt
		for _, h := range have {
			di, dj := h/ny-i, h%ny-j
			if d := di*di + dj*dj; d < bd {
				best, bd = h, d
			}
		}
		if best >= 0 {
			f.Loss[k], f.Acc[k] = s.Loss[best], s.Acc[best]
		}
	}
	return f, fmt.Sprintf(" · %d of %d points computed, the rest drawn from their nearest", s.Computed(), s.Len())
}

// drawable says why a surface cannot be drawn: no point computed, or
// none with a finite loss on the scale (a diverged model).
func drawable(s *surface.Surface) error {
	switch {
	case s.Computed() == 0:
		return fmt.Errorf("the surface has no computed points yet")
	case s.OnScale() == 0:
		return fmt.Errorf("the surface has no finite loss to draw: all %d computed points are NaN, infinite or above %g (the model diverged?)", s.Computed(), surface.OffScaleLoss)
	}
	return nil
}

// line: the loss over α (± 1 s.e. as a band; both splits for an
// interpolation) and the accuracy on a second axis at the right, as Li et
// al.'s 1D figures have them (dashed, in the same colours).
func line(s *surface.Surface, log bool) Figure {
	xs := s.Alpha.Coords()
	p := newPlot(title(s))
	p.X.Label.Text, p.Y.Label.Text = "α", "loss"
	if s.Meta.Kind == "interp" {
		p.X.Label.Text = "t"
	}
	if log {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	type split struct {
		name          string
		loss, acc, se []float64
		col, accCol   color.RGBA
	}
	splits := []split{{"train", s.Loss, s.Acc, s.LossSE, blue, green}}
	if s.TestLoss != nil {
		splits = append(splits, split{"test", s.TestLoss, s.TestAcc, s.TestLossSE, orange, purple})
	}
	p.Add(plotter.NewGrid())
	dashes := []vg.Length{vg.Points(4), vg.Points(2.5)}
	for _, sp := range splits {
		if band := seBand(xs, sp.loss, sp.se); len(band) > 2 {
			if poly, err := plotter.NewPolygon(band); err == nil {
				poly.Color, poly.LineStyle.Width = color.NRGBA{sp.col.R, sp.col.G, sp.col.B, 70}, 0
				p.Add(poly)
			}
		}
		if l, err := plotter.NewLine(xys(xs, sp.loss)); err == nil {
			l.Color, l.Width = sp.col, vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(sp.name+" loss (± 1 s.e.)", l)
		}
		key, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 1}}) // the legend's sample of the dashed line
		key.Color, key.Width, key.Dashes = sp.accCol, vg.Points(1.2), dashes
		p.Legend.Add(sp.name+" accuracy (right axis)", key)
	}
	p.X.Min, p.X.Max = s.Alpha.Min, s.Alpha.Max
	if s.Meta.Kind == "interp" { // A and B marked where they are
		p.X.Tick.Marker = endsTicks{}
	}
	// Headroom: the curves keep to the lower part, the legend to the band
	// above them, so it covers none.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sp := range splits {
		for _, v := range sp.loss {
			if finite(v) && (!log || v > 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi > lo {
		if log {
			p.Y.Max = hi * math.Pow(hi/lo, headroom)
		} else {
			p.Y.Max = hi + headroom*(hi-lo)
		}
	}
	p.Legend.Top = true
	return Figure{W: 6.4 * vg.Inch, H: 4.4 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, Caption(s.Meta))
		right := vg.Points(46)
		left := draw.Crop(dc, 0, -right, 0, 0)
		p.Draw(left)
		da := p.DataCanvas(left)
		h := (da.Max.Y - da.Min.Y) / (1 + headroom) // 100% where the losses' top is
		at := func(acc float64) vg.Length { return da.Min.Y + vg.Length(acc)*h }
		for _, sp := range splits {
			var pts []vg.Point
			for i, x := range xs {
				if finite(sp.acc[i]) {
					pts = append(pts, vg.Point{X: da.X(p.X.Norm(x)), Y: at(sp.acc[i])})
				}
			}
			da.StrokeLines(draw.LineStyle{Color: sp.accCol, Width: vg.Points(1.2), Dashes: dashes}, pts)
		}
		axis := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
		x0 := da.Max.X + vg.Points(4)
		dc.StrokeLine2(axis, x0, da.Min.Y, x0, at(1))
		sty := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 9), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YCenter}
		for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
			y := at(v)
			dc.StrokeLine2(axis, x0, y, x0+vg.Points(3), y)
			dc.FillText(sty, vg.Point{X: x0 + vg.Points(5), Y: y}, fmt.Sprintf("%.0f%%", 100*v))
		}
		lab := sty
		lab.Font.Size, lab.Rotation, lab.XAlign = 11, -math.Pi/2, draw.XCenter
		dc.FillText(lab, vg.Point{X: dc.Max.X - vg.Points(6), Y: (da.Min.Y + at(1)) / 2}, "accuracy")
	}}
}

// headroom is the share of a line plot's height above its curves, for the
// legend.
const headroom = 0.3

// endsTicks are an interpolation's ticks: the usual ones, with t = 0 and
// t = 1 always there and named for the models they are.
type endsTicks struct{}

func (endsTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value != 0 && t.Value != 1 {
			out = append(out, t)
		}
	}
	for _, e := range []plot.Tick{{Value: 0, Label: "0 (A)"}, {Value: 1, Label: "1 (B)"}} {
		if e.Value >= lo && e.Value <= hi {
			out = append(out, e)
		}
	}
	return out
}

// seBand is the polygon of loss ± 1 standard error over xs (the lower
// edge kept above a tenth of the loss, for a log axis), where both are
// known and on the scale.
func seBand(xs, loss, se []float64) plotter.XYs {
	var band plotter.XYs
	ok := func(i int) bool { return finite(loss[i]) && finite(se[i]) && !surface.OffScale(loss[i]) }
	for i := range xs {
		if ok(i) {
			band = append(band, plotter.XY{X: xs[i], Y: math.Max(loss[i]+se[i], 1e-12)})
		}
	}
	for i := len(xs) - 1; i >= 0; i-- {
		if ok(i) {
			band = append(band, plotter.XY{X: xs[i], Y: math.Max(math.Max(loss[i]-se[i], loss[i]/10), 1e-12)})
		}
	}
	return band
}

func title(s *surface.Surface) string {
	switch s.Meta.Kind {
	case "interp":
		return "f(t) = L((1−t)·θA + t·θB)"
	case "trajectory":
		return fmt.Sprintf("training path on its PCA plane (PC1 %.1f%%, PC2 %.1f%%)", 100*at(s.Meta.Explained, 0), 100*at(s.Meta.Explained, 1))
	case "2d":
		return "f(α, β) = L(θ* + αδ + βη)"
	}
	return "f(α) = L(θ* + αδ)"
}

func at(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return math.NaN()
}

// grid is a surface as plotter.GridXYZ (log10 of the loss when log).
type grid struct {
	s   *surface.Surface
	log bool
	sub func(k int) float64 // the value at point k, if not the loss
}

func (g grid) Dims() (c, r int) { return g.s.Alpha.N, g.s.Beta.N }
func (g grid) X(c int) float64  { return g.s.Alpha.At(c) }
func (g grid) Y(r int) float64  { return g.s.Beta.At(r) }
func (g grid) Z(c, r int) float64 {
	k := c*g.s.Beta.N + r
	v := g.s.Loss[k]
	if g.sub != nil {
		return g.sub(k)
	}
	if surface.OffScale(v) {
		return math.NaN()
	}
	if g.log {
		return math.Log10(v)
	}
	return v
}

func zrange(g grid) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	c, r := g.Dims()
	for i := 0; i < c; i++ {
		for j := 0; j < r; j++ {
			if z := g.Z(i, j); finite(z) {
				lo, hi = math.Min(lo, z), math.Max(hi, z)
			}
		}
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	return lo, hi
}

// planePlot is one heatmap with contours, θ* and any paths, on [lo, hi].
func planePlot(s *surface.Surface, g grid, lo, hi float64, diverging bool) *plot.Plot {
	p := newPlot("")
	p.X.Label.Text, p.Y.Label.Text = "α", "β"
	if s.Meta.Kind == "trajectory" {
		p.X.Label.Text, p.Y.Label.Text = "PC1", "PC2"
	}
	var hm *plotter.HeatMap
	if diverging {
		cm := moreland.SmoothBlueRed()
		cm.SetMin(lo)
		cm.SetMax(hi)
		hm = plotter.NewHeatMap(g, cm.Palette(64))
	} else {
		hm = plotter.NewHeatMap(g, viridis{64})
	}
	hm.Min, hm.Max, hm.NaN, hm.Rasterized = lo, hi, color.White, true
	p.Add(hm)
	levels := make([]float64, 9)
	for i := range levels {
		levels[i] = lo + (hi-lo)*float64(i+1)/10
	}
	ct := plotter.NewContour(g, levels, single{color.White})
	ct.LineStyles = []draw.LineStyle{{Color: color.White, Width: vg.Points(0.7)}}
	ct.Min, ct.Max = lo, hi // the grid's own range is inverted when it has no finite value
	p.Add(ct)
	if !diverging {
		if l := contourLabels(s, g, levels); l != nil {
			p.Add(l)
		}
	}
	for i, path := range s.Paths {
		pts := xys(path.X, path.Y)
		if l, err := plotter.NewLine(pts); err == nil {
			l.Color, l.Width = []color.Color{red, green, orange, blue}[i%4], vg.Points(1.4)
			p.Add(l)
			p.Legend.Add(filepath.Base(path.Name), l)
			if st, err := plotter.NewScatter(pts[:1]); err == nil {
				st.GlyphStyle = draw.GlyphStyle{Color: l.Color, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
				p.Add(st)
			}
		}
	}
	if s.Alpha.Min <= 0 && s.Alpha.Max >= 0 && s.Beta.Min <= 0 && s.Beta.Max >= 0 {
		if x, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}}); err == nil {
			x.GlyphStyle = draw.GlyphStyle{Color: red, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
			p.Add(x)
		}
	}
	p.Legend.Top = true
	return p
}

// contourLabels puts each contour level's loss where its line crosses the
// row through β = 0, right of the centre (a basin's contours all do).
func contourLabels(s *surface.Surface, g grid, levels []float64) *plotter.Labels {
	c, r := g.Dims()
	row := 0
	for j := 0; j < r; j++ {
		if math.Abs(g.Y(j)) < math.Abs(g.Y(row)) {
			row = j
		}
	}
	start := 0
	for i := 0; i < c; i++ {
		if math.Abs(g.X(i)) < math.Abs(g.X(start)) {
			start = i
		}
	}
	var pts plotter.XYs
	var labels []string
	gap := 0.09 * (g.X(c-1) - g.X(0)) // labels closer than this along the row would touch
	for _, lv := range levels {
		for i := start; i+1 < c; i++ {
			a, b := g.Z(i, row), g.Z(i+1, row)
			if !finite(a) || !finite(b) || (a-lv)*(b-lv) > 0 || a == b {
				continue
			}
			x := g.X(i) + (lv-a)/(b-a)*(g.X(i+1)-g.X(i))
			if len(pts) > 0 && math.Abs(x-pts[len(pts)-1].X) < gap {
				break // too close to the last label: this contour goes unlabelled
			}
			v := lv
			if g.log {
				v = math.Pow(10, lv)
			}
			pts = append(pts, plotter.XY{X: x, Y: g.Y(row)})
			labels = append(labels, strconv.FormatFloat(v, 'g', 2, 64))
			break
		}
	}
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
	if err != nil {
		return nil
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Color = color.White
		l.TextStyle[i].Font.Size = 7
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YBottom
	}
	return l
}

// single is a palette of one colour (the contour lines').
type single struct{ c color.Color }

func (s single) Colors() []color.Color { return []color.Color{s.c} }

// logTicks labels a log10 axis with the losses themselves: 1, 2 and 5
// times each power of ten within it.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(lo) - 1; e <= math.Ceil(hi); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := math.Log10(m) + e
			if v < lo || v > hi {
				continue
			}
			label := ""
			if m == 1 || hi-lo < 2.5 {
				label = strconv.FormatFloat(m*math.Pow(10, e), 'g', 3, 64)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// colorBar is the scale of a heatmap as a narrow plot.
func colorBar(lo, hi float64, label string, diverging bool) *plot.Plot {
	p := newPlot("")
	var cb plotter.ColorBar
	if diverging {
		cm := moreland.SmoothBlueRed()
		cm.SetMin(lo)
		cm.SetMax(hi)
		cb = plotter.ColorBar{ColorMap: cm, Vertical: true}
	} else {
		cb = plotter.ColorBar{ColorMap: &viridisMap{min: lo, max: hi}, Vertical: true}
	}
	p.Add(&cb)
	p.HideX()
	p.Y.Label.Text = label
	p.Y.Label.TextStyle.Font.Size = 9
	p.Y.Min, p.Y.Max = lo, hi
	if label == scaleLabel(true) {
		p.Y.Tick.Marker = logTicks{}
	}
	return p
}

func scaleLabel(log bool) string {
	if log {
		return "loss (log scale)"
	}
	return "loss"
}

// plane: the heatmap with contours, ✕ at θ*, the paths, and its bar.
func plane(s *surface.Surface, log bool) Figure {
	s, note := filled(s)
	g := grid{s: s, log: log}
	lo, hi := zrange(g)
	p := planePlot(s, g, lo, hi, false)
	p.Title.Text = title(s)
	bar := colorBar(lo, hi, scaleLabel(log), false)
	return Figure{W: 6.2 * vg.Inch, H: 5 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, Caption(s.Meta)+note)
		w := dc.Max.X - dc.Min.X
		p.Draw(draw.Crop(dc, 0, -w*0.17, 0, 0))
		bar.Draw(draw.Crop(dc, w*0.84, -vg.Points(10), vg.Points(24), -vg.Points(20)))
	}}
}

// Compare is two planes on one colour scale, and A − B on a diverging one.
//
// labels, when given, name A and B (what differs between them: "batch
// 32", "batch 2048"); else the shortest ends of their checkpoints' paths
// that differ do.
func Compare(a, b *surface.Surface, log bool, labels ...string) (Figure, error) {
	if !a.Is2D() || !b.Is2D() || a.Alpha != b.Alpha || a.Beta != b.Beta {
		return Figure{}, fmt.Errorf("compare figures need two planes on one grid")
	}
	for _, s := range []*surface.Surface{a, b} {
		if err := drawable(s); err != nil {
			return Figure{}, fmt.Errorf("%s: %w", filepath.Base(s.Meta.Checkpoint), err)
		}
	}
	a, noteA := filled(a)
	b, noteB := filled(b)
	ga, gb := grid{s: a, log: log}, grid{s: b, log: log}
	la, ha := zrange(ga)
	lb, hb := zrange(gb)
	lo, hi := math.Min(la, lb), math.Max(ha, hb)
	diff := grid{s: a, sub: func(k int) float64 {
		x, y := a.Loss[k], b.Loss[k]
		if surface.OffScale(x) || surface.OffScale(y) {
			return math.NaN()
		}
		return x - y
	}}
	dl, dh := zrange(diff)
	m := math.Max(math.Abs(dl), math.Abs(dh))
	if !finite(m) || m == 0 { // A and B finite at no common point, or equal
		m = 1
	}
	pa, pb, pd := planePlot(a, ga, lo, hi, false), planePlot(b, gb, lo, hi, false), planePlot(a, diff, -m, m, true)
	nameA, nameB := checkpoint.DistinctNames(a.Meta.Checkpoint, b.Meta.Checkpoint)
	if len(labels) == 2 {
		nameA, nameB = labels[0], labels[1]
	}
	pa.Title.Text, pb.Title.Text, pd.Title.Text = "A: "+nameA, "B: "+nameB, "A − B (loss)"
	bar, dbar := colorBar(lo, hi, scaleLabel(log), false), colorBar(-m, m, "A − B", true)
	caption := fmt.Sprintf("A %s, B %s · ", nameA, nameB) + Caption(a.Meta) + " · same directions, images and scale for A and B" + partial("A", noteA) + partial("B", noteB)
	if a.Meta.Preset != b.Meta.Preset || a.Meta.ArchText != b.Meta.ArchText {
		// two architectures (basin experiment skip): each has its own plane
		caption = fmt.Sprintf("A %s, B %s, each on its own filter-normalized directions (seed %d) · same images, grid and scale",
			a.Meta.Preset, b.Meta.Preset, a.Meta.Seed)
	}
	return Figure{W: 15 * vg.Inch, H: 4.6 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, caption)
		w := dc.Max.X - dc.Min.X
		cell := w / 3
		pa.Draw(draw.Crop(dc, 0, -(w - cell*0.92), 0, 0))
		pb.Draw(draw.Crop(dc, cell*0.92, -(w - 2*cell*0.92), 0, 0))
		bar.Draw(draw.Crop(dc, 2*cell*0.92, -(w - 2*cell*0.92 - cell*0.16), vg.Points(24), -vg.Points(20)))
		pd.Draw(draw.Crop(dc, 2*cell*0.92+cell*0.17, -cell*0.18, 0, 0))
		dbar.Draw(draw.Crop(dc, w-cell*0.17, -vg.Points(8), vg.Points(24), -vg.Points(20)))
	}}, nil
}

// Track is λmax along training against its stability threshold.
func Track(pts []train.SharpnessPoint, threshold float64, caption string) (Figure, error) {
	if len(pts) == 0 {
		return Figure{}, fmt.Errorf("no sharpness track")
	}
	p := newPlot("sharpness along training")
	p.X.Label.Text, p.Y.Label.Text = "step", "λmax of the Hessian"
	var xy plotter.XYs
	var bars plotter.YErrors
	for _, q := range pts {
		xy = append(xy, plotter.XY{X: float64(q.Step), Y: q.LambdaMax})
		bars = append(bars, struct{ Low, High float64 }{q.Residual, q.Residual})
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return Figure{}, err
	}
	l.Color, l.Width = blue, vg.Points(1.5)
	p.Add(plotter.NewGrid(), l)
	p.Legend.Add("λmax (± ‖Hv − λv‖)", l)
	if eb, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{xy, bars}); err == nil {
		eb.Color = blue
		p.Add(eb)
	}
	if threshold > 0 {
		th := plotter.NewFunction(func(float64) float64 { return threshold })
		th.Color, th.Dashes, th.Width = red, []vg.Length{vg.Points(4), vg.Points(3)}, vg.Points(1.2)
		p.Add(th)
		p.Legend.Add(fmt.Sprintf("stability threshold %.4g", threshold), th)
		if c := train.FirstCrossing(pts, threshold); c >= 0 {
			p.Title.Text += fmt.Sprintf(" (first at the threshold: step %d)", c)
		}
	}
	p.Legend.Top = true
	p.Y.Min = 0
	return Figure{W: 6 * vg.Inch, H: 3.6 * vg.Inch, Draw: func(dc draw.Canvas) {
		p.Draw(withCaption(dc, caption))
	}}, nil
}
