package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/rng"
	"github.com/basin-dev/basin/core/simd"
)

// Batch statistics stay exact for activations far from zero: values near
// 1000 with a spread of 0.1 give the variance to 1e-3 relative (a naive
// E[x²] − μ² in float32 would give noise), and the running averages move
// by PyTorch's momentum with the unbiased variance.
func TestBatchNormStatisticsFarFromZero(t *testing.T) {
	const b, c, hw = 8, 2, 50
	x := make([]float32, b*c*hw)
	r := rng.New(1, 1)
	for i := range x {
		x[i] = float32(1000 + 0.1*r.Norm())
	}
	mean, variance := []float32{0, 0}, []float32{1, 1}
	k := &BatchNorm{Shape: []int{b, c, 5, 10}, B: b, C: c, HW: hw, Train: true, Mean: mean, Var: variance, Eps: BNEps}
	y := make([]float32, len(x))
	k.Forward([][]float32{x, {1, 1}, {0, 0}}, y)
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for i := 0; i < b; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(v)
			}
		}
		n := float64(b * hw)
		mu := s / n
		for i := 0; i < b; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				ss += (float64(v) - mu) * (float64(v) - mu)
			}
		}
		wantVar := 0.9 + 0.1*ss/(n-1)
		if got := float64(variance[ch]); math.Abs(got-wantVar) > 1e-3*0.1*ss/(n-1)+1e-7 {
			t.Errorf("channel %d: running variance %v, want %v", ch, got, wantVar)
		}
		if got := float64(mean[ch]); math.Abs(got-0.1*mu) > 1e-4 {
			t.Errorf("channel %d: running mean %v, want %v", ch, got, 0.1*mu)
		}
	}
	// The normalized output has mean 0 and variance 1 per channel.
	var s, ss float64
	for i := 0; i < b; i++ {
		for _, v := range y[(i*c)*hw : (i*c+1)*hw] {
			s += float64(v)
			ss += float64(v) * float64(v)
		}
	}
	if n := float64(b * hw); math.Abs(s/n) > 1e-3 || math.Abs(ss/n-1) > 1e-2 {
		t.Errorf("normalized: mean %v, variance %v", s/n, ss/n)
	}
}

// A batch norm with the residual add (and ReLU) after it fused gives what
// the batch norm and the add give one after the other: the output, and the
// gradients of x, γ, β and the residual input.
func TestBatchNormResidualMatchesAdd(t *testing.T) {
	const b, c, hw = 4, 3, 20
	shape := []int{b, c, 4, 5}
	r := rng.New(2, 3)
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.Norm())
		}
		return v
	}
	x, res, gy := fill(b*c*hw), fill(b*c*hw), fill(b*c*hw)
	g, beta := fill(c), fill(c)
	for _, relu := range []bool{false, true} {
		stats := func() ([]float32, []float32) { return make([]float32, c), []float32{1, 1, 1} }
		m1, v1 := stats()
		fused := NewBatchNorm(shape, true, relu, true, m1, v1, BNEps).K
		y := make([]float32, len(x))
		fused.Forward([][]float32{x, g, beta, res}, y)
		nan := make([]float32, len(x)) // every value must be written
		for i := range nan {
			nan[i] = float32(math.NaN())
		}
		gin := [][]float32{make([]float32, len(x)), make([]float32, c), make([]float32, c), nan}
		fused.Backward([][]float32{x, g, beta, res}, y, gy, gin)

		m2, v2 := stats()
		bn := NewBatchNorm(shape, true, false, false, m2, v2, BNEps).K
		sum := NewSum(2, shape, relu).K
		z, want := make([]float32, len(x)), make([]float32, len(x))
		bn.Forward([][]float32{x, g, beta}, z)
		sum.Forward([][]float32{z, res}, want)
		gs := [][]float32{make([]float32, len(x)), make([]float32, len(x))}
		sum.Backward([][]float32{z, res}, want, gy, gs)
		gwant := [][]float32{make([]float32, len(x)), make([]float32, c), make([]float32, c)}
		bn.Backward([][]float32{x, g, beta}, z, gs[0], gwant)
		gwant = append(gwant, gs[1])

		close := func(what string, got, want []float32) {
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*(1+math.Abs(float64(want[i])))) {
					t.Fatalf("relu=%v %s[%d]: %v, want %v", relu, what, i, got[i], want[i])
				}
			}
		}
		close("y", y, want)
		for i, name := range []string{"gx", "gγ", "gβ", "gr"} {
			close(name, gin[i], gwant[i])
		}
		close("running mean", m1, m2)
		close("running variance", v1, v2)
	}
}

// A batch norm whose statistics a conv gathers as it writes each image
// (LinkStats) gives, bit for bit, what it gives gathering them itself:
// the output and the running averages; for a stride-1 and a strided conv.
func TestLinkedStatisticsMatch(t *testing.T) {
	if !simd.HasConvTaps || !UseWinograd {
		t.Skip("the tap kernels do not run here: nothing links")
	}
	r := rand.New(rand.NewPCG(4, 5))
	const b = 3
	for _, strided := range []bool{false, true} {
		g := Window{C: 5, H: 9, W: 9, K: 3, Stride: 1, Pad: 1}
		if strided {
			g.Stride = 2
		}
		o := 6
		x, w, bias := floats(r, b*g.C*g.H*g.W), floats(r, o*g.Rows()), floats(r, o)
		shape := []int{b, o, g.OH(), g.OW()}
		gamma, beta := floats(r, o), floats(r, o)
		var outs [2][]float32
		var means, vars [2][]float32
		for run, link := range []bool{false, true} {
			var producer G.Op
			var forward func() []float32
			if strided {
				l := NewStridedConv(b, g, o, false)
				producer = l
				forward = func() []float32 {
					y := make([]float32, b*o*g.Pixels())
					l.K.Forward([][]float32{x, w, bias}, y)
					return y
				}
			} else {
				c := NewConv(b, g.C, g.H, g.W, o, g.K, g.Pad, false, true, false)
				producer = c
				forward = func() []float32 {
					v, err := c.Do(tensor.New(tensor.WithShape(b, g.C, g.H, g.W), tensor.WithBacking(x)),
						tensor.New(tensor.WithShape(o, g.C, g.K, g.K), tensor.WithBacking(w)), tensor.New(tensor.WithShape(o), tensor.WithBacking(bias)))
					if err != nil {
						t.Fatal(err)
					}
					return v.(*tensor.Dense).Data().([]float32)
				}
			}
			means[run], vars[run] = make([]float32, o), []float32{1, 1, 1, 1, 1, 1}
			bn := NewBatchNorm(shape, true, true, false, means[run], vars[run], BNEps)
			if link && !LinkStats(producer, bn) {
				t.Fatalf("strided=%v: LinkStats did not link", strided)
			}
			z := forward()
			outs[run] = make([]float32, len(z))
			bn.K.Forward([][]float32{z, gamma, beta}, outs[run])
		}
		for i := range outs[0] {
			if math.Float32bits(outs[0][i]) != math.Float32bits(outs[1][i]) {
				t.Fatalf("strided=%v: output %d is %v linked, %v not", strided, i, outs[1][i], outs[0][i])
			}
		}
		for c := 0; c < o; c++ {
			if means[0][c] != means[1][c] || vars[0][c] != vars[1][c] {
				t.Fatalf("strided=%v channel %d: running mean, variance %v, %v linked; %v, %v not", strided, c, means[1][c], vars[1][c], means[0][c], vars[0][c])
			}
		}
	}
}
