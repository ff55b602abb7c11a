package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/tui/render"
)

func compareModel(t *testing.T) (*Model, *compareView) {
	t.Helper()
	o := testOptions(t)
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	o.other = ck
	m := newModel(o, ck, tiny, os.Stdout)
	show[*compareView](m)
	return m, find[*compareView](m)
}

// A model compared with itself: the same surfaces point for point, a
// difference of zero, and every key moves both.
func TestCompareViewOfAModelWithItself(t *testing.T) {
	m, v := compareModel(t)
	defer m.eng.Shutdown()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 36})
	v.ready()
	done := func() bool { return !v.a.running && !v.b.running && v.a.cur != nil && v.b.cur != nil }
	pump(t, m, done)
	for k := range v.a.cur.Loss {
		if v.a.cur.Loss[k] != v.b.cur.Loss[k] {
			t.Fatalf("point %d: A %v, B %v", k, v.a.cur.Loss[k], v.b.cur.Loss[k])
		}
	}
	d := difference(field(&v.a, 30, 20), field(&v.b, 30, 20))
	for i, x := range d.V {
		if render.Finite(x) && x != 0 {
			t.Fatalf("A − B is %v at %d", x, i)
		}
	}
	if out := m.View(); !strings.Contains(out, "A − B +0.0000") || !strings.Contains(out, "6 compare") {
		t.Fatalf("view:\n%s", out)
	}
	bid := v.b.id
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("+")})
	if v.b.id == bid || v.b.alpha() != v.a.alpha() || v.a.alpha().Max != 0.5 {
		t.Fatalf("zoom moved A to %+v and B to %+v (B rescanned: %v)", v.a.alpha(), v.b.alpha(), v.b.id != bid)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("k")})
	if v.b.cursor[1] != v.a.cursor[1] || v.a.cursor[1] == 0 {
		t.Fatalf("cursor A %v, B %v", v.a.cursor, v.b.cursor)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("d")})
	if out := m.View(); !v.diff || !strings.Contains(out, "A − B: red where A is higher") {
		t.Fatalf("d did not show the difference:\n%s", out)
	}
	pump(t, m, done)
}

func TestCompareFlags(t *testing.T) {
	o, err := ParseFlags([]string{"--samples", "20", "--compare", "a.safetensors", "b.safetensors", "--grid", "11"}, &bytes.Buffer{}, noEnv)
	if err != nil || o.Checkpoint != "a.safetensors" || o.Compare != "b.safetensors" || o.Samples != 20 || o.Alpha.N != 11 {
		t.Fatalf("%+v %v", o, err)
	}
	for _, args := range [][]string{{"--compare", "a"}, {"--compare", "a", "--grid", "3"}, {"--compare=a", "b"}, {"--checkpoint", "x", "--compare", "a", "b"}} {
		if _, err := ParseFlags(args, &bytes.Buffer{}, noEnv); err == nil || !strings.Contains(err.Error(), "compare") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// The 1D comparison: both curves of a model with itself coincide, and
// keys move both.
func TestCompareLineView(t *testing.T) {
	m, _ := compareModel(t)
	defer m.eng.Shutdown()
	show[*compareLineView](m)
	m.touched = true // stay here: no demo flow to the next view
	v := find[*compareLineView](m)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	v.ready()
	pump(t, m, func() bool { return !v.a.running && !v.b.running && v.a.cur != nil && v.b.cur != nil })
	for k := range v.a.cur.Loss {
		if v.a.cur.Loss[k] != v.b.cur.Loss[k] || v.a.cur.LossSE[k] != v.b.cur.LossSE[k] {
			t.Fatalf("point %d differs", k)
		}
	}
	if out := m.View(); !strings.Contains(out, "━ A") || !strings.Contains(out, "━ B") || !strings.Contains(out, "A − B +0.0000") {
		t.Fatalf("view:\n%s", out)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	if v.b.dir.Seed != 2 || v.a.dir.Seed != 2 || !v.b.running {
		t.Fatalf("n: A seed %d, B seed %d, B scanning %v", v.a.dir.Seed, v.b.dir.Seed, v.b.running)
	}
	pump(t, m, func() bool { return !v.a.running && !v.b.running })
}

// --compare on a folder of the batch-size experiment opens its two runs,
// the smaller batch as A.
func TestCompareExperimentFolder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"batch-2048.safetensors", "batch-32.safetensors", "batch-32.trajectory.safetensors"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	o, err := ParseFlags([]string{"--compare", dir}, &bytes.Buffer{}, noEnv)
	if err != nil || filepath.Base(o.Checkpoint) != "batch-32.safetensors" || filepath.Base(o.Compare) != "batch-2048.safetensors" {
		t.Fatalf("%+v %v", o, err)
	}
	empty := t.TempDir()
	if _, err := ParseFlags([]string{"--compare", empty}, &bytes.Buffer{}, noEnv); err == nil || !strings.Contains(err.Error(), "found 0") {
		t.Fatalf("empty folder: %v", err)
	}
}

// o opens a checkpoint of the run folders as B: the compare views appear
// (before the numbers view) and scan it.
func TestOpenSecondCheckpoint(t *testing.T) {
	o := testOptions(t)
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(o.RunsDir, "20260101-000000-small")
	os.MkdirAll(run, 0o755)
	b := filepath.Join(run, "model.safetensors")
	if err := checkpoint.Save(b, ck.Arch, ck.Arch.Init(9), map[string]string{"preset": "small"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(run, "model.trajectory.safetensors"), []byte("x"), 0o644)
	older := filepath.Join(o.RunsDir, "20250101-000000-small", "model.safetensors")
	os.MkdirAll(filepath.Dir(older), 0o755)
	if err := checkpoint.Save(older, ck.Arch, ck.Arch.Init(10), map[string]string{"preset": "small"}); err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("o")})
	// newest run first; A itself (pretrained:small) is not offered
	if m.picker == nil || len(m.picker.items) != 2 || m.picker.items[0] != b || m.picker.items[1] != older {
		t.Fatalf("picker %+v", m.picker)
	}
	if out := m.View(); !strings.Contains(out, "Compare with") {
		t.Fatalf("picker view:\n%s", out)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	pump(t, m, func() bool { return m.other != nil || m.errMsg != "" })
	var titles []string
	for _, v := range m.views {
		titles = append(titles, v.title())
	}
	if got := strings.Join(titles, ","); got != "training,1D scan,2D scan,3D,compare 1D,compare,interpolation,numbers,trajectory" || m.views[m.active].title() != "compare" {
		t.Fatalf("views %s, on %q (err %q)", got, m.views[m.active].title(), m.errMsg)
	}
	v := find[*compareView](m)
	pump(t, m, func() bool { return !v.a.running && !v.b.running && v.b.cur != nil })
	if v.b.model().Path != b || v.a.cur.Loss[0] == v.b.cur.Loss[0] {
		t.Fatalf("B is %s; losses A %v B %v", v.b.model().Path, v.a.cur.Loss[0], v.b.cur.Loss[0])
	}
	// Opening another B replaces it in the views already there.
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("o")})
	m.Update(tea.KeyMsg{Type: tea.KeyDown})
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	pump(t, m, func() bool { return m.other.Path == older })
	if len(m.views) != 9 || v.b.model().Path != older {
		t.Fatalf("%d views, B %s", len(m.views), v.b.model().Path)
	}
	pump(t, m, func() bool { return !v.a.running && !v.b.running })
}
