package scan

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
)

// The ends of an interpolation are the two checkpoints themselves: t = 0
// gives A's own evaluation and t = 1 B's, bit for bit, on both splits;
// the file keeps both splits and the second checkpoint.
func TestInterpolationEndsAreTheCheckpoints(t *testing.T) {
	fixture(t, false, 3) // loads the data
	arch, _ := model.Preset("small")
	a := &checkpoint.Checkpoint{Path: "a", Arch: arch, Params: arch.Init(1), SHA256: "sa"}
	b := &checkpoint.Checkpoint{Path: "b", Arch: arch, Params: arch.Init(2), SHA256: "sb"}
	st := Settings{Alpha: surface.Axis{Min: -0.5, Max: 1.5, N: 41}, SampleSeed: 3, Samples: 30, Workers: 2}
	s, err := Interpolate(context.Background(), a, b, source, st, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Alpha.At(10) != 0 || s.Alpha.At(30) != 1 {
		t.Fatalf("grid: t %v and %v", s.Alpha.At(10), s.Alpha.At(30))
	}
	for _, split := range []data.Split{data.Train, data.Test} {
		set, _, _ := EvalSet(source, split, 30, 3)
		loss, acc := s.Loss, s.Acc
		if split == data.Test {
			loss, acc = s.TestLoss, s.TestAcc
		}
		for _, end := range []struct {
			k  int
			ck *checkpoint.Checkpoint
		}{{10, a}, {30, b}} {
			ev := model.NewEvaluator(arch, end.ck.Params)
			r, err := ev.Evaluate(set)
			ev.Close()
			if err != nil {
				t.Fatal(err)
			}
			if loss[end.k] != r.Loss || acc[end.k] != r.Accuracy {
				t.Errorf("%s, %s end: %v (%v), its own evaluation %v (%v)", split, end.ck.Path, loss[end.k], acc[end.k], r.Loss, r.Accuracy)
			}
		}
	}
	if !s.Meta.Complete || s.Meta.CheckpointB != "b" || s.Meta.Kind != "interp" || s.Meta.CentreLoss != s.Loss[10] {
		t.Fatalf("meta %+v", s.Meta)
	}
	path := filepath.Join(t.TempDir(), "i.npz")
	if err := surface.Save(path, surface.NPZ, s); err != nil {
		t.Fatal(err)
	}
	back, err := surface.Load(path)
	if err != nil || back.TestLoss == nil || back.TestLoss[30] != s.TestLoss[30] || back.Meta.CheckpointBSHA != "sb" {
		t.Fatalf("reloaded: %v, %+v", err, back)
	}
	if back.Meta.Computed != 82 || back.Meta.Total != 82 || !back.Meta.Complete {
		t.Fatalf("file counts %d of %d points (complete %v), want both splits' 82", back.Meta.Computed, back.Meta.Total, back.Meta.Complete)
	}
	s.TestLoss[5] = math.NaN() // a test point missing: the file is not complete
	if err := surface.Save(path, surface.NPZ, s); err != nil {
		t.Fatal(err)
	}
	if back, err = surface.Load(path); err != nil || back.Meta.Complete || back.Meta.Computed != 81 {
		t.Fatalf("one test point missing: %v, %d of %d, complete %v", err, back.Meta.Computed, back.Meta.Total, back.Meta.Complete)
	}
	mlp, _ := model.Preset("mlp")
	other := &checkpoint.Checkpoint{Path: "m", Arch: mlp, Params: mlp.Init(1)}
	if _, err := Interpolate(context.Background(), a, other, source, st, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "one architecture") {
		t.Errorf("small to mlp: %v", err)
	}
}

// The barrier is the highest loss between the ends above the higher end,
// wherever the line's window starts; unknown until the points between
// the ends are.
func TestFindBarrier(t *testing.T) {
	ax := surface.Axis{Min: -0.5, Max: 1.5, N: 9} // t = -0.5, -0.25, 0, …, 1.5
	loss := []float64{9, 9, 1, 2, 5, 3, 2, 9, 9}
	b, ok := FindBarrier(ax, loss)
	if !ok || b.A != 2 || b.B != 6 || b.Height != 3 || b.At != 0.5 {
		t.Fatalf("barrier %+v ok %v, want height 3 at t=0.5 between points 2 and 6", b, ok)
	}
	loss[7], loss[3] = math.NaN(), math.NaN()
	if _, ok := FindBarrier(ax, loss); ok {
		t.Fatal("a point between the ends is unknown, but the barrier was read")
	}
	loss[3] = 0.5 // known again; the point off the line stays unknown
	if b, ok := FindBarrier(ax, loss); !ok || b.Height != 3 {
		t.Fatalf("barrier %+v ok %v with a point off the line unknown", b, ok)
	}
	if b, _ := FindBarrier(surface.Axis{Min: 0, Max: 1, N: 5}, []float64{2, 1, 1, 1, 1}); b.Height != 0 || b.At != 0 {
		t.Fatalf("monotone line: %+v, want no barrier", b)
	}
}
