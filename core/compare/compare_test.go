package compare

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/sharpness"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

func settings() Settings {
	line := scan.Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: 7}, Direction: direction.Spec{Seed: 2, Norm: direction.Filter},
		SampleSeed: 2, Split: data.Train, Samples: 40, Workers: 2}
	plane := line
	plane.Alpha.N, plane.Beta = 5, surface.Axis{Min: -1, Max: 1, N: 5}
	h := hessian.DefaultOptions()
	h.Top, h.PerLayer = 2, true
	return Settings{Line: line, Plane: plane, Directions: 2, Epsilons: []float64{1e-3}, Threshold: 0.1, Hessian: h}
}

func source(t *testing.T) *data.Source {
	t.Helper()
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	te, _ := data.SampleIndices(src.Test.Len(), 200, 1)
	return &data.Source{Name: src.Name, Train: src.Train, Test: src.Test.Subset(te)}
}

// A model compared with itself: identical surfaces and numbers, ratios 1,
// a difference of zero everywhere; and the file holds all four surfaces.
func TestCompareWithItself(t *testing.T) {
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	c, err := Run(context.Background(), ck, ck, source(t), settings(), func(s string) { said = append(said, s) })
	if err != nil {
		t.Fatal(err)
	}
	// Progress comes by product within a Hessian task, with the time left.
	all := strings.Join(said, "\n")
	for _, want := range []string{"a: Hessian λ1: ", "product 2 of at most", "left", "a: the basin along direction 2 of"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in what Measure said:\n%s", want, all)
		}
	}
	for _, pair := range [][2]*surface.Surface{{c.A.Line, c.B.Line}, {c.A.Plane, c.B.Plane}} {
		for k := range pair[0].Loss {
			if pair[0].Loss[k] != pair[1].Loss[k] || pair[0].Loss[k]-pair[1].Loss[k] != 0 {
				t.Fatalf("point %d: %v and %v", k, pair[0].Loss[k], pair[1].Loss[k])
			}
		}
	}
	rows := c.Rows(0.1)
	have := map[string]bool{}
	for _, r := range rows {
		have[r.What] = true
	}
	for _, want := range []string{"Hessian λ1", "Hessian λ2", "Hessian λmin", "Hessian trace", "λmax of conv1", "λmax of fc2"} {
		if !have[want] {
			t.Errorf("no row %q", want)
		}
	}
	for _, r := range rows {
		if !math.IsNaN(r.Ratio) && r.Ratio != 1 {
			t.Errorf("%s: ratio %v", r.What, r.Ratio)
		}
		if r.A != r.B {
			t.Errorf("%s: %s vs %s", r.What, r.A, r.B)
		}
	}
	path := filepath.Join(t.TempDir(), "cmp.npz")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"a/line", "a/plane", "b/line", "b/plane"} {
		s, err := surface.LoadPart(path, part)
		if err != nil || !s.Meta.Complete {
			t.Fatalf("%s: %v", part, err)
		}
	}
}

// Two different models: the same images and directions' seed, different
// numbers; other architectures are refused.
func TestCompareTwoModels(t *testing.T) {
	a, _ := checkpoint.Pretrained("small")
	b := &checkpoint.Checkpoint{Path: "init", Arch: a.Arch, Params: a.Arch.Init(3), SHA256: "init"}
	st := settings()
	st.Directions, st.Epsilons, st.Hessian = 0, nil, hessian.Options{}
	c, err := Run(context.Background(), a, b, source(t), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.A.Line.Meta.SampleSeed != c.B.Line.Meta.SampleSeed || c.A.Line.Meta.Seed != c.B.Line.Meta.Seed ||
		c.A.Test.Accuracy <= c.B.Test.Accuracy {
		t.Fatalf("A %+v, B %+v", c.A.Test, c.B.Test)
	}
	other, _ := checkpoint.Pretrained("mlp")
	if _, err := Run(context.Background(), a, other, source(t), st, nil); err == nil || !strings.Contains(err.Error(), "one architecture") {
		t.Fatalf("small vs mlp: %v", err)
	}
}

// The batch-size experiment: both runs from the same initial weights,
// the second trained until it reaches the first's training loss, then
// compared; the checkpoints are in the folder.
func TestBatchSizeExperiment(t *testing.T) {
	full := source(t)
	tr, _ := data.SampleIndices(full.Train.Len(), 512, 1)
	src := &data.Source{Name: "subset", Train: full.Train.Subset(tr), Test: full.Test}
	a, _ := checkpoint.Pretrained("small")
	cfg := train.Config{Arch: a.Arch, Epochs: 1, LR: 0.05, Momentum: 0.9, Optimizer: train.SGD, Seed: 5}
	st := settings()
	st.Directions, st.Epsilons, st.Hessian = 1, nil, hessian.Options{}
	dir := t.TempDir()
	runs, c, err := BatchSize(context.Background(), cfg, [2]int{16, 128}, 6, src, st, dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Epochs != 1 || runs[1].Epochs < 1 || runs[1].Epochs > 6 {
		t.Fatalf("runs %+v", runs)
	}
	if runs[1].Epochs < 6 && runs[1].Loss > runs[0].Loss {
		t.Fatalf("batch 128 stopped at loss %v above batch 16's %v", runs[1].Loss, runs[0].Loss)
	}
	for _, r := range runs {
		ck, err := checkpoint.Load(r.Path)
		if err != nil || ck.Meta["batch"] != fmt.Sprint(r.Batch) || ck.Meta["seed"] != "5" {
			t.Fatalf("%s: %v %v", r.Path, err, ck)
		}
	}
	if c == nil || c.A.Checkpoint != runs[0].Path || len(c.Rows(0.1)) == 0 {
		t.Fatalf("comparison %+v", c)
	}
}

// The verdict counts measures beyond their error bars and names those
// that disagree with the majority.
func TestVerdict(t *testing.T) {
	side := func(width, curv, lambda, trace, eps float64) *Side {
		s := &Side{Hessian: &hessian.Spectrum{Top: []hessian.Eigen{{Value: lambda, Residual: 0.1}}, Trace: &hessian.TraceEstimate{Value: trace, SE: 1}},
			Epsilon: []sharpness.Epsilon{{Epsilon: 1e-3, Sharpness: eps}}}
		s.Directional.Width = sharpness.MeanSD{Mean: width, SD: 0.1, N: 4}
		s.Directional.Curvature = sharpness.MeanSD{Mean: curv, SD: 0.1, N: 4}
		return s
	}
	for _, c := range []struct {
		a, b *Side
		want string
	}{
		{side(1, 2, 10, 50, 5), side(2, 1, 5, 30, 8),
			"B is flatter on 4 of 5 measures (width, curvature, λ1, trace); ε-sharpness 0.001 disagrees, saying A"},
		{side(1, 2, 10, 50, 5), side(1.05, 2.02, 10.1, 50.5, 5),
			"neither is flatter: all 5 measures agree within their error bars"},
		{side(2, 1, 5, 30, 5), side(1, 2, 10, 31, 5),
			"A is flatter on 3 of 5 measures (width, curvature, λ1); within error bars: trace, ε-sharpness 0.001"},
	} {
		if got := Decide(c.a, c.b).Line; got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
