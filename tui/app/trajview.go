package app

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/trajectory"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

// trajView is the training path on the landscape (Li et al. 2018, §7):
// the PCA plane of the run's snapshots, scanned like the 2D view, with
// the path drawn over it; , and . walk the cursor along the snapshots.
type trajView struct {
	scanState
	layers  int
	loadID  int
	loading bool
	missing string // why there is no path to show
	snap    int    // the snapshot the cursor is on; -1: none
	waiting bool   // the plane is known; its scan starts when the view is shown
}

func newTrajView(c *common) *trajView {
	o := c.opts
	v := &trajView{scanState: newScanState(c, []surface.Axis{o.Alpha, o.Beta}, []int{11, 21, 41, o.Alpha.N}, true), snap: -1}
	v.group, v.fileBase = v, "trajectory"
	return v
}

func (v *trajView) title() string { return "trajectory" }

func (v *trajView) pauseScans(asking view) { v.pause(asking) }

// onRequest: the demo flow does not stop here.
func (v *trajView) onRequest() {}

// ready loads the model's trajectory; the scan starts when it is there.
func (v *trajView) ready() {
	ck := v.model()
	if ck == nil {
		return
	}
	v.along, v.cur, v.prev, v.snap, v.missing, v.waiting = nil, nil, nil, -1, "", false
	if checkpoint.IsPretrained(ck.Path) {
		v.missing = "The shipped models carry no trajectory. Train one (basin, or basin train) and open it: its snapshots are saved beside it."
		return
	}
	cks := []*checkpoint.Checkpoint{ck}
	if o := v.c.other; o != nil && o.Arch.Same(ck.Arch) == nil {
		cks = append(cks, o) // compare: B's path on the pooled plane too
	}
	v.loadID, v.loading = v.c.nextJob(), true
	v.c.eng.LoadTrajectory(v.loadID, cks)
}

// shown: the plane's scan is the costliest of the views' and writes a
// file, so it waits until the view is first looked at.
func (v *trajView) shown() {
	if v.waiting {
		v.waiting = false
		v.restart(true)
		return
	}
	v.scanState.shown()
}

// otherChanged: a B opened or replaced joins the plane.
func (v *trajView) otherChanged() {
	if v.cancel != nil {
		v.cancel()
	}
	v.running = false
	v.ready()
}

func (v *trajView) keys() helpKeys {
	k := v.c.keys
	return helpKeys{
		short: []key.Binding{k.PathPrev, k.PathNext, k.ZoomIn, k.ZoomOut, k.Layers},
		full: [][]key.Binding{
			{k.PathPrev, k.PathNext},
			{k.Left, k.Right, k.Up, k.Down},
			{k.PanLeft, k.PanRight, k.PanUp, k.PanDown},
			{k.ZoomIn, k.ZoomOut, k.Reset, k.Edit, k.Finer, k.Coarser},
			{k.Scale, k.Layers},
		},
	}
}

func (v *trajView) key(msg tea.KeyMsg) bool {
	k := v.c.keys
	if v.form == nil && v.along != nil {
		switch {
		case key.Matches(msg, k.Layers):
			v.layers = (v.layers + 1) % 3
		case key.Matches(msg, k.PathPrev):
			v.walk(-1)
		case key.Matches(msg, k.PathNext):
			v.walk(1)
		default:
			if v.scanState.key(msg) {
				v.snap = -1 // the cursor left the path
				return true
			}
			return false
		}
		v.dirty = true
		return true
	}
	return v.scanState.key(msg)
}

// walk moves the cursor to the next or previous snapshot of the path.
func (v *trajView) walk(d int) {
	p := v.along.Paths[0]
	if v.snap < 0 {
		v.snap = len(p.Steps) - 1 // from θ*, the last snapshot
	}
	v.snap = min(max(v.snap+d, 0), len(p.Steps)-1)
	v.cursor[0], v.cursor[1] = p.X[v.snap], p.Y[v.snap]
}

func (v *trajView) mouse(msg tea.MouseMsg, w, h int) bool {
	legend := 0
	if v.along != nil && len(v.along.Paths) > 1 {
		legend = 1
	}
	x0, y0, pw, ph := planeLayout(w, h-legend, v.aspect())
	y0 += legend
	v.snap = -1
	return v.scanState.mouse(msg, x0, y0, pw, ph)
}

func (v *trajView) handle(ev any) bool {
	if e, ok := ev.(jobs.TrajLoaded); ok {
		if e.ID != v.loadID {
			return false
		}
		v.loading, v.dirty = false, true
		if e.Err != nil {
			v.missing = "No trajectory to show: " + e.Err.Error()
			return true
		}
		v.along = e.Along
		a, b := trajectory.Extent(e.Along.Paths)
		v.axes = []surface.Axis{{Min: a[0], Max: a[1], N: v.axes[0].N}, {Min: b[0], Max: b[1], N: v.axes[1].N}}
		v.home = append([]surface.Axis(nil), v.axes...)
		clear(v.cursor)
		v.waiting = true
		if v.c.root.onScreen(v) {
			v.shown()
		}
		return false
	}
	return v.scanState.handle(ev)
}

func (v *trajView) status() []string {
	if v.along == nil {
		return nil
	}
	return v.scanState.status()
}

