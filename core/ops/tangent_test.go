package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// conv64 is a float64 3×3 convolution of one image x [C,H,W] by w
// [O,C,3,3], padded by pad, added to y [O,OH,OW].
func conv64(x, w []float32, y []float64, c, h, wd, o, pad int) {
	oh, ow := h+2*pad-2, wd+2*pad-2
	for k := 0; k < o; k++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				s := 0.0
				for ci := 0; ci < c; ci++ {
					for t := 0; t < 9; t++ {
						iy, ix := oy+t/3-pad, ox+t%3-pad
						if iy >= 0 && iy < h && ix >= 0 && ix < wd {
							s += float64(w[((k*c+ci)*9)+t]) * float64(x[(ci*h+iy)*wd+ix])
						}
					}
				}
				y[(k*oh+oy)*ow+ox] += s
			}
		}
	}
}

// back64 adds the filter gradient g·unfold(x)ᵀ to gw and, when gx is not
// nil, the input gradient (the transposed convolution of g) to gx.
func back64(x, w, g []float32, gw, gx []float64, c, h, wd, o, pad int) {
	oh, ow := h+2*pad-2, wd+2*pad-2
	for k := 0; k < o; k++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				gv := float64(g[(k*oh+oy)*ow+ox])
				for ci := 0; ci < c; ci++ {
					for t := 0; t < 9; t++ {
						iy, ix := oy+t/3-pad, ox+t%3-pad
						if iy < 0 || iy >= h || ix < 0 || ix >= wd {
							continue
						}
						gw[(k*c+ci)*9+t] += gv * float64(x[(ci*h+iy)*wd+ix])
						if gx != nil {
							gx[(ci*h+iy)*wd+ix] += gv * float64(w[(k*c+ci)*9+t])
						}
					}
				}
			}
		}
	}
}

