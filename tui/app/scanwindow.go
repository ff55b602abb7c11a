package app

import (
	"math"
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/direction"
)

// The keys and mouse of the scan views: they move the cursor, move and
// resize the window along each axis, and change the directions; what
// changes the landscape restarts the scan.

// axisKeys are the bindings that act along one axis.
type axisKeys struct{ less, more, panLess, panMore key.Binding }

func (v *scanState) axisKeys() []axisKeys {
	k := v.c.keys
	return []axisKeys{{k.Left, k.Right, k.PanLeft, k.PanRight}, {k.Down, k.Up, k.PanDown, k.PanUp}}[:len(v.axes)]
}

// key handles the keys both scan views share, restarting the scan when the
// window or the directions change; false for a key it does not know.
func (v *scanState) key(msg tea.KeyMsg) bool {
	if v.form != nil {
		v.formKey(msg)
		return true
	}
	k := v.c.keys
	rescan := false
	for i, ak := range v.axisKeys() {
		switch {
		case key.Matches(msg, ak.less):
			v.step(i, -1)
		case key.Matches(msg, ak.more):
			v.step(i, 1)
		case key.Matches(msg, ak.panLess):
			rescan = v.pan(i, -1)
		case key.Matches(msg, ak.panMore):
			rescan = v.pan(i, 1)
		default:
			continue
		}
		v.dirty = true
		if rescan {
			v.restart(true)
		}
		return true
	}
	switch {
	case key.Matches(msg, k.ZoomIn):
		rescan = v.zoom(true)
	case key.Matches(msg, k.ZoomOut):
		rescan = v.zoom(false)
	case key.Matches(msg, k.Reset):
		v.axes = slices.Clone(v.home)
		clear(v.cursor)
		rescan = true
	case key.Matches(msg, k.Finer):
		rescan = v.resolution(1)
	case key.Matches(msg, k.Coarser):
		rescan = v.resolution(-1)
	case v.along != nil && (key.Matches(msg, k.NewDir) || key.Matches(msg, k.Norm)):
		return false // a given plane: no other directions, no normalization
	case key.Matches(msg, k.NewDir):
		v.dir.Seed++
		v.prev = nil // another direction: the old picture is not this landscape
		rescan = true
	case key.Matches(msg, k.Norm):
		i := slices.Index(direction.Norms, v.dir.Norm)
		v.dir.Norm = direction.Norms[(i+1)%len(direction.Norms)]
		v.prev = nil
		rescan = true
	case key.Matches(msg, k.Scale):
		v.log = !v.log
	case key.Matches(msg, k.Edit):
		var labels []string
		var vals []float64
		for i, a := range v.axes {
			labels = append(labels, axisNames[i]+" min", axisNames[i]+" max")
			vals = append(vals, a.Min, a.Max)
		}
		f := newRangeForm(labels, vals)
		v.form = &f
	default:
		return false
	}
	v.dirty = true
	if rescan {
		v.restart(true)
	}
	return true
}

// formKey types into the range form; Enter with valid ranges rescans.
func (v *scanState) formKey(msg tea.KeyMsg) {
	f, res := v.form.update(msg)
	v.form = &f
	v.dirty = true
	if res == nil {
		return
	}
	v.form = nil
	if !res.cancelled {
		v.setRanges(res.values)
		v.restart(true)
	}
}

// step moves the cursor along an axis by whole grid steps, staying in the
// window.
func (v *scanState) step(axis, d int) {
	a := v.axes[axis]
	i := min(max(v.cursorIndex(axis)+d, 0), a.N-1)
	v.cursor[axis] = a.At(i)
}

// cursorIndex snaps the cursor to the grid of the window along an axis.
func (v *scanState) cursorIndex(axis int) int {
	a := v.axes[axis]
	if a.N < 2 {
		return 0
	}
	k := int(math.Round((v.cursor[axis] - a.Min) / (a.Max - a.Min) * float64(a.N-1)))
	return min(max(k, 0), a.N-1)
}

// zoom halves (in) or doubles the window around the cursor; false when
// that would leave 1e-6 … 1e6 (nothing changes then).
func (v *scanState) zoom(in bool) bool {
	f := 2.0
	if in {
		f = 0.5
	}
	for _, a := range v.axes {
		if half := (a.Max - a.Min) / 2 * f; half < 1e-6 || half > 1e6 {
			return false
		}
	}
	for i := range v.axes {
		a := &v.axes[i]
		half := (a.Max - a.Min) / 2 * f
		a.Min, a.Max = v.cursor[i]-half, v.cursor[i]+half
	}
	return true
}

// pan shifts the window (and the cursor with it) by a quarter along an
// axis.
func (v *scanState) pan(axis, d int) bool {
	a := &v.axes[axis]
	s := (a.Max - a.Min) / 4 * float64(d)
	a.Min, a.Max, v.cursor[axis] = a.Min+s, a.Max+s, v.cursor[axis]+s
	return true
}

// resolution moves every axis to the next finer or coarser resolution.
func (v *scanState) resolution(d int) bool {
	n := v.axes[0].N
	i := slices.Index(v.resolutions, n)
	if i < 0 {
		i = 0
	}
	i = min(max(i+d, 0), len(v.resolutions)-1)
	if v.resolutions[i] == n {
		return false
	}
	for a := range v.axes {
		v.axes[a].N = v.resolutions[i]
	}
	return true
}

// setRanges applies the form's validated values, min and max per axis.
func (v *scanState) setRanges(vals []float64) {
	for i := range v.axes {
		a := &v.axes[i]
		a.Min, a.Max = vals[2*i], vals[2*i+1]
		v.cursor[i] = math.Min(math.Max(v.cursor[i], a.Min), a.Max)
	}
	v.dirty = true
}

// pointTo moves the cursor to the cell (x, y) of a plot whose first cell is
// (x0, y0) and size pw×ph, snapped to the grid; false outside the plot. A
// plot's y grows downwards and β upwards.
func (v *scanState) pointTo(x, y, x0, y0, pw, ph int) bool {
	px, py := x-x0, y-y0
	if px < 0 || px >= pw || py < 0 || py >= ph {
		return false
	}
	frac := []float64{(float64(px) + 0.5) / float64(pw), 1 - (float64(py)+0.5)/float64(ph)}
	for i := range v.axes {
		a := v.axes[i]
		v.cursor[i] = a.Min + frac[i]*(a.Max-a.Min)
		v.cursor[i] = a.At(v.cursorIndex(i))
	}
	v.dirty = true
	return true
}

// mouse zooms with the wheel and points with a click inside the plot.
func (v *scanState) mouse(msg tea.MouseMsg, x0, y0, pw, ph int) bool {
	if v.form != nil || msg.Action != tea.MouseActionPress {
		return false
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp, tea.MouseButtonWheelDown:
		if v.pointTo(msg.X, msg.Y, x0, y0, pw, ph) {
			if v.zoom(msg.Button == tea.MouseButtonWheelUp) {
				v.restart(true)
			}
			return true
		}
	case tea.MouseButtonLeft:
		return v.pointTo(msg.X, msg.Y, x0, y0, pw, ph)
	}
	return false
}
