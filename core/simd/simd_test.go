package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every kernel, assembly and Go, on lengths around the 8-float width.
func TestKernelsMatchScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		old := useAsm
		useAsm = asm
		for _, n := range []int{0, 1, 7, 8, 9, 16, 33, 144} {
			in := make([][]float32, 4)
			for i := range in {
				in[i] = make([]float32, n)
				for j := range in[i] {
					in[i][j] = float32(r.NormFloat64())
				}
			}
			a, b, c, d := in[0], in[1], in[2], in[3]
			dst := make([]float32, n)
			check := func(name string, want func(i int) float32) {
				for i := range dst {
					if dst[i] != want(i) {
						t.Fatalf("asm=%v %s n=%d [%d] = %v, want %v", asm, name, n, i, dst[i], want(i))
					}
				}
			}
			Add3(dst, a, b, c)
			check("Add3", func(i int) float32 { return a[i] + b[i] + c[i] })
			Sub3(dst, a, b, c)
			check("Sub3", func(i int) float32 { return a[i] - b[i] - c[i] })
			Add(dst, a, b)
			check("Add", func(i int) float32 { return a[i] + b[i] })
			Sub(dst, a, b)
			check("Sub", func(i int) float32 { return a[i] - b[i] })
			Interleave2ReLU(dst[:n&^1], a, b, -0.1)
			for i := 0; i < n/2; i++ {
				if dst[2*i] != max(a[i]-0.1, 0) || dst[2*i+1] != max(b[i]-0.1, 0) {
					t.Fatalf("asm=%v Interleave2ReLU n=%d at %d", asm, n, i)
				}
			}
			Interleave2(dst[:n&^1], a, b, -0.1)
			for i := 0; i < n/2; i++ {
				if dst[2*i] != a[i]-0.1 || dst[2*i+1] != b[i]-0.1 {
					t.Fatalf("asm=%v Interleave2 n=%d at %d", asm, n, i)
				}
			}
			Max4ReLU(dst, a, b, c, d, 0.25)
			check("Max4ReLU", func(i int) float32 { return max(max(max(a[i], b[i]), max(c[i], d[i]))+0.25, 0) })
		}
		useAsm = old
	}
}

// The fused Winograd transforms against their definitions.
func TestWinogradTransforms(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	rnd := func(n int) []float32 { return normals(r, n) }
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		old := useAsm
		useAsm = asm
		for _, n := range []int{1, 7, 8, 13, 48, 145} {
			stride := n + 3
			m := rnd(16 * stride)
			q := make([]float32, 4*n)
			WinoOut(q, n, m, stride, n)
			pooled := make([]float32, n)
			WinoOutPool(pooled, m, stride, 0.5)
			for tt := 0; tt < n; tt++ {
				var M [4][4]float64
				for i := 0; i < 4; i++ {
					for j := 0; j < 4; j++ {
						M[i][j] = float64(m[(i*4+j)*stride+tt])
					}
				}
				// Aᵀ = [[1,1,1,0],[0,1,−1,−1]]
				at := [2][4]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
				best := -1e30
				for i := 0; i < 2; i++ {
					for j := 0; j < 2; j++ {
						y := 0.0
						for a := 0; a < 4; a++ {
							for b := 0; b < 4; b++ {
								y += at[i][a] * M[a][b] * at[j][b]
							}
						}
						if got := float64(q[(i*2+j)*n+tt]); diff(got, y) > 1e-5 {
							t.Fatalf("asm=%v n=%d WinoOut tile %d [%d,%d] = %v, want %v", asm, n, tt, i, j, got, y)
						}
						best = max(best, y)
					}
				}
				if got := float64(pooled[tt]); diff(got, max(best+0.5, 0)) > 1e-5 {
					t.Fatalf("asm=%v n=%d WinoOutPool[%d] = %v, want %v", asm, n, tt, got, max(best+0.5, 0))
				}
			}
			// Tight buffers (the tail in scalar code) and roomy ones (the
			// vector loop rounds up).
			for _, room := range []int{1, 8} {
				row := rnd(2*n + 2*room) // tight: exactly the 2n+2 values the transform reads
				hs := n + room
				h := make([]float32, 4*hs)
				WinoInHoriz(h, hs, row, n)
				for tt := 0; tt < n; tt++ {
					e0, o0, e1, o1 := row[2*tt], row[2*tt+1], row[2*tt+2], row[2*tt+3]
					for i, want := range []float32{e0 - e1, o0 + e1, e1 - o0, o0 - o1} {
						if h[i*hs+tt] != want {
							t.Fatalf("asm=%v n=%d room %d WinoInHoriz h%d[%d] = %v, want %v", asm, n, room, i, tt, h[i*hs+tt], want)
						}
					}
				}
			}
			rs := rnd(4 * (n + 2))
			dst := make([]float32, 4*(n+5))
			WinoInVert(dst, n+5, rs, rs[n+2:], rs[2*(n+2):], rs[3*(n+2):], n)
			for tt := 0; tt < n; tt++ {
				r0, r1, r2, r3 := rs[tt], rs[n+2+tt], rs[2*(n+2)+tt], rs[3*(n+2)+tt]
				for i, want := range []float32{r0 - r2, r1 + r2, r2 - r1, r1 - r3} {
					if dst[i*(n+5)+tt] != want {
						t.Fatalf("asm=%v n=%d WinoInVert v%d[%d]", asm, n, i, tt)
					}
				}
			}
		}
		useAsm = old
	}
}