func (v *trajView) activity() string {
	if v.loading {
		return "finding the trajectory's plane"
	}
	return v.scanState.activity()
}

func (v *trajView) view(w, h int) string { return v.cached(w, h, v.draw) }

func (v *trajView) draw(w, h int) string {
	st := v.c.st
	head := st.title.Render("Trajectory")
	if v.along == nil {
		msg := "finding the PCA plane of the run's snapshots…"
		if v.missing != "" {
			msg = v.missing
		}
		return head + "\n\n" + st.faint.Width(max(w, 10)).Render(msg)
	}
	al, be := v.alpha(), v.beta()
	legend := ""
	if len(v.along.Paths) > 1 { // a legend, in the paths' colours, takes a line
		var parts []string
		for i, p := range v.along.Paths {
			parts = append(parts, colored(st, "━━ "+"AB"[i:i+1], v.pathColor(i))+" "+st.faint.Render(p.Name))
		}
		legend = truncate(strings.Join(parts, "   "), w) + "\n"
		h--
	}
	p, x0, pw, ph := ownPlane(&v.scanState, v.layers, v.log, w, h)
	canvas := p.draw(st, w, ph)
	for i := len(v.along.Paths) - 1; i >= 0; i-- { // A over B
		v.drawPath(canvas, x0, pw, ph, p.coarse, p.scale, v.along.Paths[i], v.pathColor(i))
	}
	if p.scale.Max > p.scale.Min {
		canvas.Blit(x0+pw+1, 0, render.ColorBar(ph, barW, p.scale, render.NewPalette(st.profile), st.axis))
	}
	ex, snaps := v.along.Explained, 0
	for _, p := range v.along.Paths {
		snaps += len(p.Steps)
	}
	title := head + st.faint.Render(fmt.Sprintf("  PCA plane of %d snapshots · PC1 %.1f%% PC2 %.1f%% of their variance · not normalized · ● start ✕ θ* · grid %dx%d · %s scale",
		snaps, 100*ex[0], 100*ex[1], al.N, be.N, v.scaleName()))
	return truncate(title, w) + "\n" + legend + canvas.String() + "\n" + v.pathLine(w) + "\n" + v.progressLine(w)
}

// pathColor is path i's colour: A's, then B's.
func (v *trajView) pathColor(i int) render.Color {
	if i == 0 {
		return v.c.st.centre
	}
	return v.c.st.acc
}

// drawPath overlays the path (braille lines through the snapshots) and
// its start (●) on the plane's heatmap.
func (v *trajView) drawPath(c *render.Canvas, x0, pw, ph int, coarse render.Field, s render.Scale, p surface.Path, fg render.Color) {
	al, be := v.alpha(), v.beta()
	dotX := func(a float64) float64 { return (a - al.Min) / (al.Max - al.Min) * float64(2*pw) }
	dotY := func(b float64) float64 { return (be.Max - b) / (be.Max - be.Min) * float64(4*ph) }
	xs, ys := make([]float64, len(p.X)), make([]float64, len(p.Y))
	for i := range p.X {
		xs[i], ys[i] = dotX(p.X[i]), dotY(p.Y[i])
	}
	plot := render.NewCanvas(pw, ph)
	plot.Blit(-x0, 0, c) // the plane's cells, to draw over
	render.Polyline(plot, coarse, s, render.NewPalette(v.c.st.profile), xs, ys, fg)
	if len(xs) > 0 {
		if cell := plot.At(int(math.Floor(xs[0]/2)), int(math.Floor(ys[0]/4))); cell != nil {
			cell.Ch, cell.FG, cell.Bold = '●', fg, true
		}
	}
	if cell := plot.At(int(math.Floor(dotX(0)/2)), int(math.Floor(dotY(0)/4))); cell != nil { // θ*, over the path's end
		cell.Ch, cell.FG, cell.Bold = '✕', v.c.st.cross, true
	}
	c.Blit(x0, 0, plot)
}

// pathLine reads the snapshot under the cursor (or the cursor's value).
func (v *trajView) pathLine(w int) string {
	if v.snap < 0 {
		return truncate(v.readoutLine(w)+v.c.st.faint.Render("  · , . walk the path"), w)
	}
	st, p := v.c.st, v.along.Paths[0]
	i := v.snap
	s := st.key.Render(fmt.Sprintf("step %d", p.Steps[i])) + fmt.Sprintf(" (%d/%d) α %.3g β %.3g · off the plane %.3g", i+1, len(p.Steps), p.X[i], p.Y[i], p.Off[i])
	if l, _, se, ok := v.readout(); ok && !math.IsNaN(l) {
		s += fmt.Sprintf(" · surface there %.4f", l)
		if !math.IsNaN(se) {
			s += fmt.Sprintf(" ± %.4f", se)
		}
	}
	if r := math.Hypot(p.X[i], p.Y[i]); p.Off[i] > r && r > 0 {
		s += st.faint.Render(" (farther off the plane than along it: the surface is not the loss the run had here)")
	}
	return truncate(s, w)
}

// figure is the trajectory plane with its paths (F).
func (v *trajView) figure() (figure.Figure, string, error) {
	return scanFigure(&v.scanState, "figure-trajectory")
}
