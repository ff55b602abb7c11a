package render

import (
	"math"

	"github.com/NimbleMarkets/ntcharts/canvas/runes"
)

// Field is a W×H grid of values, row 0 at the top. NaN means unknown (not
// computed yet: drawn blank); +Inf means off scale.
type Field struct {
	W, H int
	V    []float64
}

// NewField returns a field of unknowns.
func NewField(w, h int) Field {
	f := Field{W: max(w, 1), H: max(h, 1)}
	f.V = make([]float64, f.W*f.H)
	for i := range f.V {
		f.V[i] = math.NaN()
	}
	return f
}

// At returns the value at (x, y), NaN outside.
func (f Field) At(x, y int) float64 {
	if x < 0 || y < 0 || x >= f.W || y >= f.H {
		return math.NaN()
	}
	return f.V[y*f.W+x]
}

// ScaleOf returns the range of the finite values of f (Min = Max = 0
// when there are none).
func ScaleOf(f Field, log bool) Scale {
	s := Scale{Min: math.Inf(1), Max: math.Inf(-1), Log: log}
	for _, v := range f.V {
		if Finite(v) {
			s.Min, s.Max = math.Min(s.Min, v), math.Max(s.Max, v)
		}
	}
	if s.Min > s.Max {
		return Scale{Log: log}
	}
	return s
}

// Heatmap draws a field of W×2H values into W×H cells: each cell is an
// upper half block whose foreground is the top value's colour and whose
// background is the bottom value's. Without colour each cell is a ramp
// character for the mean of its two values.
func Heatmap(f Field, s Scale, pal Palette) *Canvas {
	c := NewCanvas(f.W, (f.H+1)/2)
	for y := 0; y < c.H; y++ {
		for x := 0; x < c.W; x++ {
			top, bot := f.At(x, 2*y), f.At(x, 2*y+1)
			cell := c.At(x, y)
			if pal.Profile == NoColor {
				cell.Ch = rampCell(top, bot, s, pal)
				continue
			}
			tc, tk := colorOf(top, s, pal)
			bc, bk := colorOf(bot, s, pal)
			switch {
			case tk && bk && tc == bc:
				cell.Ch, cell.BG = ' ', bc
			case tk && bk:
				cell.Ch, cell.FG, cell.BG = '▀', tc, bc
			case tk:
				cell.Ch, cell.FG = '▀', tc
			case bk:
				cell.Ch, cell.FG = '▄', bc
			}
		}
	}
	return c
}

func colorOf(v float64, s Scale, pal Palette) (Color, bool) {
	switch {
	case math.IsNaN(v):
		return None, false
	case math.IsInf(v, 0):
		return pal.OffScale(), true
	}
	return pal.At(s.T(v)), true
}

func rampCell(top, bot float64, s Scale, pal Palette) rune {
	if math.IsInf(top, 0) || math.IsInf(bot, 0) {
		return OffScaleChar
	}
	v := meanKnown(top, bot)
	if math.IsNaN(v) {
		return ' '
	}
	return rune(pal.Char(s.T(v)))
}

func meanKnown(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return (a + b) / 2
}

// cellBackground is the colour of a heatmap cell as one colour (the mean
// of its two values), for overlays that replace the half block.
func cellBackground(f Field, x, y int, s Scale, pal Palette) Color {
	top, bot := f.At(x, 2*y), f.At(x, 2*y+1)
	if math.IsInf(top, 0) || math.IsInf(bot, 0) {
		return pal.OffScale()
	}
	v := meanKnown(top, bot)
	if math.IsNaN(v) {
		return None
	}
	return pal.At(s.T(v))
}

// Contours marks, on a braille grid of fine.W×fine.H dots (2 per cell
// across, 4 down), the dots where the field crosses one of the levels, and
// overlays them on c: the braille rune takes the cell, in colour fg, over
// the cell's heatmap colour (from coarse, the W×2H heatmap field).
func Contours(c *Canvas, fine, coarse Field, levels []float64, s Scale, pal Palette, fg Color) {
	contours(c, fine, levels, func(cell *Cell, x, y int, r rune) {
		cell.Ch, cell.FG, cell.BG = r, fg, cellBackground(coarse, x, y, s, pal)
	})
}

