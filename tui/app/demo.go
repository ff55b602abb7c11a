package app

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// A tour for a projector (basin --demo): the shipped model's curve, its
// plane, a zoom into the basin, the surface turning in 3D; it loops until
// a key is pressed and then hands the keys over.
type tourStep struct {
	view    string       // the view shown (its title)
	seconds int          // how long
	do      func(*Model) // what happens as it starts, if anything
	caption string       // for the audience, in place of the keys
}

// The tour shows the whole bowl in 3D before zooming in, and writes no
// file: its scans stay in memory and a window seen before is shown again
// from there, not scanned again (the engine's hub keeps them).
var tour = []tourStep{
	{view: "1D scan", seconds: 7, caption: "The loss along one random direction through the trained weights θ* (α = 0)"},
	{view: "2D scan", seconds: 7, caption: "Two random directions: the loss around θ* (✕) as a map, dark is low"},
	{view: "3D", seconds: 16, do: func(m *Model) { m.spin(true) }, caption: "The same landscape as a surface: a wide, flat basin around the minimum"},
	{view: "2D scan", seconds: 5, do: func(m *Model) { m.spin(false); m.press("2D scan", "+") },
		caption: "Zooming in: the basin's floor is flat for a long way in every direction"},
	{view: "2D scan", seconds: 5, do: func(m *Model) { m.press("2D scan", "+") }, caption: "Closer still: flat minima are what SGD tends to find"},
	{view: "2D scan", seconds: 0, do: func(m *Model) { m.press("2D scan", "0") }},
}

// caption is what the tour says now, "" when it is not running.
func (m *Model) caption() string {
	if m.tour == nil || m.tour.step < 0 {
		return ""
	}
	return tour[m.tour.step].caption
}

// demoMsg advances the tour; frameMsg turns a spinning view.
type (
	demoMsg  struct{ gen int }
	frameMsg struct{}
)

// demo is where the tour is.
type demo struct {
	step, gen int
}

// frameEvery is the spin's frame interval: smooth enough on a projector.
const frameEvery = 60 * time.Millisecond

// startTour begins the tour at its first step.
func (m *Model) startTour() tea.Cmd {
	m.tour = &demo{step: -1}
	m.touched = true // the tour, not the demo flow of training, moves the views
	return m.nextStep()
}

// nextStep shows the next step of the tour and schedules the one after.
func (m *Model) nextStep() tea.Cmd {
	d := m.tour
	d.step = (d.step + 1) % len(tour)
	s := tour[d.step]
	m.showView(s.view)
	if s.do != nil {
		s.do(m)
	}
	d.gen++
	gen := d.gen
	return tea.Batch(m.animate(), tea.Tick(time.Duration(s.seconds)*time.Second, func(time.Time) tea.Msg { return demoMsg{gen} }))
}

// stopTour hands the keys over: the tour stops where it is.
func (m *Model) stopTour() {
	m.tour = nil
	m.spin(false)
}

// showView puts the view with this title on screen.
func (m *Model) showView(title string) {
	for i, v := range m.views {
		if v.title() == title {
			m.active = i
			m.shown()
		}
	}
}

// press sends a key to the view with this title.
func (m *Model) press(title, k string) {
	for _, v := range m.views {
		if v.title() == title {
			v.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		}
	}
}

// spin starts or stops the 3D view turning.
func (m *Model) spin(on bool) {
	for _, v := range m.views {
		if a, ok := v.(animator); ok {
			a.setAnimating(on)
		}
	}
}

// animate schedules the next frame when the view on screen is turning.
func (m *Model) animate() tea.Cmd {
	a, ok := m.views[m.active].(animator)
	if !ok || !a.animating() || m.ticking {
		return nil
	}
	m.ticking = true
	return tea.Tick(frameEvery, func(time.Time) tea.Msg { return frameMsg{} })
}
