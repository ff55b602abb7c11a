package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/basin-dev/basin/core/hessian"
)

// Density is the Hessian's eigenvalue density as PyHessian and Ghorbani et
// al. draw it: the smoothed density on a log axis against λ, the bulk
// (the middle 90 % of the weight) shaded, λ1 (the largest node) marked.
func Density(d *hessian.Density, caption string) (Figure, error) {
	if d == nil || len(d.Grid) == 0 {
		return Figure{}, fmt.Errorf("no density to draw")
	}
	p := newPlot("eigenvalue density of the Hessian")
	p.X.Label.Text, p.Y.Label.Text = "λ", "density (log scale)"
	floor := 1e-6 // below this the density is drawn at the floor
	peak := 0.0
	for _, v := range d.Values {
		peak = math.Max(peak, v)
	}
	floor = math.Max(floor, peak*1e-7)
	var pts plotter.XYs
	for k, x := range d.Grid {
		pts = append(pts, plotter.XY{X: x, Y: math.Max(d.Values[k], floor)})
	}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = floor, peak*3
	bulk, err := plotter.NewPolygon(plotter.XYs{{X: d.Bulk[0], Y: floor}, {X: d.Bulk[1], Y: floor}, {X: d.Bulk[1], Y: peak * 3}, {X: d.Bulk[0], Y: peak * 3}})
	if err == nil {
		bulk.Color, bulk.LineStyle.Width = color.NRGBA{31, 119, 180, 35}, 0
		p.Add(bulk)
		p.Legend.Add(fmt.Sprintf("bulk: 90%% of the weight in [%.3g, %.3g]", d.Bulk[0], d.Bulk[1]), bulk)
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return Figure{}, err
	}
	l.Color, l.Width = blue, vg.Points(1.3)
	p.Add(l)
	p.Legend.Add(fmt.Sprintf("density (%.1f%% of the weight negative)", 100*d.NegativeMass), l)
	top, err := plotter.NewLine(plotter.XYs{{X: d.Max, Y: floor}, {X: d.Max, Y: peak * 3}})
	if err == nil {
		top.Color, top.Width, top.Dashes = red, vg.Points(1), []vg.Length{vg.Points(3), vg.Points(2)}
		p.Add(top)
		p.Legend.Add(fmt.Sprintf("λ1 ≈ %.4g", d.Max), top)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return Figure{W: 6.4 * vg.Inch, H: 4.2 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, caption)
		p.Draw(dc)
	}}, nil
}
