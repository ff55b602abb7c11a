package render

import (
	"math"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/canvas/graph"
	"github.com/NimbleMarkets/ntcharts/canvas/runes"
)

// Series is one line of a chart. NaN values break the line.
type Series struct {
	X, Y  []float64
	Color Color
	Faint bool
	Right bool // on the right axis (Y2Min..Y2Max), not the left
}

// Chart describes a braille line chart with axes.
type Chart struct {
	W, H                   int // whole chart, labels included
	XMin, XMax, YMin, YMax float64
	LogY                   bool
	Series                 []Series
	// A right axis, linear, for series marked Right (accuracy beside the
	// loss); shown when some series uses it. Y2Percent labels it in %.
	Y2Min, Y2Max           float64
	Y2Percent              bool
	Marks                  []float64 // x values marked with a dotted vertical line (the centre)
	Cursor                 float64   // x of the cursor; NaN for none
	CursorColor, AxisColor Color
	MarkColor              Color
	// LabelWidth, if larger than the y labels need, widens their column:
	// charts stacked on one x axis line their plots up with it.
	LabelWidth int
}

// plot is where data goes inside a chart: the area right of the y labels,
// left of the right axis if any, and above the x labels.
type plot struct{ x0, w, h int }

func (ch Chart) layout() plot {
	lw := 0
	for _, v := range ch.yTicks() {
		lw = max(lw, Width(FormatTick(v)))
	}
	lw = max(lw, ch.LabelWidth)
	lw++ // space before the axis
	rw := 0
	if ch.hasRight() {
		for _, v := range ch.y2Ticks() {
			rw = max(rw, Width(ch.y2Label(v)))
		}
		rw += 2 // the axis and a space
	}
	return plot{x0: lw + 1, w: max(ch.W-lw-1-rw, 1), h: max(ch.H-1, 1)}
}

func (ch Chart) hasRight() bool {
	for _, s := range ch.Series {
		if s.Right {
			return ch.Y2Max > ch.Y2Min
		}
	}
	return false
}

func (ch Chart) y2Ticks() []float64 { return Ticks(ch.Y2Min, ch.Y2Max, max(2, (ch.H-1)/3)) }

func (ch Chart) y2Label(v float64) string {
	if ch.Y2Percent {
		return FormatTick(100*v) + "%"
	}
	return FormatTick(v)
}

// t maps a value of a series to 0..1 of the plot's height.
func (ch Chart) t(s Series, v float64) float64 {
	if s.Right {
		return (v - ch.Y2Min) / (ch.Y2Max - ch.Y2Min)
	}
	return ch.ty(v)
}

func (ch Chart) yTicks() []float64 {
	n := max(2, (ch.H-1)/3)
	if ch.LogY {
		return LogTicks(ch.YMin, ch.YMax, n)
	}
	return Ticks(ch.YMin, ch.YMax, n)
}

func (ch Chart) ty(v float64) float64 {
	s := Scale{Min: ch.YMin, Max: ch.YMax, Log: ch.LogY}
	lo, hi := s.f(ch.YMin), s.f(ch.YMax)
	if !(hi > lo) {
		return 0.5
	}
	return (s.f(v) - lo) / (hi - lo)
}

// LabelsWidth is the width the y labels take (LabelWidth included).
func (ch Chart) LabelsWidth() int { return ch.layout().x0 - 2 }

// Plot returns where data is drawn: the first column, and the width and
// height of the plot area in cells.
func (ch Chart) Plot() (x0, w, h int) {
	p := ch.layout()
	return p.x0, p.w, p.h
}

// Column returns the plot column (cell) of x, or -1 outside the plot.
func (ch Chart) Column(x float64) int {
	p := ch.layout()
	if !(ch.XMax > ch.XMin) || x < ch.XMin || x > ch.XMax {
		return -1
	}
	return p.x0 + min(int((x-ch.XMin)/(ch.XMax-ch.XMin)*float64(p.w)), p.w-1)
}

