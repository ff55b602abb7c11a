package render

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// sgrTerm is the part of a terminal that reads SGR sequences: it tracks
// the style in force and records each printed rune's style.
type sgrTerm struct {
	fg, bg      string
	bold, faint bool
}

// apply reads one SGR parameter list ("0;38;5;12", "48;2;1;2;3", "1").
func (t *sgrTerm) apply(params string) {
	ps := strings.Split(params, ";")
	for i := 0; i < len(ps); i++ {
		n, _ := strconv.Atoi(ps[i])
		switch {
		case ps[i] == "" || n == 0:
			*t = sgrTerm{}
		case n == 1:
			t.bold = true
		case n == 2:
			t.faint = true
		case n == 22:
			t.bold, t.faint = false, false
		case n == 38 || n == 48:
			k := 3 // 38;5;N
			if ps[i+1] == "2" {
				k = 5 // 38;2;R;G;B
			}
			if n == 38 {
				t.fg = strings.Join(ps[i:i+k], ";")
			} else {
				t.bg = strings.Join(ps[i:i+k], ";")
			}
			i += k - 1
		case n == 39:
			t.fg = ""
		case n == 49:
			t.bg = ""
		case n >= 30 && n <= 37, n >= 90 && n <= 97:
			t.fg = ps[i]
		case n >= 40 && n <= 47, n >= 100 && n <= 107:
			t.bg = ps[i]
		}
	}
}

// Whatever the sequence of styles, the escape codes String writes (the
// deltas between neighbouring cells) leave every cell in its own style, on
// every profile.
func TestCanvasStringStylesEveryCell(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []Profile{TrueColor, ANSI256, ANSI16} {
		colors := []Color{None, p.RGB(10, 20, 200), p.RGB(250, 250, 0), p.RGB(0, 200, 0)}
		c := NewCanvas(40, 12)
		for i := range c.Cells {
			if rng.IntN(3) == 0 && i > 0 { // runs of one style, as heatmaps have
				c.Cells[i] = c.Cells[i-1]
				continue
			}
			c.Cells[i] = Cell{Ch: rune('a' + rng.IntN(26)), FG: colors[rng.IntN(4)], BG: colors[rng.IntN(4)], Bold: rng.IntN(4) == 0, Faint: rng.IntN(5) == 0}
		}
		out := c.String()
		lines := strings.Split(out, "\n")
		if len(lines) != c.H {
			t.Fatalf("%v: %d lines, want %d", p, len(lines), c.H)
		}
		for y, line := range lines {
			var term sgrTerm
			x := 0
			for i := 0; i < len(line); {
				if strings.HasPrefix(line[i:], "\x1b[") {
					end := strings.IndexByte(line[i:], 'm')
					term.apply(line[i+2 : i+end])
					i += end + 1
					continue
				}
				r := []rune(line[i:])[0]
				cell := c.Cells[y*c.W+x]
				want := sgrTerm{fg: cell.FG.fg, bg: cell.BG.bg, bold: cell.Bold, faint: cell.Faint}
				if r != cell.Ch || term != want {
					t.Fatalf("%v: cell (%d,%d) %q in style %+v, want %q in %+v\n%q", p, x, y, r, term, cell.Ch, want, line)
				}
				x++
				i += len(string(r))
			}
			if x != c.W {
				t.Fatalf("%v: line %d has %d cells", p, y, x)
			}
			if term != (sgrTerm{}) {
				t.Fatalf("%v: line %d ends in style %+v: a styled line must end with a reset", p, y, term)
			}
		}
	}
}
