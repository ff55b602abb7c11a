package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Unfold against its definition, tap by tap, and Fold as its adjoint
// (⟨Unfold x, c⟩ = ⟨x, Fold c⟩), on windows with strides, padding
// wider than the stride, dilation and kernels larger than the image.
func TestUnfoldAndFold(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []Window{
		{C: 2, H: 7, W: 9, K: 3, Stride: 2, Pad: 1},
		{C: 3, H: 8, W: 8, K: 1, Stride: 2},
		{C: 1, H: 6, W: 5, K: 3, Stride: 1, Pad: 1},
		{C: 2, H: 9, W: 7, K: 3, Stride: 3, Pad: 2, Dilation: 2},
		{C: 1, H: 4, W: 4, K: 5, Stride: 1, Pad: 2},
		{C: 2, H: 11, W: 10, K: 7, Stride: 2, Pad: 3},
	} {
		x := make([]float32, g.C*g.H*g.W)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		px := g.Pixels()
		col := make([]float32, g.Rows()*px)
		for i := range col {
			col[i] = float32(math.NaN()) // every entry must be written
		}
		g.Unfold(x, col)
		for c := 0; c < g.C; c++ {
			for ky := 0; ky < g.K; ky++ {
				for kx := 0; kx < g.K; kx++ {
					row := (c*g.K+ky)*g.K + kx
					for oy := 0; oy < g.OH(); oy++ {
						for ox := 0; ox < g.OW(); ox++ {
							iy, ix := oy*g.Stride+ky*g.D()-g.Pad, ox*g.Stride+kx*g.D()-g.Pad
							want := float32(0)
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								want = x[(c*g.H+iy)*g.W+ix]
							}
							if got := col[row*px+oy*g.OW()+ox]; got != want {
								t.Fatalf("%+v: tap (%d,%d,%d) at (%d,%d) = %v, want %v", g, c, ky, kx, oy, ox, got, want)
							}
						}
					}
				}
			}
		}
		cv := make([]float32, len(col))
		for i := range cv {
			cv[i] = float32(r.NormFloat64())
		}
		back := make([]float32, len(x))
		for i := range back {
			back[i] = 5 // Fold clears first
		}
		g.Fold(cv, back)
		var lhs, rhs float64
		for i := range col {
			lhs += float64(col[i]) * float64(cv[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(back[i])
		}
		if math.Abs(lhs-rhs) > 1e-4*math.Max(1, math.Abs(lhs)) {
			t.Fatalf("%+v: ⟨Unfold x, c⟩ = %v, ⟨x, Fold c⟩ = %v", g, lhs, rhs)
		}
	}
}

// In training the backward pass reads the columns its forward pass
// unfolded; it gives what unfolding again gives, and unfolds again when
// the forward pass it follows was of another input.
func TestStridedConvKeepsColumns(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	g := Window{C: 3, H: 9, W: 9, K: 3, Stride: 2, Pad: 1}
	const b, o = 3, 4
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	x1, x2 := randn(b*g.C*g.H*g.W), randn(b*g.C*g.H*g.W)
	w, bias, gy := randn(o*g.Rows()), randn(o), randn(b*o*g.Pixels())
	grads := func(k *StridedConv, fwd, bwd []float32) []float32 {
		y := make([]float32, len(gy))
		gx, gw, gb := make([]float32, len(fwd)), make([]float32, len(w)), make([]float32, o)
		k.Forward([][]float32{fwd, w, bias}, y)
		k.Backward([][]float32{bwd, w, bias}, y, gy, [][]float32{gx, gw, gb})
		return append(append(gx, gw...), gb...)
	}
	want := grads(&StridedConv{Window: g, B: b, O: o}, x2, x2)
	k := &StridedConv{Window: g, B: b, O: o}
	grads(k, x1, x1) // the first step unfolds in its backward pass
	if got := grads(k, x2, x2); !equal(got, want) {
		t.Fatal("the backward pass from the kept columns differs from unfolding")
	}
	other := append([]float32(nil), x2...)
	if got := grads(k, x1, other); !equal(got[len(other):], grads(&StridedConv{Window: g, B: b, O: o}, x1, other)[len(other):]) {
		t.Fatal("a backward pass of another input than the forward's used the kept columns")
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