// trace draws a series' line into a braille grid of gw×gh dots, every
// value clipped to the plot first (a diverged point is drawn at the
// edge, never far outside it).
func (ch Chart) trace(s Series, gw, gh int) *runes.PatternDotsGrid {
	grid := runes.NewPatternDotsGrid(gw, gh)
	var prev *canvas.Point
	for i := range s.X {
		x, y := s.X[i], s.Y[i]
		if !Finite(x) || math.IsNaN(y) || x < ch.XMin || x > ch.XMax {
			prev = nil
			continue
		}
		t := ch.t(s, y)
		if math.IsInf(y, 1) || t > 1 {
			t = 1
		} else if math.IsInf(y, -1) || t < 0 || math.IsNaN(t) {
			t = 0
		}
		pt := canvas.Point{
			X: min(int((x-ch.XMin)/(ch.XMax-ch.XMin)*float64(gw)), gw-1),
			Y: gh - 1 - int(math.Round(t*float64(gh-1))),
		}
		if prev != nil {
			for _, q := range graph.GetLinePoints(*prev, pt) {
				grid.Set(q.X, q.Y)
			}
		} else {
			grid.Set(pt.X, pt.Y)
		}
		prev = &pt
	}
	return grid
}

// Draw renders the chart.
func (ch Chart) Draw() *Canvas {
	c := NewCanvas(ch.W, ch.H)
	p := ch.layout()
	if p.x0 < 1 || p.x0+p.w > c.W || ch.H < 3 || !(ch.XMax > ch.XMin) {
		return c // too small or no range: nothing sensible to draw
	}
	gw, gh := 2*p.w, 4*p.h
	// y axis and labels
	for y := 0; y < p.h; y++ {
		c.At(p.x0-1, y).Ch, c.At(p.x0-1, y).FG = '│', ch.AxisColor
	}
	for _, v := range ch.yTicks() {
		y := p.h - 1 - int(math.Round(ch.ty(v)*float64(p.h-1)))
		if y >= 0 && y < p.h {
			l := FormatTick(v)
			c.Text(p.x0-2-Width(l), y, l, ch.AxisColor)
			c.At(p.x0-1, y).Ch = '┤'
		}
	}
	if ch.hasRight() {
		x := p.x0 + p.w
		for y := 0; y < p.h; y++ {
			c.At(x, y).Ch, c.At(x, y).FG = '│', ch.AxisColor
		}
		for _, v := range ch.y2Ticks() {
			y := p.h - 1 - int(math.Round((v-ch.Y2Min)/(ch.Y2Max-ch.Y2Min)*float64(p.h-1)))
			if y >= 0 && y < p.h {
				c.Text(x+2, y, ch.y2Label(v), ch.AxisColor)
				c.At(x, y).Ch = '├'
			}
		}
	}
	// x axis labels, spaced so they do not touch
	c.Text(p.x0-1, p.h, "└", ch.AxisColor)
	next := p.x0
	for _, v := range Ticks(ch.XMin, ch.XMax, max(2, p.w/10)) {
		col := ch.Column(v)
		l := FormatTick(v)
		start := max(col-Width(l)/2, p.x0)
		if col < 0 || start < next || start+Width(l) > ch.W {
			continue
		}
		c.Text(start, p.h, l, ch.AxisColor)
		next = start + Width(l) + 1
	}
	// centre marks and the cursor, under the data
	for _, m := range ch.Marks {
		if col := ch.Column(m); col >= 0 {
			for y := 0; y < p.h; y++ {
				c.At(col, y).Ch, c.At(col, y).FG, c.At(col, y).Faint = '┊', ch.MarkColor, true
			}
		}
	}
	if col := ch.Column(ch.Cursor); !math.IsNaN(ch.Cursor) && col >= 0 {
		for y := 0; y < p.h; y++ {
			cell := c.At(col, y)
			cell.Ch, cell.FG, cell.Faint = '│', ch.CursorColor, false
		}
	}
	// the series, braille, clipped to the plot before any line is drawn
	for _, s := range ch.Series {
		grid := ch.trace(s, gw, gh)
		for y, row := range grid.BraillePatterns() {
			for x, r := range row {
				if r == runes.BrailleBlockOffset || r == 0 {
					continue
				}
				cell := c.At(p.x0+x, y)
				if runes.IsBraillePattern(cell.Ch) {
					r = runes.CombineBraillePatterns(cell.Ch, r)
				}
				cell.Ch, cell.FG, cell.Faint = r, s.Color, s.Faint
			}
		}
	}
	return c
}
