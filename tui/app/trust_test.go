package app

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/compare"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// After the app switches model (M picks one, T trains one) the line and
// the plane kept the old model's centre loss: the basin width was
// measured against it and scan2d-N.npz recorded it. Now the saved centre
// is the new model's own evaluation, as basin eval gives it.
func TestModelSwitchDropsTheOldCentre(t *testing.T) {
	o := testOptions(t)
	a, _ := checkpoint.Pretrained("small")
	b, _ := checkpoint.Pretrained("small")
	b.Params = b.Params.Clone()
	for i := range b.Params { // another model: the same net, its weights shrunk
		for j := range b.Params[i].Data {
			b.Params[i].Data[j] *= 0.6
		}
	}
	b.Path, b.SHA256 = "b.safetensors", "b"
	m := newModel(o, a, tiny, os.Stdout)
	defer m.eng.Shutdown()
	line, plane := find[*lineView](m), find[*planeView](m)
	m.ready()
	pump(t, m, func() bool { return !line.running && !plane.running && plane.centre != nil && line.centre != nil })
	old := plane.centre.Loss
	oldRun := m.eng.RunDir()
	numbers := find[*numbersView](m)
	numbers.sides = []*compare.Side{{}} // measured for the old model

	m.switchModel(b, nil)
	if numbers.sides != nil {
		t.Error("the numbers view still shows the old model's measures")
	}
	pump(t, m, func() bool {
		return !line.running && !plane.running && plane.cur != nil && plane.cur.Computed() == plane.cur.Len()
	})

	job, _, err := scan.Prepare(b, tiny, plane.settings())
	if err != nil {
		t.Fatal(err)
	}
	want, err := scan.Centre(job)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(want.Loss-old) < 1e-3 {
		t.Fatalf("the two models have the same centre loss %g: the test cannot tell them apart", old)
	}
	for name, v := range map[string]*scanState{"line": &line.scanState, "plane": &plane.scanState} {
		if filepath.Dir(v.file) == oldRun {
			t.Errorf("%s: the new model's scan went into the old model's run folder %s", name, oldRun)
		}
		if v.centre == nil || v.centre.Loss != want.Loss {
			t.Errorf("%s: centre %v, want the new model's %g (the old one's was %g)", name, v.centre, want.Loss, old)
		}
		s, err := surface.Load(v.file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Meta.CentreLoss != want.Loss || s.Meta.Checkpoint != b.Path {
			t.Errorf("%s: %s records centre %g of %s, want %g of %s", name, v.file, s.Meta.CentreLoss, s.Meta.Checkpoint, want.Loss, b.Path)
		}
	}
}

// The trajectory view's cursor said α 0 β 0 while the loss beside it was
// the nearest grid point's: the readout now says which point it shows.
func TestReadoutSaysWhichGridPoint(t *testing.T) {
	o := testOptions(t)
	o.Alpha.N, o.Beta.N = 4, 4 // points at -1, -1/3, 1/3, 1: 0 is between two
	m := newModel(o, nil, tiny, os.Stdout)
	v := &find[*planeView](m).scanState
	v.begin(1)
	s := surface.New(v.alpha(), v.beta())
	for k := 0; k < s.Len(); k++ {
		s.Set(k, 0.5, 0.9)
	}
	v.started(s)
	v.cursor[0], v.cursor[1] = 0, 0
	if got := v.readoutLine(200); !strings.Contains(got, "(at grid point α 0.333 β 0.333)") {
		t.Fatalf("cursor between points: %q", got)
	}
	v.cursor[0], v.cursor[1] = 1.0/3, -1.0/3
	if got := v.readoutLine(200); strings.Contains(got, "grid point") {
		t.Fatalf("cursor on a point: %q", got)
	}
}
