package app

import (
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
)

// i in the compare view switches to the interpolation view and computes
// the line from A to B on both splits; the readout has both and the
// barrier, and the file is saved.
func TestInterpolationFromTheCompareView(t *testing.T) {
	o := testOptions(t)
	a, _ := checkpoint.Pretrained("small")
	b := &checkpoint.Checkpoint{Path: "init", Arch: a.Arch, Params: a.Arch.Init(3)}
	o.other = b
	m := newModel(o, a, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true
	m.ready()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	show[*compareView](m)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("i")})
	v := find[*interpView](m)
	if m.views[m.active] != view(v) || !v.running {
		t.Fatalf("on %s, running %v", m.views[m.active].title(), v.running)
	}
	pump(t, m, func() bool { return !v.running })
	out := m.View()
	if v.err != "" || v.file == "" || !strings.Contains(out, "barrier (train)") || !strings.Contains(out, "test ") {
		t.Fatalf("err %q file %q:\n%s", v.err, v.file, out)
	}
	if !(v.train[10] < v.train[30]) { // A (trained) below B (initial weights)
		t.Errorf("train loss at A %v, at B %v", v.train[10], v.train[30])
	}
}
