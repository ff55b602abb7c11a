package figure

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

var (
	blue   = color.RGBA{31, 119, 180, 255}
	orange = color.RGBA{230, 120, 20, 255}
	red    = color.RGBA{220, 20, 30, 255}
	green  = color.RGBA{44, 160, 44, 255}
)

// Surface is the figure of a surface file: a line (with accuracy under it)
// for a 1D scan or an interpolation, a plane (with any paths on it) for a
// 2D scan or a trajectory. log draws the loss on a log scale.
func Surface(s *surface.Surface, log bool) (Figure, error) {
	if s.Computed() == 0 {
		return Figure{}, fmt.Errorf("the surface has no computed points yet")
	}
	if s.Is2D() {
		return plane(s, log), nil
	}
	return line(s, log), nil
}

// line: the loss over α (± 1 s.e. as a band; both splits for an
// interpolation) above the accuracy, on one α axis.
func line(s *surface.Surface, log bool) Figure {
	xs := s.Alpha.Coords()
	top, bot := newPlot(""), newPlot("")
	name := "α"
	if s.Meta.Kind == "interp" {
		name = "t"
	}
	top.Y.Label.Text, bot.Y.Label.Text, bot.X.Label.Text = "loss", "accuracy (%)", name
	if log {
		top.Y.Scale, top.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	series := []struct {
		name          string
		loss, acc, se []float64
		col           color.Color
	}{{"train", s.Loss, s.Acc, s.LossSE, blue}}
	if s.TestLoss != nil {
		series = append(series, struct {
			name          string
			loss, acc, se []float64
			col           color.Color
		}{"test", s.TestLoss, s.TestAcc, s.TestLossSE, orange})
	}
	for _, sr := range series {
		var band plotter.XYs
		for i := range xs {
			if finite(sr.loss[i]) && finite(sr.se[i]) && !surface.OffScale(sr.loss[i]) {
				band = append(band, plotter.XY{X: xs[i], Y: math.Max(sr.loss[i]+sr.se[i], 1e-12)})
			}
		}
		for i := len(xs) - 1; i >= 0; i-- {
			if finite(sr.loss[i]) && finite(sr.se[i]) && !surface.OffScale(sr.loss[i]) {
				band = append(band, plotter.XY{X: xs[i], Y: math.Max(math.Max(sr.loss[i]-sr.se[i], sr.loss[i]/10), 1e-12)})
			}
		}
		if len(band) > 2 {
			if poly, err := plotter.NewPolygon(band); err == nil {
				c := sr.col.(color.RGBA)
				poly.Color, poly.LineStyle.Width = color.RGBA{c.R, c.G, c.B, 60}, 0
				top.Add(poly)
			}
		}
		if l, err := plotter.NewLine(xys(xs, sr.loss)); err == nil {
			l.Color, l.Width = sr.col, vg.Points(1.5)
			top.Add(l)
			if len(series) > 1 {
				top.Legend.Add(sr.name, l)
			}
		}
		pct := make([]float64, len(sr.acc))
		for i, a := range sr.acc {
			pct[i] = 100 * a
		}
		if l, err := plotter.NewLine(xys(xs, pct)); err == nil {
			l.Color, l.Width = sr.col, vg.Points(1.2)
			bot.Add(l)
		}
	}
	for _, p := range []*plot.Plot{top, bot} {
		p.X.Min, p.X.Max = s.Alpha.Min, s.Alpha.Max
		p.Add(plotter.NewGrid())
	}
	top.Title.Text = title(s)
	top.Legend.Top = true
	return Figure{W: 6 * vg.Inch, H: 5 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, Caption(s.Meta))
		tiles := plot.Align([][]*plot.Plot{{top}, {bot}}, draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(2)}, dc)
		top.Draw(tiles[0][0])
		bot.Draw(tiles[1][0])
	}}
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
	p.Add(ct)
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
	g := grid{s: s, log: log}
	lo, hi := zrange(g)
	p := planePlot(s, g, lo, hi, false)
	p.Title.Text = title(s)
	bar := colorBar(lo, hi, scaleLabel(log), false)
	return Figure{W: 6.2 * vg.Inch, H: 5 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, Caption(s.Meta))
		w := dc.Max.X - dc.Min.X
		p.Draw(draw.Crop(dc, 0, -w*0.17, 0, 0))
		bar.Draw(draw.Crop(dc, w*0.84, 0, vg.Points(24), -vg.Points(20)))
	}}
}

// Compare is two planes on one colour scale, and A − B on a diverging one.
func Compare(a, b *surface.Surface, log bool) (Figure, error) {
	if !a.Is2D() || !b.Is2D() || a.Alpha != b.Alpha || a.Beta != b.Beta {
		return Figure{}, fmt.Errorf("compare figures need two planes on one grid")
	}
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
	pa, pb, pd := planePlot(a, ga, lo, hi, false), planePlot(b, gb, lo, hi, false), planePlot(a, diff, -m, m, true)
	pa.Title.Text, pb.Title.Text, pd.Title.Text = "A: "+filepath.Base(a.Meta.Checkpoint), "B: "+filepath.Base(b.Meta.Checkpoint), "A − B (loss)"
	bar, dbar := colorBar(lo, hi, scaleLabel(log), false), colorBar(-m, m, "A − B", true)
	return Figure{W: 15 * vg.Inch, H: 4.6 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, Caption(a.Meta)+" · same directions, images and scale for A and B")
		w := dc.Max.X - dc.Min.X
		cell := w / 3
		pa.Draw(draw.Crop(dc, 0, -(w - cell*0.92), 0, 0))
		pb.Draw(draw.Crop(dc, cell*0.92, -(w - 2*cell*0.92), 0, 0))
		bar.Draw(draw.Crop(dc, 2*cell*0.92, -(w - 2*cell*0.92 - cell*0.16), vg.Points(24), -vg.Points(20)))
		pd.Draw(draw.Crop(dc, 2*cell*0.92+cell*0.17, -cell*0.14, 0, 0))
		dbar.Draw(draw.Crop(dc, w-cell*0.14, 0, vg.Points(24), -vg.Points(20)))
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
