package figure

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
)

// Surface3D is a plane drawn as Li et al. draw their 3D figures: the loss
// as a lit surface over the α, β window, seen from yaw (radians, about
// the vertical) and pitch (above the plane), each grid square filled by
// the colour of its loss and shaded by its slope, with a thin wire, θ*
// marked ✕; the colour bar beside it. Squares with a point not computed
// are left out.
func Surface3D(s *surface.Surface, log bool, yaw, pitch float64) (Figure, error) {
	if err := drawable(s); err != nil {
		return Figure{}, err
	}
	if s.Alpha.N < 2 || s.Beta.N < 2 {
		return Figure{}, fmt.Errorf("a 3D figure needs a plane of at least 2×2 points")
	}
	s, note := filled(s)
	g := grid{s: s, log: log}
	lo, hi := zrange(g)
	if !(hi > lo) {
		hi = lo + 1
	}
	bar := colorBar(lo, hi, scaleLabel(log), false)
	c, r := g.Dims()
	type vert struct {
		x, y, depth, t float64
		wx, wy, wz     float64
		ok             bool
	}
	const height = 1.1 // the surface's height against the window's side of 2
	cy, sy, cp, sp := math.Cos(yaw), math.Sin(yaw), math.Cos(pitch), math.Sin(pitch)
	project := func(wx, wy, wz float64) (x, y, depth float64) {
		rx, ry := wx*cy-wy*sy, wx*sy+wy*cy
		return rx, ry*sp + wz*cp, ry*cp - wz*sp
	}
	verts := make([]vert, c*r)
	for i := 0; i < c; i++ {
		for j := 0; j < r; j++ {
			z := g.Z(i, j)
			v := vert{wx: 2*float64(i)/float64(c-1) - 1, wy: 2*float64(j)/float64(r-1) - 1, ok: finite(z)}
			if v.ok {
				v.t = math.Min(math.Max((z-lo)/(hi-lo), 0), 1)
			}
			v.wz = (v.t - 0.5) * height
			v.x, v.y, v.depth = project(v.wx, v.wy, v.wz)
			verts[i*r+j] = v
		}
	}
	type quad struct {
		v     [4]*vert
		depth float64
	}
	var quads []quad
	for i := 0; i+1 < c; i++ {
		for j := 0; j+1 < r; j++ {
			q := quad{v: [4]*vert{&verts[i*r+j], &verts[(i+1)*r+j], &verts[(i+1)*r+j+1], &verts[i*r+j+1]}}
			ok := true
			for _, v := range q.v {
				ok = ok && v.ok
				q.depth += v.depth / 4
			}
			if ok {
				quads = append(quads, q)
			}
		}
	}
	sort.Slice(quads, func(a, b int) bool { return quads[a].depth > quads[b].depth }) // far first
	light := [3]float64{-0.45, 0.35, 0.82}
	ln := math.Sqrt(light[0]*light[0] + light[1]*light[1] + light[2]*light[2])
	return Figure{W: 6.8 * vg.Inch, H: 5 * vg.Inch, Draw: func(dc draw.Canvas) {
		dc = withCaption(dc, Caption(s.Meta)+note)
		w := dc.Max.X - dc.Min.X
		area := draw.Crop(dc, 0, -w*0.17, 0, -vg.Points(22))
		titleSty := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 12), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YTop}
		dc.FillText(titleSty, vg.Point{X: (area.Min.X + area.Max.X) / 2, Y: dc.Max.Y - vg.Points(2)}, title(s))
		cx, cyy := (area.Min.X+area.Max.X)/2, (area.Min.Y+area.Max.Y)/2
		unit := vg.Length(math.Min(float64(area.Max.X-area.Min.X), float64(area.Max.Y-area.Min.Y))) / 2.9
		at := func(x, y float64) vg.Point {
			return vg.Point{X: cx + vg.Length(x)*unit, Y: cyy + vg.Length(y)*unit}
		}
		wire := draw.LineStyle{Color: color.NRGBA{0, 0, 0, 60}, Width: vg.Points(0.3)}
		for _, q := range quads {
			a, b, d := q.v[0], q.v[1], q.v[3]
			ux, uy, uz := b.wx-a.wx, b.wy-a.wy, b.wz-a.wz
			vx, vy, vz := d.wx-a.wx, d.wy-a.wy, d.wz-a.wz
			nx, ny, nz := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
			shade := 1.0
			if nl := math.Sqrt(nx*nx + ny*ny + nz*nz); nl > 0 {
				shade = 0.55 + 0.45*math.Abs(nx*light[0]+ny*light[1]+nz*light[2])/(nl*ln)
			}
			t := (q.v[0].t + q.v[1].t + q.v[2].t + q.v[3].t) / 4
			cr, cg, cb := render.Viridis(t)
			col := color.RGBA{uint8(float64(cr) * shade), uint8(float64(cg) * shade), uint8(float64(cb) * shade), 255}
			pts := make([]vg.Point, 0, 5)
			for _, v := range q.v {
				pts = append(pts, at(v.x, v.y))
			}
			dc.FillPolygon(col, pts)
			dc.StrokeLines(wire, append(pts, pts[0]))
		}
		// θ* at the plane's (0, 0), on the surface.
		al, be := s.Alpha, s.Beta
		if al.Min <= 0 && al.Max >= 0 && be.Min <= 0 && be.Max >= 0 {
			i := int(math.Round(-al.Min / (al.Max - al.Min) * float64(c-1)))
			j := int(math.Round(-be.Min / (be.Max - be.Min) * float64(r-1)))
			if v := verts[i*r+j]; v.ok {
				p := at(v.x, v.y)
				red := draw.LineStyle{Color: color.RGBA{220, 20, 30, 255}, Width: vg.Points(1.6)}
				d := vg.Points(4)
				dc.StrokeLine2(red, p.X-d, p.Y-d, p.X+d, p.Y+d)
				dc.StrokeLine2(red, p.X-d, p.Y+d, p.X+d, p.Y-d)
			}
		}
		bar.Draw(draw.Crop(dc, w*0.86, -vg.Points(10), vg.Points(24), -vg.Points(26)))
	}}, nil
}