// normals returns n standard normal float32s from r.
func normals(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func diff(a, b float64) float64 {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d / max(1, max(a, -a))
}

func TestSumAndReLUMask(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		old := useAsm
		useAsm = asm
		for _, n := range []int{0, 1, 31, 32, 33, 100, 577} {
			x, y := make([]float32, n), make([]float32, n)
			want := 0.0
			for i := range x {
				x[i], y[i] = float32(r.NormFloat64()), float32(r.IntN(3)-1)
				want += float64(x[i])
			}
			if got := float64(Sum(x)); diff(got, want) > 1e-5*float64(n+1) {
				t.Fatalf("asm=%v n=%d Sum = %v, want %v", asm, n, got, want)
			}
			g := append([]float32(nil), x...)
			ReLUMask(g, y)
			for i := range g {
				w := x[i]
				if y[i] <= 0 {
					w = 0
				}
				if g[i] != w {
					t.Fatalf("asm=%v n=%d ReLUMask [%d] = %v, want %v", asm, n, i, g[i], w)
				}
			}
		}
		useAsm = old
	}
}

// Affine and Add2 match plain Go at every length (the vector body and the
// tail), with and without ReLU, and keep a NaN.
func TestAffineAndAdd2(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 49, 196, 784} {
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = float32(i%13)-6.5, float32(i%5)-2
		}
		x[n/2] = float32(math.NaN())
		for _, relu := range []bool{false, true} {
			got := make([]float32, n)
			Affine(got, x, 0.5, 1.5, -0.25, relu)
			for i, v := range x {
				want := 1.5*(v-0.5) - 0.25
				if relu {
					want = max(want, 0)
				}
				if got[i] != want && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
					t.Fatalf("Affine n=%d relu=%v [%d] = %v, want %v", n, relu, i, got[i], want)
				}
			}
			var mask []float32 // the masked form: y as the gradient, x−0.5 as the ReLU's output
			if relu {
				mask = make([]float32, n)
				for i := range mask {
					mask[i] = float32(i%3) - 1
				}
			}
			Affine2Masked(got, y, x, mask, 2, -0.5, 0.25, 1)
			for i := range x {
				g := y[i]
				if relu && mask[i] <= 0 {
					g = 0
				}
				want := 2*g - 0.5*(x[i]-0.25) + 1
				if got[i] != want && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
					t.Fatalf("Affine2 n=%d masked=%v [%d] = %v, want %v", n, relu, i, got[i], want)
				}
			}
			Add2(got, x, y, relu)
			for i := range x {
				want := x[i] + y[i]
				if relu {
					want = max(want, 0)
				}
				if got[i] != want && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
					t.Fatalf("Add2 n=%d relu=%v [%d] = %v, want %v", n, relu, i, got[i], want)
				}
			}
		}
	}
}

