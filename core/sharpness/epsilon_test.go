package sharpness

import (
	"context"
	"math"
	"testing"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
)

// quadratic is f(x) = Σ ½ a_i x_i² + b_i x_i + c, convex: its maximum over
// a box is at a corner, coordinate by coordinate, so ε-sharpness has a
// closed form.
type quadratic struct{ a, b []float64 }

func (q quadratic) LossGrad(p, grad model.Params) (float64, error) {
	f := 0.5 // c: a positive centre loss, as a network's
	for j, x := range p[0].Data {
		xf := float64(x)
		f += 0.5*q.a[j]*xf*xf + q.b[j]*xf
		grad[0].Data[j] = float32(q.a[j]*xf + q.b[j])
	}
	return f, nil
}

func TestEpsilonSharpnessOfAQuadratic(t *testing.T) {
	q := quadratic{a: []float64{1, 4, 0.5, 2}, b: []float64{0, 0.3, -0.2, 0}}
	theta := model.Params{{Name: "w", Shape: []int{4}, Data: []float32{0, 0.5, -1, 2}}}
	for _, eps := range []float64{1e-3, 5e-4, 0.05} {
		got, err := EpsilonSharpness(context.Background(), q, theta, eps, 1)
		if err != nil {
			t.Fatal(err)
		}
		// The loss rise at the best corner, coordinate by coordinate.
		centre, _ := q.LossGrad(theta, theta.ZerosLike())
		rise := 0.0
		for j, x := range theta[0].Data {
			r := eps * (math.Abs(float64(x)) + 1)
			g := q.a[j]*float64(x) + q.b[j]
			rise += 0.5*q.a[j]*r*r + math.Abs(g)*r
		}
		want := 100 * rise / (1 + centre)
		if math.Abs(got.Sharpness-want) > 1e-4*want {
			t.Fatalf("ε=%g: sharpness %v, closed form %v", eps, got.Sharpness, want)
		}
		if theta[0].Data[1] != 0.5 {
			t.Fatal("θ was modified")
		}
	}
}

// On a trained network: positive, larger for a larger box, reproducible.
func TestEpsilonSharpnessOfANet(t *testing.T) {
	ck, src, st := fixture(t)
	set, _, err := scan.EvalSet(src, st.Split, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	obj := NewNetObjective(ck.Arch, set)
	defer obj.Close()
	small, err := EpsilonSharpness(context.Background(), obj, ck.Params, 5e-4, 1)
	if err != nil {
		t.Fatal(err)
	}
	large, _ := EpsilonSharpness(context.Background(), obj, ck.Params, 1e-3, 1)
	again, _ := EpsilonSharpness(context.Background(), obj, ck.Params, 1e-3, 1)
	if !(small.Sharpness > 0) || !(large.Sharpness > small.Sharpness) || again.Sharpness != large.Sharpness {
		t.Fatalf("ε-sharpness 5e-4: %v, 1e-3: %v, again: %v", small.Sharpness, large.Sharpness, again.Sharpness)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if part, err := EpsilonSharpness(ctx, obj, ck.Params, 1e-3, 1); err == nil || part.Iterations != 0 || part.Centre == 0 {
		t.Fatalf("cancelled: %+v %v", part, err)
	}
}
