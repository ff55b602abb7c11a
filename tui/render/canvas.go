package render

import (
	"strings"
	"unicode/utf8"
)

// Cell is one character on the screen.
type Cell struct {
	Ch     rune
	FG, BG Color
	Bold   bool
	Faint  bool
}

// Canvas is a W×H grid of cells.
type Canvas struct {
	W, H  int
	Cells []Cell
}

// NewCanvas returns a blank canvas (sizes below 1 become 1).
func NewCanvas(w, h int) *Canvas {
	w, h = max(w, 1), max(h, 1)
	c := &Canvas{W: w, H: h, Cells: make([]Cell, w*h)}
	for i := range c.Cells {
		c.Cells[i].Ch = ' '
	}
	return c
}

// At returns the cell at (x, y), or nil outside the canvas.
func (c *Canvas) At(x, y int) *Cell {
	if x < 0 || y < 0 || x >= c.W || y >= c.H {
		return nil
	}
	return &c.Cells[y*c.W+x]
}

// Text writes s from (x, y) in colour fg, clipped to the canvas.
func (c *Canvas) Text(x, y int, s string, fg Color) {
	for _, r := range s {
		if cell := c.At(x, y); cell != nil {
			cell.Ch, cell.FG = r, fg
		}
		x++
	}
}

// Blit copies src onto c with its top-left corner at (x, y).
func (c *Canvas) Blit(x, y int, src *Canvas) {
	for sy := 0; sy < src.H; sy++ {
		for sx := 0; sx < src.W; sx++ {
			if cell := c.At(x+sx, y+sy); cell != nil {
				*cell = src.Cells[sy*src.W+sx]
			}
		}
	}
}

// String renders the canvas, one line per row, with escape codes only
// where the style changes, and only for what changes (a frame of a 160×48
// heatmap is tens of kilobytes, and every byte crosses the SSH link and
// the terminal's parser), and a reset at the end of each styled line.
func (c *Canvas) String() string {
	var b strings.Builder
	b.Grow(c.W * c.H * 2)
	for y := 0; y < c.H; y++ {
		var cur Cell // the style in force; starts as the terminal's default
		fresh := true
		for x := 0; x < c.W; x++ {
			cell := c.Cells[y*c.W+x]
			if !sameStyle(cell, cur) {
				writeSGR(&b, cur, cell, fresh)
				cur, fresh = cell, false
			}
			r := cell.Ch
			if r == 0 {
				r = ' '
			}
			b.WriteRune(r)
		}
		if !sameStyle(cur, Cell{}) {
			b.WriteString("\x1b[0m")
		}
		if y < c.H-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func sameStyle(a, b Cell) bool {
	return a.FG.fg == b.FG.fg && a.BG.bg == b.BG.bg && a.Bold == b.Bold && a.Faint == b.Faint
}

// writeSGR moves the terminal from style from to style to. The first
// change of a line starts from a reset (whatever came before the canvas on
// the line), and so does one that turns an attribute or colour off; any
// other sets only what differs.
func writeSGR(b *strings.Builder, from, to Cell, fresh bool) {
	reset := fresh || (from.Bold && !to.Bold) || (from.Faint && !to.Faint) ||
		(from.FG.fg != "" && to.FG.fg == "") || (from.BG.bg != "" && to.BG.bg == "")
	if reset {
		from = Cell{}
	}
	b.WriteString("\x1b[")
	sep := ""
	if reset {
		b.WriteByte('0')
		sep = ";"
	}
	param := func(p string) {
		b.WriteString(sep)
		b.WriteString(p)
		sep = ";"
	}
	if to.Bold && !from.Bold {
		param("1")
	}
	if to.Faint && !from.Faint {
		param("2")
	}
	if to.FG.fg != from.FG.fg {
		param(to.FG.fg)
	}
	if to.BG.bg != from.BG.bg {
		param(to.BG.bg)
	}
	b.WriteByte('m')
}

// Plain returns the characters without any styling (for tests).
func (c *Canvas) Plain() string {
	var b strings.Builder
	for y := 0; y < c.H; y++ {
		for x := 0; x < c.W; x++ {
			r := c.Cells[y*c.W+x].Ch
			if r == 0 {
				r = ' '
			}
			b.WriteRune(r)
		}
		if y < c.H-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Width is the display width of s in cells (runes; basin prints no wide
// characters).
func Width(s string) int { return utf8.RuneCountInString(s) }