// BNSums matches plain Go at every length, with the ReLU mask (a NaN in y
// keeps its gradient) and without.
func TestBNSums(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 49, 196, 784} {
		gy, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range gy {
			gy[i], x[i], y[i] = float32(i%7)-3, float32(i%11)*0.5, float32(i%3)-1
		}
		y[n/2] = float32(math.NaN())
		for _, mode := range []string{"plain", "relu", "relu, not stored"} {
			relu := mode != "plain"
			gz := make([]float32, n)
			out := gz
			if mode == "relu, not stored" {
				out = nil
			}
			s, sh := BNSums(out, gy, x, y, 1.5, relu)
			var ws, wsh float64
			for i := range gy {
				g := gy[i]
				if relu && y[i] <= 0 {
					g = 0
				}
				if out != nil && relu && gz[i] != g {
					t.Fatalf("n=%d gz[%d] = %v, want %v", n, i, gz[i], g)
				}
				ws += float64(g)
				wsh += float64(g) * (float64(x[i]) - 1.5)
			}
			if math.Abs(float64(s)-ws) > 1e-4 || math.Abs(float64(sh)-wsh) > 1e-3 {
				t.Fatalf("n=%d %s: sums %v, %v, want %v, %v", n, mode, s, sh, ws, wsh)
			}
		}
	}
}

// Interleave2Residual matches plain Go at every length, with and without
// ReLU, and keeps a NaN.
func TestInterleave2Residual(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 14, 24} {
		a, b, r := make([]float32, n), make([]float32, n), make([]float32, 2*n)
		for i := range a {
			a[i], b[i] = float32(i%5)-2, float32(i%3)-1.5
		}
		for i := range r {
			r[i] = float32(i%7) - 3
		}
		r[n] = float32(math.NaN())
		for _, relu := range []bool{false, true} {
			got := make([]float32, 2*n)
			Interleave2Residual(got, a, b, r, 0.25, relu)
			for i := 0; i < n; i++ {
				for k, v := range [2]float32{a[i], b[i]} {
					want := v + 0.25 + r[2*i+k]
					if relu {
						want = max(want, 0)
					}
					if g := got[2*i+k]; g != want && !(math.IsNaN(float64(g)) && math.IsNaN(float64(want))) {
						t.Fatalf("n=%d relu=%v [%d] = %v, want %v", n, relu, 2*i+k, g, want)
					}
				}
			}
		}
	}
}

func TestShiftSums(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		old := useAsm
		useAsm = asm
		for _, n := range []int{0, 1, 15, 16, 17, 100, 784} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(3 + r.NormFloat64())
			}
			var ws, wss float64
			for _, v := range x {
				d := float64(v) - 3.25
				ws += d
				wss += d * d
			}
			s, ss := ShiftSums(x, 3.25)
			if diff(float64(s), ws) > 1e-5*float64(n+1) || diff(float64(ss), wss) > 1e-5*float64(n+1) {
				t.Fatalf("asm=%v n=%d: ShiftSums = %v, %v, want %v, %v", asm, n, s, ss, ws, wss)
			}
		}
		useAsm = old
	}
}

func TestReLUGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		old := useAsm
		useAsm = asm
		for _, n := range []int{1, 8, 21, 64} {
			g, y, dst := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range g {
				g[i], y[i], dst[i] = float32(r.NormFloat64()), float32(r.IntN(3)-1), float32(math.NaN())
			}
			src := append([]float32(nil), g...)
			ReLUGrad(dst, g, y)
			for i := range dst {
				want := src[i]
				if y[i] <= 0 {
					want = 0
				}
				if dst[i] != want || g[i] != src[i] {
					t.Fatalf("asm=%v n=%d: dst[%d] = %v (g %v), want %v (g %v)", asm, n, i, dst[i], g[i], want, src[i])
				}
			}
		}
		useAsm = old
	}
}
