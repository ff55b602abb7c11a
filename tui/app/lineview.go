package app

import (
	"fmt"
	"math"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/render"
)

// lineView is the 1D scan, f(α) = L(θ* + αδ), as a braille line chart.
type lineView struct{ scanState }

func newLineView(c *common) *lineView {
	axes, res := lineWindow(c.opts)
	v := &lineView{newScanState(c, axes, res, false)}
	v.group = v
	return v
}

func (v *lineView) pauseScans(asking view) { v.pause(asking) }

func (v *lineView) title() string { return "1D scan" }

func (v *lineView) ready() { v.restart(false) }

func (v *lineView) keys() helpKeys { return lineKeys(v.c.keys) }

func (v *lineView) mouse(msg tea.MouseMsg, w, h int) bool {
	x0, pw, ph := v.chart(w, h).Plot()
	return v.scanState.mouse(msg, x0, 1, pw, ph)
}

func (v *lineView) view(w, h int) string { return v.cached(w, h, v.draw) }

// chart lays out the 1D chart for a body of w×h.
func (v *lineView) chart(w, h int) render.Chart {
	st, a := v.c.st, v.alpha()
	ch := render.Chart{
		W: w, H: max(h-3, 3), XMin: a.Min, XMax: a.Max, LogY: v.log,
		Y2Min: 0, Y2Max: 1, Y2Percent: true,
		Marks: []float64{0}, Cursor: v.cursor[0],
		AxisColor: st.axis, MarkColor: st.centre, CursorColor: st.cursor,
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range []*surface.Surface{v.prev, v.cur} {
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
			} else if x >= a.Min && x <= a.Max {
				lo, hi = math.Min(lo, l), math.Max(hi, l)
			}
			xs, ys = append(xs, x), append(ys, l)
		}
		if s == v.prev {
			ch.Series = append(ch.Series, render.Series{X: xs, Y: ys, Color: st.lineOld, Faint: true})
			continue
		}
		ch.Series = append(ch.Series, band(s, st.line)...)
		ch.Series = append(ch.Series, render.Series{X: xs, Y: ys, Color: st.line})
	}
	if s := v.cur; s != nil { // accuracy on the right axis, over everything
		var xs, ys []float64
		for k := 0; k < s.Len(); k++ {
			if s.Done[k] {
				x, _ := s.Coord(k)
				xs, ys = append(xs, x), append(ys, s.Acc[k])
			}
		}
		ch.Series = append(ch.Series, render.Series{X: xs, Y: ys, Color: st.acc, Right: true})
	}
	if !(hi > lo) {
		lo, hi = 0, math.Max(hi, 1)
		if v.log {
			lo = hi / 10
		}
	}
	pad := (hi - lo) * 0.05
	ch.YMin, ch.YMax = lo-pad, hi+pad
	if v.log {
		ch.YMin, ch.YMax = lo/1.1, hi*1.1
	}
	return ch
}

// band is the loss ± one standard error of s, as two faint lines in col:
// a wiggle inside it is sampling noise of the evaluation images.
func band(s *surface.Surface, col render.Color) []render.Series {
	var xs, lo, hi []float64
	for k := 0; k < s.Len(); k++ {
		if !s.Done[k] || math.IsNaN(s.LossSE[k]) || surface.OffScale(s.Loss[k]) {
			continue
		}
		x, _ := s.Coord(k)
		xs = append(xs, x)
		lo, hi = append(lo, s.Loss[k]-s.LossSE[k]), append(hi, s.Loss[k]+s.LossSE[k])
	}
	return []render.Series{{X: xs, Y: lo, Color: col, Faint: true}, {X: xs, Y: hi, Color: col, Faint: true}}
}

func (v *lineView) draw(w, h int) string {
	st, a := v.c.st, v.alpha()
	title := st.title.Render("1D scan") + st.faint.Render(fmt.Sprintf("  f(α) = L(θ* + αδ), ± 1 s.e. faint · accuracy on the right · %s-normalized · seed %d · α %s:%s · %d points · %s scale",
		v.dir.Norm, v.dir.Seed, render.FormatTick(a.Min), render.FormatTick(a.Max), a.N, v.scaleName()))
	chart := v.chart(w, h).Draw().String()
	return truncate(title, w) + "\n" + chart + "\n" + v.readoutLine(w) + "\n" + v.progressLine(w)
}

// figure is the curve as it stands (F).
func (v *lineView) figure() (figure.Figure, string, error) {
	return scanFigure(&v.scanState, "figure-1d")
}
