package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
)

// The 3D view draws the 2D view's points; arrows turn it, shift+arrows
// tilt it, space spins it (frames come while it spins).
func TestSurfaceView(t *testing.T) {
	o := testOptions(t)
	ck, _ := checkpoint.Pretrained("small")
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true
	m.ready()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	plane := find[*planeView](m)
	pump(t, m, func() bool { return plane.cur != nil && plane.cur.Computed() == plane.cur.Len() })
	show[*surfaceView](m)
	v := find[*surfaceView](m)
	out := m.View()
	if !strings.Contains(out, "3D") || !strings.Contains(out, "✕") || !strings.ContainsAny(out, "=+*#") { // no colour in tests: the shade's ramp
		t.Fatalf("3D view:\n%s", out)
	}
	yaw, pitch := v.cam.Yaw, v.cam.Pitch
	m.Update(tea.KeyMsg{Type: tea.KeyRight})
	m.Update(tea.KeyMsg{Type: tea.KeyShiftUp})
	if v.cam.Yaw <= yaw || v.cam.Pitch <= pitch {
		t.Fatalf("yaw %v → %v, pitch %v → %v", yaw, v.cam.Yaw, pitch, v.cam.Pitch)
	}
	if m.View() == out {
		t.Error("turning did not change the picture")
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeySpace})
	if !v.spin || cmd == nil || !m.ticking {
		t.Fatal("space did not start the spin")
	}
	before := v.cam.Yaw
	m.Update(frameMsg{})
	if v.cam.Yaw <= before {
		t.Error("a frame did not turn it")
	}
	// F: the view as a figure, in the run folder.
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("F")})
	pump(t, m, func() bool { return strings.HasPrefix(m.note, "figure saved") || m.errMsg != "" })
	path := strings.TrimPrefix(m.note, "figure saved: ")
	if b, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(b), "\x89PNG") || !strings.Contains(path, "figure-3d-1.png") {
		t.Fatalf("figure %q: %v (%s)", path, err, m.errMsg)
	}
}

// --demo: the shipped model, the tour moving the views on its own; any
// key stops it and is not acted on.
func TestDemoTour(t *testing.T) {
	o, err := ParseFlags([]string{"--demo"}, os.Stdout, noEnv)
	if err != nil || !o.Pretrained || !o.Demo {
		t.Fatalf("%+v %v", o, err)
	}
	to := testOptions(t)
	to.Demo = true
	ck, _ := checkpoint.Pretrained("small")
	m := newModel(to, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.Init()
	if m.tour == nil || m.views[m.active].title() != "1D scan" {
		t.Fatalf("tour %v on %s", m.tour, m.views[m.active].title())
	}
	plane := find[*planeView](m)
	for i := 0; i < 2; i++ {
		m.Update(demoMsg{gen: m.tour.gen})
	}
	if got := m.views[m.active].title(); got != "3D" || !find[*surfaceView](m).spin || plane.alpha().Max-plane.alpha().Min != 2 {
		t.Fatalf("step 3 of the tour: %s, the window %+v (the whole bowl)", got, plane.alpha())
	}
	if !strings.Contains(m.View(), "The same landscape as a surface") || strings.Contains(m.View(), "? all keys") {
		t.Errorf("the 3D step's screen has no caption, or keys:\n%s", m.View())
	}
	for i := 0; i < 2; i++ {
		m.Update(demoMsg{gen: m.tour.gen})
	}
	if a := plane.alpha(); a.Max-a.Min >= 2 {
		t.Errorf("the tour did not zoom into the basin: %+v", a)
	}
	// Two loops of the tour, every scan run to its end: nothing written.
	for loop := 0; loop < 2; loop++ {
		for i := 0; i < len(tour); i++ {
			m.Update(demoMsg{gen: m.tour.gen})
			pump(t, m, func() bool { return !plane.running && !find[*lineView](m).running })
		}
	}
	if files, _ := filepath.Glob(filepath.Join(to.RunsDir, "*", "*")); len(files) > 0 {
		t.Errorf("the demo wrote %v", files)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}) // stops the tour, does not quit
	if m.tour != nil || find[*surfaceView](m).spin {
		t.Fatal("a key did not stop the tour")
	}
}
