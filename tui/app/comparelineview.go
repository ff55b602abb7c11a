package app

import (
	"fmt"
	"math"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
)

// compareLineView overlays the 1D curves of A and B (basin --compare A B)
// on the same direction seed, window and images, in two colours, each
// with its ± 1 s.e. band.
type compareLineView struct{ pair }

func newCompareLineView(c *common) *compareLineView {
	axes, res := lineWindow(c.opts)
	v := &compareLineView{}
	v.pair = newPair(c, v, axes, res, false, "1d")
	return v
}

func (v *compareLineView) title() string { return "compare 1D" }

func (v *compareLineView) keys() helpKeys { return lineKeys(v.a.c.keys, v.a.c.keys.Interp) }

func (v *compareLineView) mouse(msg tea.MouseMsg, w, h int) bool {
	x0, pw, ph := v.chart(w, h).Plot()
	before := v.a.id
	acted := v.a.mouse(msg, x0, 1, pw, ph)
	if acted {
		v.follow(v.a.id != before)
	}
	return acted
}

func (v *compareLineView) view(w, h int) string { return v.cached(w, h, v.draw) }

// chart overlays both curves, each over its faint band, on one y axis.
func (v *compareLineView) chart(w, h int) render.Chart {
	st, a := v.a.c.st, v.a.alpha()
	ch := render.Chart{
		W: w, H: max(h-3, 3), XMin: a.Min, XMax: a.Max, LogY: v.a.log,
		Marks: []float64{0}, Cursor: v.a.cursor[0],
		AxisColor: st.axis, MarkColor: st.centre, CursorColor: st.cursor,
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, side := range []struct {
		s   *scanState
		col render.Color
	}{{&v.a, st.line}, {&v.b, st.acc}} {
		s := side.s.cur
		if s == nil {
			continue
		}
		var xs, ys []float64
		for k := 0; k < s.Len(); k++ {
			if !s.Done[k] {
				continue
			}
			x, _ := s.Coord(k)
			l := s.Loss[k]
			if surface.OffScale(l) {
				l = math.Inf(1) // drawn clipped at the top
			} else {
				lo, hi = math.Min(lo, l), math.Max(hi, l)
			}
			xs, ys = append(xs, x), append(ys, l)
		}
		ch.Series = append(append(ch.Series, band(s, side.col)...), render.Series{X: xs, Y: ys, Color: side.col})
	}
	if !(hi > lo) {
		lo, hi = 0, math.Max(hi, 1)
		if v.a.log {
			lo = hi / 10
		}
	}
	ch.YMin, ch.YMax = lo-(hi-lo)*0.05, hi+(hi-lo)*0.05
	if v.a.log {
		ch.YMin, ch.YMax = lo/1.1, hi*1.1
	}
	return ch
}

func (v *compareLineView) draw(w, h int) string {
	st, a := v.a.c.st, v.a.alpha()
	la, lb := checkpoint.Labels(v.a.model(), v.b.model())
	title := st.title.Render("Compare 1D") + "  " + colored(st, "━ A", st.line) + " " + st.faint.Render(render.Clean(la)) + "  " +
		colored(st, "━ B", st.acc) + " " + st.faint.Render(render.Clean(lb)) +
		st.faint.Render(fmt.Sprintf(" · ± 1 s.e. faint · %s-normalized, each to its own filters · seed %d · α %s:%s · %d points",
			v.a.dir.Norm, v.a.dir.Seed, render.FormatTick(a.Min), render.FormatTick(a.Max), a.N))
	return truncate(title, w) + "\n" + v.chart(w, h).Draw().String() + "\n" + v.readoutLine(w) + "\n" + v.progressLine(w)
}

// colored is s in a render colour, for a legend.
func colored(st styles, s string, c render.Color) string {
	cv := render.NewCanvas(render.Width(s), 1)
	cv.Text(0, 0, s, c)
	return cv.String()
}
