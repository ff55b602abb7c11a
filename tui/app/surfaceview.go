package app

import (
	"fmt"
	"math"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/render"
)

// surfaceView draws the 2D scan as a lit 3D surface (Li et al.'s best-known
// figures), from the 2D view's own points: the same window, the same
// colour scale, filling in as that scan computes. Half-block pixels with a
// depth buffer and light on each face, rather than a braille wireframe:
// the wireframe's crossing lines read as noise in a terminal, while shaded
// faces show the basin's shape at a glance, even from the back of a room.
type surfaceView struct {
	c     *common
	plane *planeView
	cam   render.Camera
	spin  bool // turning by itself (space, or the demo)
}

// surfaceGrid is how finely the window is sampled for the surface: enough
// faces to look smooth, few enough to draw in a millisecond or two.
const surfaceGrid = 48

func newSurfaceView(c *common, plane *planeView) *surfaceView {
	return &surfaceView{c: c, plane: plane, cam: render.DefaultCamera()}
}

func (v *surfaceView) title() string { return "3D" }

// outOfFlow: the app's own flow ends on the plane; 3D is a key (or the demo) away.
func (v *surfaceView) outOfFlow() {}

func (v *surfaceView) keys() helpKeys {
	k := v.c.keys
	return helpKeys{
		short: []key.Binding{k.Rotate, k.Tilt, k.ZoomIn, k.ZoomOut, k.Spin},
		full:  [][]key.Binding{{k.Rotate, k.Tilt, k.ZoomIn, k.ZoomOut, k.Reset, k.Spin}},
	}
}

func (v *surfaceView) key(msg tea.KeyMsg) bool {
	const turn = math.Pi / 18 // 10°
	switch msg.String() {
	case "left", "h":
		v.cam.Yaw -= turn
	case "right", "l":
		v.cam.Yaw += turn
	case "shift+up", "K", "up", "k":
		v.cam.Pitch = math.Min(v.cam.Pitch+turn/2, math.Pi/2)
	case "shift+down", "J", "down", "j":
		v.cam.Pitch = math.Max(v.cam.Pitch-turn/2, 0)
	case "+", "=":
		v.cam.Zoom = math.Min(v.cam.Zoom*1.25, 8)
	case "-", "_":
		v.cam.Zoom = math.Max(v.cam.Zoom/1.25, 0.2)
	case "0":
		v.cam = render.DefaultCamera()
	case " ":
		v.spin = !v.spin
	default:
		return false
	}
	return true
}

// animating reports whether the view wants frames (it is turning).
func (v *surfaceView) animating() bool      { return v.spin }
func (v *surfaceView) setAnimating(on bool) { v.spin = on }

// frame turns the surface a little: one tick of the spin.
func (v *surfaceView) frame() { v.cam.Yaw += math.Pi / 90 }

func (v *surfaceView) status() []string { return v.plane.status() }
func (v *surfaceView) activity() string { return "" } // the 2D view's, already in the status bar

func (v *surfaceView) view(w, h int) string {
	st, p := v.c.st, &v.plane.scanState
	al, be := p.alpha(), p.beta()
	ph := max(h-3, 3)
	f := field(p, surfaceGrid, surfaceGrid)
	scale := render.ScaleOf(f, p.log)
	var mark *[2]float64
	if al.Min <= 0 && al.Max >= 0 && be.Min <= 0 && be.Max >= 0 { // θ* in the window
		mark = &[2]float64{(0-al.Min)/(al.Max-al.Min)*surfaceGrid - 0.5, (be.Max-0)/(be.Max-be.Min)*surfaceGrid - 0.5}
	}
	barW := 11
	canvas := render.Surface3D(f, scale, st.profile, v.cam, max(w-barW-1, 10), ph, mark, st.cross)
	full := render.NewCanvas(w, ph)
	full.Blit(0, 0, canvas)
	if scale.Max > scale.Min && st.profile != render.NoColor { // without colour the characters are the light, not the loss
		full.Blit(w-barW, 0, render.ColorBar(ph, barW, scale, render.NewPalette(st.profile), st.axis))
	}
	spin := ""
	if v.spin {
		spin = " · turning (space stops)"
	}
	title := st.title.Render("3D") + st.faint.Render(fmt.Sprintf("  f(α,β) over α %s:%s, β %s:%s · the 2D view's points and colour scale (%s) · ✕ θ* · yaw %.0f° tilt %.0f°%s",
		render.FormatTick(al.Min), render.FormatTick(al.Max), render.FormatTick(be.Min), render.FormatTick(be.Max), p.scaleName(),
		math.Mod(v.cam.Yaw*180/math.Pi+360, 360), v.cam.Pitch*180/math.Pi, spin))
	return truncate(title, w) + "\n" + full.String() + "\n" + p.readoutLine(w) + "\n" + p.progressLine(w)
}

// figure is the plane under the surface as it stands (F).
// figure is the surface as it is turned on screen, as Li et al.'s 3D
// figures are drawn (F).
func (v *surfaceView) figure() (figure.Figure, string, error) {
	s := v.plane.cur
	if s == nil || s.Computed() == 0 {
		return figure.Figure{}, "", fmt.Errorf("no points to draw yet")
	}
	f, err := figure.Surface3D(s, v.plane.log, v.cam.Yaw, v.cam.Pitch)
	return f, "figure-3d", err
}
