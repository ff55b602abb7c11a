package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/train"
)

// The trajectory view: a model trained with snapshots shows its path on
// the PCA plane (explained variance in the title, ● at the start); , and
// . walk the cursor along the snapshots and read each; a shipped model,
// which has no trajectory, says so.
func TestTrajectoryView(t *testing.T) {
	o := testOptions(t)
	cfg := o.Train
	cfg.SnapshotEvery = 2
	res, err := train.Train(context.Background(), cfg, tiny, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if _, err := train.Save(path, cfg, res, "tiny"); err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.touched = true
	m.ready()
	show[*trajView](m)
	v := find[*trajView](m)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 32})
	pump(t, m, func() bool { return v.along != nil || v.missing != "" })
	if v.missing != "" {
		t.Fatal(v.missing)
	}
	pump(t, m, func() bool { return v.cur != nil && v.cur.Computed() == v.cur.Len() })
	out := m.View()
	if !strings.Contains(out, "PC1") || !strings.Contains(out, "●") || !strings.Contains(out, "✕") {
		t.Fatalf("view:\n%s", out)
	}
	p := v.along.Paths[0]
	n := len(p.Steps)
	if n != len(res.Trajectory) || p.Off[n-1] != 0 {
		t.Fatalf("path of %d snapshots (trained %d), last off %v", n, len(res.Trajectory), p.Off[n-1])
	}
	for _, k := range []string{".", ",", ","} {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
	}
	if v.snap != n-3 || v.cursor[0] != p.X[n-3] || v.cursor[1] != p.Y[n-3] {
		t.Fatalf("after . , ,: snapshot %d, cursor %v", v.snap, v.cursor)
	}
	if out := m.View(); !strings.Contains(out, "off the plane") || !strings.Contains(out, fmt.Sprintf("(%d/%d)", n-2, n)) {
		t.Fatalf("readout:\n%s", out)
	}
	// With B (here a second copy of the run): both paths, a legend.
	o2 := o
	o2.other = ck
	both := newModel(o2, ck, tiny, os.Stdout)
	defer both.eng.Shutdown()
	both.touched = true
	both.ready()
	show[*trajView](both)
	bv := find[*trajView](both)
	both.Update(tea.WindowSizeMsg{Width: 120, Height: 32})
	pump(t, both, func() bool { return bv.along != nil || bv.missing != "" })
	if bv.along == nil || len(bv.along.Paths) != 2 || !strings.Contains(both.View(), "━━ B") {
		t.Fatalf("two runs: %q\n%s", bv.missing, both.View())
	}
	// Not on screen: the plane is found but not scanned until the view is shown.
	later := newModel(o, ck, tiny, os.Stdout)
	defer later.eng.Shutdown()
	later.touched = true
	later.ready()
	lv := find[*trajView](later)
	pump(t, later, func() bool { return lv.along != nil || lv.missing != "" })
	if lv.running || lv.cur != nil {
		t.Fatalf("scanning while not shown: running %v", lv.running)
	}
	for i, x := range later.views {
		if x == view(lv) {
			later.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(fmt.Sprint(i + 1))})
		}
	}
	if !lv.running {
		t.Fatal("shown, but no scan started")
	}
	pre, _ := checkpoint.Pretrained("small")
	plain := newModel(o, pre, tiny, os.Stdout)
	defer plain.eng.Shutdown()
	plain.ready()
	if tv := find[*trajView](plain); !strings.Contains(tv.missing, "no trajectory") {
		t.Errorf("pretrained: %q", tv.missing)
	}
}
