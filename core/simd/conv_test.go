package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Conv3x3 against a float64 sum, with and without ReLU, on one to three
// channels and lengths around the 16-float step, assembly and Go.
func TestConv3x3(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	randn := func(n int) []float32 { return normals(r, n) }
	for _, asm := range []bool{false, true} {
		if asm && !(useAsm && hasFMA) {
			continue
		}
		old := useAsm
		useAsm = asm
		for _, n := range []int{1, 15, 16, 17, 48, 100} {
			for c := 1; c <= 3; c++ {
				xw, ds := 13, n+3
				plane := n + 2*xw + 5
				x, w, bias := randn((c-1)*plane+n+2*xw+2), randn(36*c), randn(4)
				for _, relu := range []bool{false, true} {
					dst := randn(3*ds + n)
					prev := append([]float32(nil), dst...)
					Conv3x3(dst, ds, x, xw, plane, c, w, bias, n, relu)
					for j := 0; j < 4; j++ {
						for q := 0; q < n; q++ {
							want := float64(bias[j])
							for ch := 0; ch < c; ch++ {
								for ky := 0; ky < 3; ky++ {
									for kx := 0; kx < 3; kx++ {
										want += float64(w[36*ch+9*j+3*ky+kx]) * float64(x[ch*plane+q+ky*xw+kx])
									}
								}
							}
							if relu {
								want = max(want, 0)
							}
							if got := float64(dst[j*ds+q]); got-want > 1e-5 || want-got > 1e-5 {
								t.Fatalf("asm=%v relu=%v n=%d c=%d: channel %d [%d] = %v, want %v", asm, relu, n, c, j, q, got, want)
							}
						}
						for q := n; q < ds && j < 3; q++ {
							if dst[j*ds+q] != prev[j*ds+q] {
								t.Fatalf("asm=%v n=%d c=%d: wrote past n in channel %d", asm, n, c, j)
							}
						}
					}
				}
			}
		}
		useAsm = old
	}
}

// Conv3x3Rows against a float64 sum: eight channels, 16 columns, several
// rows and input channels, with and without ReLU.
func TestConv3x3Rows(t *testing.T) {
	if !HasConvRows {
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(9, 10))
	randn := func(n int) []float32 { return normals(r, n) }
	for _, rows := range []int{1, 3} {
		for c := 1; c <= 3; c++ {
			for _, relu := range []bool{false, true} {
				xw, drow := 21, 19
				plane := (rows+2)*xw + 20
				ds := rows*drow + 5
				x, w, bias := randn(c*plane), randn(72*c), randn(8)
				dst := randn(8 * ds)
				prev := append([]float32(nil), dst...)
				Conv3x3Rows(dst, ds, drow, x, xw, plane, c, w, bias, rows, relu)
				for j := 0; j < 8; j++ {
					for i := 0; i < ds; i++ {
						row, q := i/drow, i%drow
						if row >= rows || q >= 16 {
							if dst[j*ds+i] != prev[j*ds+i] {
								t.Fatalf("rows=%d c=%d: wrote channel %d [%d], outside the tile", rows, c, j, i)
							}
							continue
						}
						want := float64(bias[j])
						for ch := 0; ch < c; ch++ {
							for ky := 0; ky < 3; ky++ {
								for kx := 0; kx < 3; kx++ {
									want += float64(w[72*ch+9*j+3*ky+kx]) * float64(x[ch*plane+(row+ky)*xw+q+kx])
								}
							}
						}
						if relu {
							want = max(want, 0)
						}
						if got := float64(dst[j*ds+i]); got-want > 1e-5 || want-got > 1e-5 {
							t.Fatalf("rows=%d c=%d relu=%v: channel %d row %d col %d = %v, want %v", rows, c, relu, j, row, q, got, want)
						}
					}
				}
			}
		}
	}
}

func TestConvTaps(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	tapPaths(func(vec bool) {
		for _, n := range []int{5, 16, 37, 48, 64, 80, 130} {
			for _, c := range []int{1, 3} {
				taps := []int{0, 1, 2, 9, 10, 11, 18, 19, 20}
				if c == 3 {
					taps = []int{7, 0, 40} // any offsets, in any order
				}
				span := (n + 15) &^ 15
				cstride := 64 + span
				x, w := normals(r, c*cstride+span+64), normals(r, 8*c*len(taps))
				ds := span + 7
				dst := normals(r, 8*ds)
				prev := append([]float32(nil), dst...)
				ConvTaps(dst, ds, x, cstride, c, taps, w, n)
				for j := 0; j < 8; j++ {
					for v := 0; v < ds; v++ {
						got := dst[j*ds+v]
						if v >= span {
							if got != prev[j*ds+v] {
								t.Fatalf("vec=%v n=%d: wrote channel %d [%d], past the span", vec, n, j, v)
							}
							continue
						}
						want := 0.0
						for ch := 0; ch < c; ch++ {
							for ti, off := range taps {
								want += float64(w[8*(ch*len(taps)+ti)+j]) * float64(x[ch*cstride+off+v])
							}
						}
						if d := float64(got) - want; !(d <= 1e-5 && d >= -1e-5) {
							t.Fatalf("vec=%v n=%d c=%d: channel %d [%d] = %v, want %v", vec, n, c, j, v, got, want)
						}
					}
				}
			}
		}
	})
}

