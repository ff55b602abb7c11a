package render

import (
	"fmt"
	"math"
)

// At 256 colours a palette cannot take each colour's nearest xterm entry:
// the 6×6×6 cube is coarse where viridis is dark, so the nearest entries
// of neighbouring steps jump between greys and lavenders and the ramp's
// lightness goes up and down (a grey band across the map, a floor that
// reads as a hole in the 3D view). Palettes there are chosen whole: the
// cube entries closest in CIELAB to the targets whose lightness only
// rises (or, diverging, rises to the middle and falls after it).

// lab is a colour in CIELAB (D65).
type lab struct{ l, a, b float64 }

func toLab(r, g, b uint8) lab {
	lin := func(v uint8) float64 {
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	R, G, B := lin(r), lin(g), lin(b)
	x := (0.4124*R + 0.3576*G + 0.1805*B) / 0.95047
	y := 0.2126*R + 0.7152*G + 0.0722*B
	z := (0.0193*R + 0.1192*G + 0.9505*B) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return lab{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func (p lab) dist(q lab) float64 {
	dl, da, db := p.l-q.l, p.a-q.a, p.b-q.b
	return math.Sqrt(dl*dl + da*da + db*db)
}

// xterm256 is entry i's RGB, for i in 16..255.
func xterm256(i int) [3]uint8 {
	if i >= 232 {
		v := uint8(8 + 10*(i-232))
		return [3]uint8{v, v, v}
	}
	levels := [6]uint8{0, 95, 135, 175, 215, 255}
	i -= 16
	return [3]uint8{levels[i/36], levels[i/6%6], levels[i%6]}
}

// entry is an xterm colour and its CIELAB coordinates.
type entry struct {
	index int
	lab   lab
}

// colourful are the cube's entries the loss palettes choose from: those
// with colour (CIELAB chroma 30 or more), since a grey, or a lavender
// close to one, reads as no value at all between coloured cells. neutral
// adds the cube's greys and pale colours, for the diverging palette's
// white middle.
var colourful, neutral = func() (c, all []entry) {
	for i := 16; i < 232; i++ {
		x := xterm256(i)
		l := toLab(x[0], x[1], x[2])
		all = append(all, entry{i, l})
		if math.Hypot(l.a, l.b) >= 30 {
			c = append(c, entry{i, l})
		}
	}
	return c, all
}()

// monotone256 picks one cube entry per target, closest in sum of CIELAB
// distance, with lightness rising up to target peak and falling after it
// (peak = len−1: rising throughout), by dynamic programming over the
// entries. A step may keep its neighbour's lightness at a cost of repeat
// (in ΔE; +Inf: never): a palette then trades a few repeated steps for
// colours true to their hue.
func monotone256(cube []entry, targets [][3]uint8, peak int, repeat float64) []int {
	n, m := len(targets), len(cube)
	cost := make([][]float64, n)
	from := make([][]int, n)
	for i, t := range targets {
		tl := toLab(t[0], t[1], t[2])
		cost[i], from[i] = make([]float64, m), make([]int, m)
		for j := range cube {
			d := tl.dist(cube[j].lab)
			if i == 0 {
				cost[i][j] = d
				continue
			}
			best, bj := math.Inf(1), -1
			for k := range cube {
				lj, lk := cube[j].lab.l, cube[k].lab.l
				c := cost[i-1][k]
				switch {
				case lj == lk:
					c += repeat
				case (lj < lk) == (i <= peak):
					continue // the wrong way
				}
				if c < best {
					best, bj = c, k
				}
			}
			cost[i][j], from[i][j] = best+d, bj
		}
	}
	end, best := -1, math.Inf(1)
	for j := range cube {
		if cost[n-1][j] < best {
			best, end = cost[n-1][j], j
		}
	}
	if end < 0 {
		panic(fmt.Sprintf("render: no monotone 256-colour ramp of %d steps", n))
	}
	out := make([]int, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = cube[end].index
		end = from[i][end]
	}
	return out
}

// color256 encodes xterm entry i.
func color256(i int) Color {
	return Color{fmt.Sprintf("38;5;%d", i), fmt.Sprintf("48;5;%d", i)}
}