func randoms(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func close64(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	worst, scale := 0.0, 0.0
	for i := range want {
		worst = max(worst, math.Abs(float64(got[i])-want[i]))
		scale = max(scale, math.Abs(want[i]))
	}
	if worst > 1e-4*max(scale, 1) {
		t.Errorf("%s: off by %.3g (largest value %.3g)", what, worst, scale)
	}
}

// Tangent's passes against float64 convolutions: the forward pair, and the
// backward pass both dense and sparse (a gradient on a tenth of the
// pixels), on a first layer (direct), padded and unpadded layers, and
// channel counts that are not multiples of 16.
func TestTangentMatchesFloat64(t *testing.T) {
	for _, tc := range []struct {
		c, h, w, o, pad int
		input           bool
	}{
		{1, 10, 12, 8, 1, false},
		{8, 9, 11, 5, 1, true},
		{16, 12, 10, 16, 0, true},
		{20, 8, 8, 12, 1, true},
	} {
		r := rand.New(rand.NewPCG(uint64(tc.c), 7))
		nb := 3
		tg, err := NewTangent(tc.c, tc.h, tc.w, tc.o, tc.pad, tc.input)
		if err != nil {
			t.Fatal(err)
		}
		in, out := tc.c*tc.h*tc.w, tc.o*tg.OH()*tg.OW()
		w, v := randoms(r, tc.o*tc.c*9), randoms(r, tc.o*tc.c*9)
		bias, vb := randoms(r, tc.o), randoms(r, tc.o)
		x := randoms(r, nb*in)
		var xd []float32
		if tc.input {
			xd = randoms(r, nb*in)
		}
		tg.SetWeights(w, v, bias, vb)
		y, yd := make([]float32, nb*out), make([]float32, nb*out)
		tg.Forward(x, xd, y, yd, nb, false)
		wantY, wantYD := make([]float64, nb*out), make([]float64, nb*out)
		for i := 0; i < nb; i++ {
			conv64(x[i*in:], w, wantY[i*out:], tc.c, tc.h, tc.w, tc.o, tc.pad)
			conv64(x[i*in:], v, wantYD[i*out:], tc.c, tc.h, tc.w, tc.o, tc.pad)
			if xd != nil {
				conv64(xd[i*in:], w, wantYD[i*out:], tc.c, tc.h, tc.w, tc.o, tc.pad)
			}
			for k := 0; k < tc.o; k++ {
				for j := 0; j < out/tc.o; j++ {
					wantY[i*out+k*out/tc.o+j] += float64(bias[k])
					wantYD[i*out+k*out/tc.o+j] += float64(vb[k])
				}
			}
		}
		close64(t, "y", y, wantY)
		close64(t, "ẏ", yd, wantYD)

		for _, share := range []float64{1, 0.1} {
			g, rg := randoms(r, nb*out), randoms(r, nb*out)
			for j := range g {
				if r.Float64() >= share {
					g[j], rg[j] = 0, 0
				}
			}
			gx0, rx0 := randoms(r, nb*in), randoms(r, nb*in) // Backward adds to them
			gx, rx := append([]float32(nil), gx0...), append([]float32(nil), rx0...)
			acc := make([][]float32, Workers)
			for k := range acc {
				acc[k] = make([]float32, len(w))
			}
			tg.Backward(x, xd, g, rg, gx, rx, nb, acc)
			gw := make([]float32, len(w))
			for _, a := range acc {
				for j, val := range a {
					gw[j] += val
				}
			}
			wantGW := make([]float64, len(w))
			wantGX, wantRX := make([]float64, nb*in), make([]float64, nb*in)
			for j := range wantGX {
				wantGX[j], wantRX[j] = float64(gx0[j]), float64(rx0[j])
			}
			for i := 0; i < nb; i++ {
				var gxi, rxi []float64
				if tc.input {
					gxi, rxi = wantGX[i*in:], wantRX[i*in:]
				}
				back64(x[i*in:], w, rg[i*out:], wantGW, rxi, tc.c, tc.h, tc.w, tc.o, tc.pad)
				back64(x[i*in:], w, g[i*out:], make([]float64, len(w)), gxi, tc.c, tc.h, tc.w, tc.o, tc.pad)
				if tc.input {
					back64(xd[i*in:], v, g[i*out:], wantGW, rxi, tc.c, tc.h, tc.w, tc.o, tc.pad)
					// back64 adds g·unfold(xd) to the filter gradient and Ṽ⋆g to rx: both wanted.
				}
			}
			what := map[float64]string{1: "dense", 0.1: "sparse"}[share]
			if share == 1 && tg.CanPool() {
				pooledMatchesUnpooled(t, tg, r, x, xd, nb)
			}
			close64(t, what+" filter gradient's derivative", gw, wantGW)
			if tc.input {
				close64(t, what+" input gradient", gx, wantGX)
				close64(t, what+" its derivative", rx, wantRX)
			}
		}
	}
}

// pooledMatchesUnpooled checks BackwardPooled against Backward given the
// same gradient unpooled: each window's to its maximum where the pool's
// output is positive, zero elsewhere; and its bias sums against Σ ġ.
func pooledMatchesUnpooled(t *testing.T, tg *Tangent, r *rand.Rand, x, xd []float32, nb int) {
	t.Helper()
	oh, ow := tg.OH(), tg.OW()
	per := oh / 2 * ow / 2
	n := nb * tg.O * per
	forwardPooledMatches(t, tg, x, xd, nb)
	y, g, rg := randoms(r, n), randoms(r, n), randoms(r, n)
	arg := make([]uint8, n)
	for i := range arg {
		arg[i] = uint8(r.IntN(4))
	}
	full, fullR := make([]float32, nb*tg.O*oh*ow), make([]float32, nb*tg.O*oh*ow)
	wantBias := make([]float64, tg.O)
	for i := 0; i < nb*tg.O; i++ {
		for py := 0; py < oh/2; py++ {
			for px := 0; px < ow/2; px++ {
				k := i*per + py*(ow/2) + px
				if y[k] <= 0 {
					continue
				}
				a := int(arg[k])
				j := i*oh*ow + (2*py+a/2)*ow + 2*px + a%2
				full[j], fullR[j] = g[k], rg[k]
				wantBias[i%tg.O] += float64(rg[k])
			}
		}
	}
	in := tg.C * tg.H * tg.W
	parts := func() [][]float32 {
		p := make([][]float32, Workers)
		for k := range p {
			p[k] = make([]float32, tg.O*tg.C*9)
		}
		return p
	}
	sum := func(p [][]float32) []float32 {
		out := make([]float32, len(p[0]))
		for _, q := range p {
			for j, v := range q {
				out[j] += v
			}
		}
		return out
	}
	accA, accB, bias := parts(), parts(), make([][]float32, Workers)
	for k := range bias {
		bias[k] = make([]float32, tg.O)
	}
	gxA, rxA := make([]float32, nb*in), make([]float32, nb*in)
	gxB, rxB := make([]float32, nb*in), make([]float32, nb*in)
	tg.Backward(x, xd, full, fullR, gxA, rxA, nb, accA)
	tg.BackwardPooled(x, xd, y, arg, g, rg, gxB, rxB, nb, accB, bias)
	to64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, f := range v {
			out[i] = float64(f)
		}
		return out
	}
	close64(t, "pooled filter gradient's derivative", sum(accB), to64(sum(accA)))
	close64(t, "pooled bias gradient's derivative", sum(bias), wantBias)
	if tg.input {
		close64(t, "pooled input gradient", gxB, to64(gxA))
		close64(t, "pooled input gradient's derivative", rxB, to64(rxA))
	}
}

// forwardPooledMatches checks ForwardPooled against Forward's full output
// pooled here: max(0, window max), the first maximum's position, and ẏ
// there where the pooled value is positive.
func forwardPooledMatches(t *testing.T, tg *Tangent, x, xd []float32, nb int) {
	t.Helper()
	oh, ow := tg.OH(), tg.OW()
	full, fullD := make([]float32, nb*tg.O*oh*ow), make([]float32, nb*tg.O*oh*ow)
	tg.Forward(x, xd, full, fullD, nb, false)
	per := oh / 2 * ow / 2
	n := nb * tg.O * per
	y, yd, arg := make([]float32, n), make([]float32, n), make([]uint8, n)
	tg.ForwardPooled(x, xd, y, yd, arg, nb, false)
	wantY, wantD := make([]float64, n), make([]float64, n)
	for i := 0; i < nb*tg.O; i++ {
		for py := 0; py < oh/2; py++ {
			for px := 0; px < ow/2; px++ {
				k := i*per + py*(ow/2) + px
				best, at := float32(0), -1
				for a := 0; a < 4; a++ {
					j := i*oh*ow + (2*py+a/2)*ow + 2*px + a%2
					if at < 0 || full[j] > best {
						best, at = full[j], j
					}
				}
				if best > 0 {
					wantY[k], wantD[k] = float64(best), float64(fullD[at])
				}
				if got := i*oh*ow + (2*py+int(arg[k])/2)*ow + 2*px + int(arg[k])%2; best > 1e-3 && full[got] != best {
					t.Errorf("window %d: maximum at %d, not %d", k, got, at)
				}
			}
		}
	}
	close64(t, "pooled y", y, wantY)
	close64(t, "pooled ẏ", yd, wantD)
}
