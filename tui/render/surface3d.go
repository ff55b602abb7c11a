package render

import (
	"math"
	"sync"
)

// Camera is how a 3D surface is looked at: Yaw turns it about the vertical
// axis, Pitch raises the eye (0: from the side, π/2: from above), Zoom
// scales the picture, Height scales the values' axis.
type Camera struct {
	Yaw, Pitch, Zoom, Height float64
}

// DefaultCamera looks from the front-left and above, as Li et al.'s 3D
// figures do.
func DefaultCamera() Camera { return Camera{Yaw: -0.6, Pitch: 0.55, Zoom: 1, Height: 1.3} }

// light is the direction the light comes from, fixed to the surface (so
// turning it shows its shape), normalized.
var light = func() [3]float64 {
	l := [3]float64{-0.45, 0.35, 0.82}
	n := math.Sqrt(l[0]*l[0] + l[1]*l[1] + l[2]*l[2])
	return [3]float64{l[0] / n, l[1] / n, l[2] / n}
}()

// shades is how many light levels a colour is drawn in.
const shades = 16

// shadeFactor is light level k's brightness: dark enough to show the
// shape, light enough to keep the palette.
func shadeFactor(k int) float64 { return 0.45 + 0.55*float64(k)/float64(shades-1) }

// shadeTable holds each palette step at each light level, encoded for a
// profile once (encoding a colour per pixel would cost more than drawing).
type shadeTable struct {
	colors [][]Color // [step][shade]
	off    []Color   // off-scale colour per shade
}

var shadeTables sync.Map // Profile → *shadeTable

func shadesFor(p Profile) *shadeTable {
	if t, ok := shadeTables.Load(p); ok {
		return t.(*shadeTable)
	}
	t := &shadeTable{}
	n := 64
	if p == ANSI256 || p == ANSI16 {
		n = 24
	}
	scale := func(r, g, b uint8, k int) Color {
		f := shadeFactor(k)
		return p.RGB(uint8(float64(r)*f), uint8(float64(g)*f), uint8(float64(b)*f))
	}
	for i := 0; i < n; i++ {
		r, g, b := Viridis(float64(i) / float64(n-1))
		row := make([]Color, shades)
		if p == ANSI256 { // the shades of a step as one ramp of rising lightness, no greys
			var targets [][3]uint8
			for k := range row {
				f := shadeFactor(k)
				targets = append(targets, [3]uint8{uint8(float64(r) * f), uint8(float64(g) * f), uint8(float64(b) * f)})
			}
			row = colors256(monotone256(colourful, targets, shades-1, 0))
		} else {
			for k := range row {
				row[k] = scale(r, g, b, k)
			}
		}
		t.colors = append(t.colors, row)
	}
	for k := 0; k < shades; k++ {
		t.off = append(t.off, scale(255, 95, 215, k))
	}
	shadeTables.Store(p, t)
	return t
}

// vertex is a grid point in the picture: pixel position, depth (smaller
// is nearer), its value's place on the scale (NaN: not computed), and
// whether it is off scale.
type vertex struct {
	x, y, z, t float64
	off, ok    bool
	wx, wy, wz float64 // world position, for normals
}

// Surface3D draws the field as a lit 3D surface into a w×h canvas of half
// blocks (two square-ish pixels a cell), with a depth buffer: each grid
// square is two triangles coloured by the scale's palette at their mean
// value and shaded by the light on their face. Points not computed leave
// holes that fill in as they arrive. mark, if not nil, is a field
// coordinate (x, y) drawn as a red ✕ where it is visible (θ*). Without
// colour, the shade picks a ramp character.
func Surface3D(f Field, s Scale, p Profile, cam Camera, w, h int, mark *[2]float64, markColor Color) *Canvas {
	c := NewCanvas(w, h)
	pw, ph := w, 2*h
	if pw < 2 || ph < 2 || f.W < 2 || f.H < 2 {
		return c
	}
	z := newZBuffer(pw, ph)
	verts := vertices(f, s, cam, pw, ph)
	table := shadesFor(p)
	tri := func(a, b, d *vertex) {
		if !a.ok || !b.ok || !d.ok {
			return
		}
		k, lit := shadeOf(a, b, d)
		if !lit {
			return
		}
		var col Color
		switch {
		case a.off || b.off || d.off:
			col = table.off[k]
		case p != NoColor:
			t := (a.t + b.t + d.t) / 3
			row := table.colors[min(int(t*float64(len(table.colors))), len(table.colors)-1)]
			col = row[k]
		}
		z.triangle(a, b, d, col, k)
	}
	for j := 0; j+1 < f.H; j++ {
		for i := 0; i+1 < f.W; i++ {
			a, b := &verts[j*f.W+i], &verts[j*f.W+i+1]
			d, e := &verts[(j+1)*f.W+i], &verts[(j+1)*f.W+i+1]
			tri(a, b, e)
			tri(a, e, d)
		}
	}
	z.cells(c, p)
	if mark != nil {
		i, j := int(math.Round(mark[0])), int(math.Round(mark[1]))
		if i >= 0 && j >= 0 && i < f.W && j < f.H && verts[j*f.W+i].ok {
			v := verts[j*f.W+i]
			px, py := int(v.x), int(v.y)
			if px >= 0 && py >= 0 && px < pw && py < ph && v.z <= z.depth[py*pw+px]+0.05 {
				if cell := c.At(px, py/2); cell != nil {
					cell.Ch, cell.FG, cell.Bold = '✕', markColor, true
				}
			}
		}
	}
	return c
}

