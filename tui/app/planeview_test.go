package app

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
)

// A sampled field is reused only while nothing it shows changed: a point
// arriving, a new window or a new size samples again.
func TestFieldFollowsTheScan(t *testing.T) {
	_, v := scannedModel()
	s := &v.scanState
	full := field(s, 30, 20)
	if again := field(s, 30, 20); &again.V[0] != &full.V[0] {
		t.Fatal("the same field was sampled twice")
	}
	v.begin(2) // a new scan: the old one stays on screen until points arrive
	fresh := surface.New(v.alpha(), v.beta())
	v.started(fresh)
	if f := field(s, 30, 20); f.At(15, 10) != full.At(15, 10) {
		t.Fatalf("before its first point a new scan shows the old: got %v, want %v", f.At(15, 10), full.At(15, 10))
	}
	for k := 0; k < fresh.Len(); k++ {
		fresh.Set(k, 7, 0.5)
	}
	if f := field(s, 30, 20); f.At(15, 10) != 7 {
		t.Fatalf("after the new scan's points the field shows %v, want 7", f.At(15, 10))
	}
	if f := field(s, 31, 20); f.W != 31 {
		t.Fatalf("a new size gave a %dx%d field", f.W, f.H)
	}
	v.axes[0].Max *= 2 // zoomed out: the right half is outside the scan
	if f := field(s, 30, 20); !math.IsNaN(f.At(29, 10)) {
		t.Fatalf("after zooming out the right edge shows %v, want unknown", f.At(29, 10))
	}
}

// The cursor is a small cross in the plot and marks on both axes: a
// cursor key changes a few rows of the frame, not every row.
func TestCursorKeyRedrawsFewRows(t *testing.T) {
	m, v := scannedModel()
	v.setCentre(model.Result{Loss: 0.05, Accuracy: 0.9})
	_ = m
	before := strings.Split(v.view(160, 45), "\n")
	v.cursor[0] = v.alpha().At(v.cursorIndex(0) + 1)
	v.dirty = true
	after := strings.Split(v.view(160, 45), "\n")
	if len(before) != len(after) {
		t.Fatalf("%d lines then %d", len(before), len(after))
	}
	changed := 0
	for i := range before {
		if before[i] != after[i] {
			changed++
		}
	}
	// The cross's 3 rows, the α marks' row and the readout.
	if changed == 0 || changed > 5 {
		t.Fatalf("a cursor step changed %d of %d lines", changed, len(before))
	}
	plain := ansi.Strip(strings.Join(after, "\n"))
	for _, mark := range []string{"┼", "▶", "▲"} {
		if !strings.Contains(plain, mark) {
			t.Errorf("no %s on screen:\n%s", mark, plain)
		}
	}
}
