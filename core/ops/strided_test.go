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
		x := floats(r, g.C*g.H*g.W)
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

// StridedConv's forward and backward passes against the definition in
// float64, with its fused ReLU: output, and input, filter and bias
// gradients.
func TestStridedConvMatchesNaive(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for _, g := range []Window{
		{C: 3, H: 9, W: 9, K: 3, Stride: 2, Pad: 1},
		{C: 8, H: 14, W: 14, K: 1, Stride: 2},
		{C: 2, H: 10, W: 7, K: 5, Stride: 3, Pad: 2, Dilation: 2},
		{C: 9, H: 8, W: 11, K: 3, Stride: 1, Pad: 2, Dilation: 2},
	} {
		// 53 images: several groups for the filter gradient
		// (tapsGradImages), a worker's last one short after a full one
		const b, o = 53, 10
		x, w, bias := floats(r, b*g.C*g.H*g.W), floats(r, o*g.Rows()), floats(r, o)
		gy := floats(r, b*o*g.Pixels())
		k := &StridedConv{Window: g, B: b, O: o, ReLU: true}
		y := make([]float32, len(gy))
		gx, gw, gb := make([]float32, len(x)), make([]float32, len(w)), make([]float32, o)
		for _, v := range [][]float32{gx, gw, gb} {
			for j := range v {
				v[j] = float32(math.NaN()) // every gradient must be written
			}
		}
		for step := 0; step < 2; step++ { // a second step reuses the buffers
			k.Forward([][]float32{x, w, bias}, y)
			k.Backward([][]float32{x, w, bias}, y, gy, [][]float32{gx, gw, gb})
		}
		size, out := g.C*g.H*g.W, o*g.Pixels()
		wx, wgx, wgw, wgb := make([]float64, len(y)), make([]float64, len(x)), make([]float64, len(w)), make([]float64, o)
		for i := 0; i < b; i++ {
			yi := naiveConv(g, o, x[i*size:(i+1)*size], w, bias, nil, true)
			copy(wx[i*out:], yi)
			for oc := 0; oc < o; oc++ {
				for oy := 0; oy < g.OH(); oy++ {
					for ox := 0; ox < g.OW(); ox++ {
						at := (oc*g.OH()+oy)*g.OW() + ox
						if yi[at] <= 0 {
							continue
						}
						gv := float64(gy[i*out+at])
						wgb[oc] += gv
						for c := 0; c < g.C; c++ {
							for ky := 0; ky < g.K; ky++ {
								for kx := 0; kx < g.K; kx++ {
									iy, ix := oy*g.Stride+ky*g.D()-g.Pad, ox*g.Stride+kx*g.D()-g.Pad
									if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
										continue
									}
									wi, xi := ((oc*g.C+c)*g.K+ky)*g.K+kx, i*size+(c*g.H+iy)*g.W+ix
									wgw[wi] += gv * float64(x[xi])
									wgx[xi] += gv * float64(w[wi])
								}
							}
						}
					}
				}
			}
		}
		for _, c := range []struct {
			what string
			got  []float32
			want []float64
		}{{"y", y, wx}, {"gx", gx, wgx}, {"gw", gw, wgw}, {"gb", gb, wgb}} {
			for j, v := range c.want {
				if !(math.Abs(float64(c.got[j])-v) <= 1e-4*math.Max(1, math.Abs(v))) { // a NaN fails
					t.Fatalf("%+v: %s[%d] = %v, want %v", g, c.what, j, c.got[j], v)
				}
			}
		}
	}
}