func TestTapsOut(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	nan := float32(math.NaN())
	tapPaths(func(vec bool) {
		for _, ow := range []int{7, 14, 16, 28, 35} {
			for _, res := range []bool{false, true} {
				for _, relu := range []bool{false, true} {
					rows, pw := 5, ow+2
					src := normals(r, rows*pw)
					src[3] = nan
					dst := normals(r, rows*ow+9)
					prev := append([]float32(nil), dst...)
					var rs []float32
					if res {
						rs = normals(r, rows*ow)
					}
					TapsOut(dst, src, rows, ow, pw, 0.25, rs, relu)
					for i := range dst {
						if i >= rows*ow {
							if dst[i] != prev[i] {
								t.Fatalf("vec=%v ow=%d: wrote [%d], past the rows", vec, ow, i)
							}
							continue
						}
						want := src[i/ow*pw+i%ow] + 0.25
						if res {
							want += rs[i]
						}
						if relu && want < 0 {
							want = 0
						}
						if got := dst[i]; got != want && !(got != got && want != want) {
							t.Fatalf("vec=%v ow=%d res=%v relu=%v: [%d] = %v, want %v", vec, ow, res, relu, i, got, want)
						}
					}
				}
			}
		}
	})
}

func TestCopyRows(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	tapPaths(func(vec bool) {
		for _, w := range []int{1, 7, 16, 28, 33} {
			rows, ss, ds := 4, w+1, w+3
			src, dst := normals(r, rows*ss), normals(r, rows*ds+5)
			prev := append([]float32(nil), dst...)
			CopyRows(dst, ds, src, ss, rows, w)
			for i := range dst {
				want := prev[i]
				if row, q := i/ds, i%ds; row < rows && q < w {
					want = src[row*ss+q]
				}
				if dst[i] != want {
					t.Fatalf("vec=%v w=%d: dst[%d] = %v, want %v", vec, w, i, dst[i], want)
				}
			}
		}
	})
}

func TestTapsGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	tapPaths(func(vec bool) {
		for _, n := range []int{1, 3, 7} {
			gstride := 16*n + 5
			gz, x := normals(r, 8*gstride), normals(r, 16*n+40)
			offs := [3]int{0, 21, 3}
			out := normals(r, 3*8*16)
			prev := append([]float32(nil), out...)
			TapsGrad(out, gz, gstride, x, &offs, n)
			for k, o := range offs {
				for j := 0; j < 8; j++ {
					for l := 0; l < 16; l++ {
						want := float64(prev[(k*8+j)*16+l])
						for b := 0; b < n; b++ {
							want += float64(gz[j*gstride+16*b+l]) * float64(x[o+16*b+l])
						}
						if got := float64(out[(k*8+j)*16+l]); math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
							t.Fatalf("vec=%v n=%d: tap %d channel %d lane %d = %v, want %v", vec, n, k, j, l, got, want)
						}
					}
				}
			}
		}
	})
}

func TestSplit2(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	tapPaths(func(vec bool) {
		for _, w := range []int{1, 7, 14, 16, 17, 28, 32, 33} {
			rows, ss, ds := 3, 2*w+1, w/2+3
			src := normals(r, rows*ss)
			d0, d1 := normals(r, rows*ds), normals(r, rows*ds)
			p0, p1 := append([]float32(nil), d0...), append([]float32(nil), d1...)
			Split2(d0, d1, ds, src, ss, rows, w)
			for i := range d0 {
				row, q := i/ds, i%ds
				w0, w1 := p0[i], p1[i]
				if q < (w+1)/2 {
					w0 = src[row*ss+2*q]
				}
				if q < w/2 {
					w1 = src[row*ss+2*q+1]
				}
				if d0[i] != w0 || d1[i] != w1 {
					t.Fatalf("vec=%v w=%d: [%d] = %v, %v, want %v, %v", vec, w, i, d0[i], d1[i], w0, w1)
				}
			}
		}
	})
}

// tapPaths runs f on the plain-Go path of the tap kernels, then (where
// AVX-512 runs them) on the vector one, and restores HasConvTaps.
func tapPaths(f func(vec bool)) {
	defer func(v bool) { HasConvTaps = v }(HasConvTaps)
	paths := []bool{false}
	if HasConvTaps {
		paths = append(paths, true)
	}
	for _, vec := range paths {
		HasConvTaps = vec
		f(vec)
	}
}
