package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

// M lists the run folders' surfaces; Enter on one watches it: drawn in
// the watch view, redrawn when the file is written again.
func TestWatchASurfaceBeingWritten(t *testing.T) {
	o := testOptions(t)
	dir := filepath.Join(o.RunsDir, "20260101-000000-small")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, "scan2d-1.npz")
	s := surface.New(surface.Axis{Min: -1, Max: 1, N: 5}, surface.Axis{Min: -1, Max: 1, N: 5})
	s.Meta = surface.Meta{Kind: "2d", Checkpoint: "m", Preset: "small", Norm: "filter", Seed: 1, Split: "train", Samples: 10}
	beta := s.Beta
	s.Meta.Alpha, s.Meta.Beta = s.Alpha, &beta
	for k := 0; k < 5; k++ {
		s.Set(k, 0.1+float64(k), 0.9)
	}
	if err := surface.Save(path, surface.NPZ, s); err != nil {
		t.Fatal(err)
	}
	ck, _ := checkpoint.Pretrained("small")
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("M")})
	if m.picker == nil || !strings.Contains(m.View(), "enter watches it") {
		t.Fatalf("no surface in the list:\n%s", m.View())
	}
	for m.picker.items[m.picker.sel] != path {
		m.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	m.eng.WatchEvery = 5 * time.Millisecond
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	w := find[*watchView](m)
	pump(t, m, func() bool { return w.surf != nil })
	if out := m.View(); m.views[m.active] != view(w) || !strings.Contains(out, "5 of 25 points") {
		t.Fatalf("watch view:\n%s", out)
	}
	for k := 5; k < 25; k++ {
		s.Set(k, 0.1+float64(k), 0.9)
	}
	if err := surface.Save(path, surface.NPZ, s); err != nil {
		t.Fatal(err)
	}
	pump(t, m, func() bool { return w.surf.Computed() == 25 })
	if out := m.View(); !strings.Contains(out, "25 of 25 points") {
		t.Fatalf("after the write:\n%s", out)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRight})
	if w.plane.cursor[0] != 0.5 {
		t.Errorf("cursor at %v", w.plane.cursor)
	}
}

// A training's progress file (basin train and the app write one beside the
// checkpoint) is watched as a training view: its loss, epochs, and whether
// it still runs.
func TestWatchATraining(t *testing.T) {
	o := testOptions(t)
	dir := filepath.Join(o.RunsDir, "20260101-000000-small")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, "model.progress.json")
	live := train.NewLive(o.Train)
	live.Preset = "standard" // another model than the app's
	for s := 1; s <= 50; s++ {
		live.Add(progress.Step{Epoch: 1, Epochs: 1, Step: s, Steps: 100, Global: s, Loss: 2 / float64(s)})
	}
	if err := live.Save(path); err != nil {
		t.Fatal(err)
	}
	ck, _ := checkpoint.Pretrained("small")
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.eng.WatchEvery = 5 * time.Millisecond
	m.watch(path)
	w := find[*watchView](m)
	pump(t, m, func() bool { return w.live != nil })
	if out := m.View(); !strings.Contains(out, "the training of") || !strings.Contains(out, "(running)") || !strings.Contains(out, "step 50/100") {
		t.Fatalf("watching a training:\n%s", out)
	}
	if bar := ansi.Strip(m.statusBar()); !strings.HasPrefix(bar, " standard │ ") {
		t.Errorf("the status bar names another model: %q", bar)
	}
	live.Done = true
	live.Save(path)
	pump(t, m, func() bool { return w.live.Done })
	if out := m.View(); !strings.Contains(out, "(ended)") {
		t.Fatalf("after it ended:\n%s", out)
	}
}