// vertices places the field's points on the unit square at heights from
// their place on the scale (off the scale: the top, marked), seen by cam
// on a pw×ph pixel grid.
func vertices(f Field, s Scale, cam Camera, pw, ph int) []vertex {
	cy, sy := math.Cos(cam.Yaw), math.Sin(cam.Yaw)
	cp, sp := math.Cos(cam.Pitch), math.Sin(cam.Pitch)
	zoom := math.Max(cam.Zoom, 0.05)
	unit := zoom * math.Min(float64(pw), float64(ph)*1.05) / 2.6 // the unit square fits with room to turn
	verts := make([]vertex, f.W*f.H)
	for j := 0; j < f.H; j++ {
		for i := 0; i < f.W; i++ {
			v := f.V[j*f.W+i]
			var vt vertex
			vt.wx = 2*float64(i)/float64(f.W-1) - 1
			vt.wy = 1 - 2*float64(j)/float64(f.H-1)
			switch {
			case math.IsNaN(v):
			case math.IsInf(v, 0):
				vt.t, vt.off, vt.ok = 1, true, true
			default:
				vt.t, vt.ok = math.Min(math.Max(s.T(v), 0), 1), true
			}
			vt.wz = (vt.t - 0.5) * cam.Height
			rx, ry := vt.wx*cy-vt.wy*sy, vt.wx*sy+vt.wy*cy
			up := ry*sp + vt.wz*cp
			vt.x, vt.y, vt.z = float64(pw)/2+rx*unit, float64(ph)/2-up*unit+0.15*unit, ry*cp-vt.wz*sp
			verts[j*f.W+i] = vt
		}
	}
	return verts
}

// shadeOf is the light on a face (both sides lit) as a shade level;
// false for a face seen edge-on.
func shadeOf(a, b, d *vertex) (int8, bool) {
	ux, uy, uz := b.wx-a.wx, b.wy-a.wy, b.wz-a.wz
	vx, vy, vz := d.wx-a.wx, d.wy-a.wy, d.wz-a.wz
	nx, ny, nz := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
	nl := math.Sqrt(nx*nx + ny*ny + nz*nz)
	if nl == 0 {
		return 0, false
	}
	shade := math.Abs(nx*light[0]+ny*light[1]+nz*light[2]) / nl
	return int8(min(max(int(shade*float64(shades-1)+0.5), 0), shades-1)), true
}

// zBuffer is the surface drawn in pixels (two a cell, one above the
// other), the nearest face winning each.
type zBuffer struct {
	w, h  int
	depth []float64
	pix   []Color
	lit   []int8 // shade level drawn, -1: background
}

func newZBuffer(w, h int) *zBuffer {
	z := &zBuffer{w: w, h: h, depth: make([]float64, w*h), pix: make([]Color, w*h), lit: make([]int8, w*h)}
	for i := range z.depth {
		z.depth[i], z.lit[i] = math.Inf(1), -1
	}
	return z
}

// triangle rasterizes a face in colour col at shade k where it is nearer
// than what is drawn.
func (z *zBuffer) triangle(a, b, d *vertex, col Color, k int8) {
	x0 := int(math.Floor(math.Min(a.x, math.Min(b.x, d.x))))
	x1 := int(math.Ceil(math.Max(a.x, math.Max(b.x, d.x))))
	y0 := int(math.Floor(math.Min(a.y, math.Min(b.y, d.y))))
	y1 := int(math.Ceil(math.Max(a.y, math.Max(b.y, d.y))))
	x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, z.w-1), min(y1, z.h-1)
	area := (b.x-a.x)*(d.y-a.y) - (b.y-a.y)*(d.x-a.x)
	if area == 0 {
		return
	}
	for py := y0; py <= y1; py++ {
		fy := float64(py) + 0.5
		for px := x0; px <= x1; px++ {
			fx := float64(px) + 0.5
			w0 := ((b.x-fx)*(d.y-fy) - (b.y-fy)*(d.x-fx)) / area
			w1 := ((d.x-fx)*(a.y-fy) - (d.y-fy)*(a.x-fx)) / area
			w2 := 1 - w0 - w1
			if w0 < -1e-9 || w1 < -1e-9 || w2 < -1e-9 {
				continue
			}
			depth := w0*a.z + w1*b.z + w2*d.z
			i := py*z.w + px
			if depth < z.depth[i] {
				z.depth[i], z.pix[i], z.lit[i] = depth, col, k
			}
		}
	}
}

// cells writes the pixels into c: half blocks in colour, the shade ramp
// without.
func (z *zBuffer) cells(c *Canvas, p Profile) {
	for y := 0; y < c.H; y++ {
		for x := 0; x < c.W; x++ {
			top, bot := y*2*z.w+x, (y*2+1)*z.w+x
			cell := c.At(x, y)
			if p == NoColor {
				if k := max(z.lit[top], z.lit[bot]); k >= 0 {
					cell.Ch = rune(Ramp[1+int(k)*(len(Ramp)-2)/(shades-1)])
				}
				continue
			}
			switch {
			case z.lit[top] >= 0 && z.lit[bot] >= 0 && z.pix[top] == z.pix[bot]:
				cell.Ch, cell.BG = ' ', z.pix[bot]
			case z.lit[top] >= 0 && z.lit[bot] >= 0:
				cell.Ch, cell.FG, cell.BG = '▀', z.pix[top], z.pix[bot]
			case z.lit[top] >= 0:
				cell.Ch, cell.FG = '▀', z.pix[top]
			case z.lit[bot] >= 0:
				cell.Ch, cell.FG = '▄', z.pix[bot]
			}
		}
	}
}
