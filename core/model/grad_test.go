package model

import (
	"math"
	"testing"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/rng"
)

func testData(t testing.TB, n int) *data.Dataset {
	t.Helper()
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := data.SampleIndices(src.Train.Len(), n, 7)
	if err != nil {
		t.Fatal(err)
	}
	return src.Train.Subset(idx)
}

// The analytic gradient of the loss must match finite differences of the
// loss, tensor by tensor. The loss is float32 and piecewise smooth (ReLU,
// max-pool), so each tensor is probed along a random direction with a
// five-point stencil at three step sizes, and the best agreement must be
// within 3 %: a wrong sign, a missing factor or an accumulated gradient is
// far outside that.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	d := testData(t, 16)
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	for _, preset := range []string{"small", "mlp"} {
		arch, _ := Preset(preset)
		theta := arch.Init(3)
		net, err := NewNet(arch, theta.Clone(), len(idx), true)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := net.Run(d, idx); err != nil {
			t.Fatal(err)
		}
		grad := net.Grads.Clone()
		// Run again: gradients must not accumulate between runs.
		if _, _, err := net.Run(d, idx); err != nil {
			t.Fatal(err)
		}
		if diff := relDiff(grad.Dot(grad), net.Grads.Dot(grad)); diff > 1e-6 {
			t.Fatalf("%s: second run changed the gradient (rel diff %g)", preset, diff)
		}
		eval := NewEvaluator(arch, nil)
		r := rng.New(11, 99)
		for i := range theta {
			dir := theta.ZerosLike()
			for j := range dir[i].Data {
				dir[i].Data[j] = float32(r.Norm())
			}
			f := func(s float64) float64 {
				eval.Params.Combine(theta, s, dir, 0, nil)
				res, err := eval.Evaluate(d)
				if err != nil {
					t.Fatal(err)
				}
				return res.Loss
			}
			an := grad.Dot(dir)
			best := math.Inf(1)
			var fds []float64
			for _, rel := range []float64{3e-2, 1e-2, 3e-3} {
				h := rel * Params{theta[i]}.Norm() / dir.Norm()
				fd := (f(-2*h) - 8*f(-h) + 8*f(h) - f(2*h)) / (12 * h)
				fds = append(fds, fd)
				best = math.Min(best, relDiff(fd, an))
			}
			if an == 0 || best > 0.03 {
				t.Errorf("%s %s: directional derivative %g analytic vs %v finite differences", preset, theta[i].Name, an, fds)
			}
		}
	}
}

func relDiff(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-12)
}
