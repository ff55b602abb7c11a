package model

import (
	"math"
	"testing"
)

// The standard error an evaluation reports is the sample standard
// deviation of the per-image losses over √n, the per-image losses taken
// one image at a time; for both layer implementations.
func TestLossStandardErrorMatchesDirectComputation(t *testing.T) {
	d := testData(t, 37) // one batch; the direct values come from one-image nets
	for _, impl := range []Ops{FastOps, StockOps} {
		arch, _ := Preset("small")
		theta := arch.Init(5)
		old := DefaultOps
		DefaultOps = impl
		got, err := NewEvaluator(arch, theta).Evaluate(d)
		if err != nil {
			DefaultOps = old
			t.Fatal(err)
		}
		one, err := NewNetWith(arch, theta, 1, false, impl)
		DefaultOps = old
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for i := 0; i < d.Len(); i++ {
			l, _, err := one.Run(d, []int{i})
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
		}
		var mean, ss float64
		for _, l := range losses {
			mean += l
		}
		mean /= float64(len(losses))
		for _, l := range losses {
			ss += (l - mean) * (l - mean)
		}
		want := math.Sqrt(ss/float64(len(losses)-1)) / math.Sqrt(float64(len(losses)))
		if math.Abs(got.LossSE-want) > 1e-4*want || want == 0 {
			t.Fatalf("ops %d: standard error %g, direct %g", impl, got.LossSE, want)
		}
		if math.Abs(got.Loss-mean) > 1e-5*mean {
			t.Fatalf("ops %d: mean %g, direct %g", impl, got.Loss, mean)
		}
	}
	if standardError(3, 9, 1) != 0 {
		t.Fatal("one image has no standard error")
	}
}

// The gradient over a data set in several batches is the gradient of the
// mean loss: the same as one net over all the images at once.
func TestGradientOverBatches(t *testing.T) {
	d := testData(t, GradBatch+37)
	arch, _ := Preset("mlp")
	theta := arch.Init(2)
	g := NewGradient(arch)
	defer g.Close()
	g.Params.CopyFrom(theta)
	loss, err := g.Compute(d)
	if err != nil {
		t.Fatal(err)
	}
	all, err := NewNet(arch, theta.Clone(), d.Len(), true)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	l, _, err := all.Run(d, idx)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-l/float64(d.Len())) > 1e-5 {
		t.Fatalf("loss %v, one net %v", loss, l/float64(d.Len()))
	}
	for i := range g.Grad {
		for j, v := range g.Grad[i].Data {
			w := all.Grads[i].Data[j]
			if math.Abs(float64(v-w)) > 1e-5*(1+math.Abs(float64(w))) {
				t.Fatalf("%s[%d]: %v, one net %v", g.Grad[i].Name, j, v, w)
			}
		}
	}
}

// An evaluation gives the same bits whether each layer splits its batch
// across every core or runs on one goroutine (what a scan with a worker
// per core sets), and a pooled evaluator comes back splitting again.
func TestEvaluationSameOnOneGoroutine(t *testing.T) {
	d := testData(t, 45)
	for _, preset := range []string{"small", "standard"} {
		arch, _ := Preset(preset)
		ev := NewEvaluator(arch, arch.Init(3))
		all, err := ev.Evaluate(d)
		if err != nil {
			t.Fatal(err)
		}
		ev.SetWorkers(1)
		one, err := ev.Evaluate(d)
		if err != nil {
			t.Fatal(err)
		}
		if one != all {
			t.Fatalf("%s: %+v on one goroutine, %+v on all", preset, one, all)
		}
		p := NewPool(arch, 1)
		p.Put(ev)
		if got := p.Get(); got.workers != 0 {
			t.Fatalf("%s: a pooled evaluator kept workers=%d", preset, got.workers)
		}
		ev.Close()
	}
}

// Evaluation batches: as large as EvalBatch unless the activations pass
// the budget. The standard net's second conv pools as it writes (its
// ReLU and max pool fused), so it holds the pooled output only and
// evaluates 1,000 images in two batches of 500, not three; resnet's
// twenty full-size layers make its batches smaller.
func TestEvalBatch(t *testing.T) {
	for name, want := range map[string]int{"mlp": 500, "small": 500, "standard": 500, "resnet": 134} {
		a, _ := Preset(name)
		if got := a.EvalBatch(); got != want {
			t.Errorf("%s evaluates in batches of %d, want %d", name, got, want)
		}
	}
	a, _ := Preset("standard")
	if !a.poolsAfter(2) || a.poolsAfter(0) {
		t.Error("standard's conv2 (layer 3) is followed by its ReLU and 2×2 pool; conv1 is not")
	}
}