// ContourLines is Contours for a plot of contours alone: each dot takes
// the colour the heatmap has there (the level's), on no background, as a
// contour plot draws its lines.
func ContourLines(c *Canvas, fine, coarse Field, levels []float64, s Scale, pal Palette) {
	contours(c, fine, levels, func(cell *Cell, x, y int, r rune) {
		cell.Ch, cell.FG, cell.BG = r, cellBackground(coarse, x, y, s, pal), None
	})
}

// contours finds the dots where fine crosses a level and paints their
// cells of c.
func contours(c *Canvas, fine Field, levels []float64, paint func(cell *Cell, x, y int, r rune)) {
	grid := runes.NewPatternDotsGrid(fine.W, fine.H)
	band := func(v float64) int {
		if !Finite(v) {
			return -1
		}
		n := 0
		for _, l := range levels {
			if v >= l {
				n++
			}
		}
		return n
	}
	bands := make([]int, len(fine.V))
	for i, v := range fine.V {
		bands[i] = band(v)
	}
	any := false
	for y := 0; y < fine.H; y++ {
		for x := 0; x < fine.W; x++ {
			b := bands[y*fine.W+x]
			if b < 0 {
				continue
			}
			if (x+1 < fine.W && bands[y*fine.W+x+1] >= 0 && bands[y*fine.W+x+1] != b) ||
				(y+1 < fine.H && bands[(y+1)*fine.W+x] >= 0 && bands[(y+1)*fine.W+x] != b) {
				grid.Set(x, y)
				any = true
			}
		}
	}
	if any {
		overlay(c, grid, paint)
	}
}

// overlay calls paint for each cell of c that grid has dots in, with the
// cell's braille rune.
func overlay(c *Canvas, grid *runes.PatternDotsGrid, paint func(cell *Cell, x, y int, r rune)) {
	for y, row := range grid.BraillePatterns() {
		for x, r := range row {
			if r == runes.BrailleBlockOffset || r == 0 {
				continue
			}
			if cell := c.At(x, y); cell != nil {
				paint(cell, x, y, r)
			}
		}
	}
}

// Polyline draws a path over a heatmap: the points (xs, ys in braille dots,
// 2 per cell across and 4 down, NaN breaking the line) joined by straight
// lines of dots, in colour fg over each cell's heatmap colour (from
// coarse). Dots outside c are dropped.
func Polyline(c *Canvas, coarse Field, s Scale, pal Palette, xs, ys []float64, fg Color) {
	gw, gh := 2*c.W, 4*c.H
	grid := runes.NewPatternDotsGrid(gw, gh)
	set := func(x, y int) {
		if x >= 0 && y >= 0 && x < gw && y < gh {
			grid.Set(x, y)
		}
	}
	var prevX, prevY int
	have := false
	for i := range xs {
		if !Finite(xs[i]) || !Finite(ys[i]) {
			have = false
			continue
		}
		// Clamp far-off points to a margin around the canvas, so a
		// line towards them is drawn in the right direction without
		// walking millions of dots.
		x := int(math.Floor(math.Max(math.Min(xs[i], float64(3*gw)), float64(-2*gw))))
		y := int(math.Floor(math.Max(math.Min(ys[i], float64(3*gh)), float64(-2*gh))))
		if have {
			line(prevX, prevY, x, y, set)
		} else {
			set(x, y)
		}
		prevX, prevY, have = x, y, true
	}
	overlay(c, grid, func(cell *Cell, x, y int, r rune) {
		if runes.IsBraillePattern(cell.Ch) { // a contour: both show
			r = runes.CombineBraillePatterns(cell.Ch, r)
		} else {
			cell.BG = cellBackground(coarse, x, y, s, pal)
		}
		cell.Ch, cell.FG, cell.Bold = r, fg, true
	})
}

// line calls set at each dot of the segment (Bresenham).
func line(x0, y0, x1, y1 int, set func(x, y int)) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		set(x0, y0)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
