package render

import "fmt"

// ColorBar draws a vertical legend of h rows for the scale: a swatch
// (high values at the top) with value labels, or, without colour, the
// ramp characters with the value where each begins. Width is w cells.
func ColorBar(h, w int, s Scale, pal Palette, labelFG Color) *Canvas {
	c := NewCanvas(w, h)
	if pal.Profile == NoColor {
		steps := pal.Steps()
		rows := min(steps, h)
		for i := 0; i < rows; i++ {
			k := steps - 1 - i*steps/rows // top row is the highest step
			lo := s.Value(float64(k) / float64(steps))
			label := fmt.Sprintf("%c ≥%s", Ramp[k], FormatTick(lo))
			if Ramp[k] == ' ' { // blank in the map, as here: below the next step
				label = fmt.Sprintf("  <%s", FormatTick(s.Value(float64(k+1)/float64(steps))))
			}
			c.Text(0, i, label, labelFG)
		}
		if h > rows {
			c.Text(0, rows, fmt.Sprintf("%c off", OffScaleChar), labelFG)
		}
		return c
	}
	for y := 0; y < h; y++ {
		t := 1 - (float64(y)+0.5)/float64(h)
		col := pal.At(t)
		for x := 0; x < min(2, w); x++ {
			c.At(x, y).BG = col
		}
	}
	// Labels at the top, bottom and evenly between, at least 3 rows apart.
	n := max(2, min(h/3, 6))
	for i := 0; i < n; i++ {
		y := i * (h - 1) / (n - 1)
		t := 1 - float64(y)/float64(max(h-1, 1))
		c.Text(3, y, FormatTick(s.Value(t)), labelFG)
	}
	return c
}
