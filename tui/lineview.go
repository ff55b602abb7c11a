package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
)

// lineChart lays out the 1D chart for a body of w×h.
func (v *scanView) lineChart(st styles, w, h int) render.Chart {
	ch := render.Chart{
		W: w, H: max(h-3, 3), XMin: v.alpha.Min, XMax: v.alpha.Max, LogY: v.log,
		Marks: []float64{0}, Cursor: v.ca,
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
			a, _ := s.Coord(k)
			l := s.Loss[k]
			if surface.OffScale(l) {
				l = math.Inf(1) // drawn clipped at the top
			} else if a >= v.alpha.Min && a <= v.alpha.Max {
				lo, hi = math.Min(lo, l), math.Max(hi, l)
			}
			xs, ys = append(xs, a), append(ys, l)
		}
		col, faint := st.line, false
		if s == v.prev {
			col, faint = st.lineOld, true
		}
		ch.Series = append(ch.Series, render.Series{X: xs, Y: ys, Color: col, Faint: faint})
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

func (v *scanView) lineView(st styles, w, h int) string {
	scale := "linear"
	if v.log {
		scale = "log"
	}
	title := st.title.Render("1D scan") + st.faint.Render(fmt.Sprintf("  f(α) = L(θ* + αδ) · %s-normalized · seed %d · α %s:%s · %d points · %s scale",
		v.dir.Norm, v.dir.Seed, render.FormatTick(v.alpha.Min), render.FormatTick(v.alpha.Max), v.alpha.N, scale))
	chart := v.lineChart(st, w, h).Draw().String()
	return truncate(title, w) + "\n" + chart + "\n" + v.readoutLine(st, w) + "\n" + v.progressLine(st, w)
}

// readoutLine shows the cursor's value and the landscape's numbers.
func (v *scanView) readoutLine(st styles, w int) string {
	s := st.key.Render("α "+render.FormatTick(v.ca)) + " "
	if v.twoD {
		s += st.key.Render("β "+render.FormatTick(v.cb)) + " "
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
		if v.twoD {
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

// pointTo moves the cursor to the body cell (x, y); false outside the plot.
func (v *scanView) pointTo(x, y, w, h int) bool {
	var x0, pw, ph, y0 int
	if v.twoD {
		x0, y0, pw, ph = planeLayout(w, h)
	} else {
		x0, pw, ph = v.lineChart(styles{}, w, h).Plot()
		y0 = 1
	}
	px, py := x-x0, y-y0
	if px < 0 || px >= pw || py < 0 || (v.twoD && py >= ph) || (!v.twoD && py >= ph) {
		return false
	}
	v.ca = v.alpha.Min + (float64(px)+0.5)/float64(pw)*(v.alpha.Max-v.alpha.Min)
	if v.twoD {
		v.cb = v.beta.Max - (float64(py)+0.5)/float64(ph)*(v.beta.Max-v.beta.Min)
	}
	i, j := v.cursorIndex()
	v.ca = v.alpha.At(i)
	if v.twoD {
		v.cb = v.beta.At(j)
	}
	return true
}
