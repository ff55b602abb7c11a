package sharpness

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// The curvature of an exact quadratic is read back exactly, from the
// points nearest the centre only (a far-away wall does not bend it).
func TestCentreCurvatureOfAQuadratic(t *testing.T) {
	s := surface.New(surface.Axis{Min: -1, Max: 1, N: 51}, surface.Axis{})
	for k := 0; k < s.Len(); k++ {
		a, _ := s.Coord(k)
		l := 0.05 + 0.3*a + 1.5*a*a // f''(0) = 3
		if math.Abs(a) > 0.5 {
			l = 1e9 // off scale: ignored
		}
		s.Set(k, l, 1)
	}
	if c := CentreCurvature(s); math.Abs(c-3) > 1e-9 {
		t.Fatalf("curvature %v, want 3", c)
	}
	few := surface.New(surface.Axis{Min: -1, Max: 1, N: 5}, surface.Axis{})
	few.Set(2, 1, 1)
	few.Set(3, 2, 1)
	if c := CentreCurvature(few); !math.IsNaN(c) {
		t.Fatalf("two points give curvature %v, want NaN", c)
	}
}

func TestMeanSD(t *testing.T) {
	m := meanSD([]float64{1, 2, 3, math.NaN()})
	if m.N != 3 || m.Mean != 2 || m.SD != 1 {
		t.Fatalf("%+v", m)
	}
	if (meanSD(nil) != MeanSD{}) || meanSD(nil).String() != "n/a" {
		t.Fatal("empty")
	}
}

func fixture(t *testing.T) (*checkpoint.Checkpoint, *data.Source, scan.Settings) {
	t.Helper()
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	st := scan.Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: 11}, Direction: direction.Spec{Seed: 4, Norm: direction.Filter},
		SampleSeed: 1, Split: data.Train, Samples: 60, Workers: 2}
	return ck, src, st
}

// K directions on the same images: each is the 1D scan of its own seed,
// the centre is shared, and the summary is the mean and spread of the K.
func TestAlongDirections(t *testing.T) {
	ck, src, st := fixture(t)
	var seen []uint64
	d, err := AlongDirections(context.Background(), ck, src, st, 3, 0.1, nil, func(d Direction) { seen = append(seen, d.Seed) })
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Directions) != 3 || len(seen) != 3 || seen[0] != 4 || seen[2] != 6 {
		t.Fatalf("directions %+v, reported %v", d.Directions, seen)
	}
	want, err := model.NewEvaluator(ck.Arch, ck.Params).Evaluate(mustEvalSet(t, src, st))
	if err != nil || math.Abs(d.Centre.Loss-want.Loss) > 1e-6 {
		t.Fatalf("centre %+v, evaluation %+v (%v)", d.Centre, want, err)
	}
	// Direction 2 equals a plain 1D scan of seed 5.
	st5 := st
	st5.Direction.Seed = 5
	ss, err := scan.NewSession(ck, src, st5)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if m := measure(ss.Surface, 0.1); m.Curvature != d.Directions[1].Curvature || m.Size != d.Directions[1].Size && !math.IsNaN(m.Size) {
		t.Fatalf("direction of seed 5: %+v, plain scan %+v", d.Directions[1], m)
	}
	var ws []float64
	for _, x := range d.Directions {
		if !(x.Curvature > 0) {
			t.Errorf("seed %d: curvature %v at a trained minimum", x.Seed, x.Curvature)
		}
		ws = append(ws, x.Size)
	}
	if got := meanSD(ws); got != d.Width {
		t.Fatalf("width summary %+v, from the directions %+v", d.Width, got)
	}
}

// Cancelled, it keeps the directions it finished.
func TestAlongDirectionsCancelled(t *testing.T) {
	ck, src, st := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := AlongDirections(ctx, ck, src, st, 5, 0.1, nil, func(Direction) { cancel() })
	if !errors.Is(err, context.Canceled) || len(d.Directions) != 1 || d.Width.N > 1 {
		t.Fatalf("err %v, %d directions, width %+v", err, len(d.Directions), d.Width)
	}
	if _, err := AlongDirections(context.Background(), ck, src, st, 0, 0.1, nil, nil); err == nil {
		t.Fatal("zero directions accepted")
	}
}

func mustEvalSet(t *testing.T, src *data.Source, st scan.Settings) *data.Dataset {
	t.Helper()
	set, _, err := scan.EvalSet(src, st.Split, st.Samples, st.SampleSeed)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
