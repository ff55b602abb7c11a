package simd

import (
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
			Max4ReLU(dst, a, b, c, d, 0.25)
			check("Max4ReLU", func(i int) float32 { return max(max(max(a[i], b[i]), max(c[i], d[i]))+0.25, 0) })
		}
		useAsm = old
	}
}

// The fused Winograd transforms against their definitions.
func TestWinogradTransforms(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
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
				row := rnd(2*n + 4 + 2*room)
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

func diff(a, b float64) float64 {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d / max(1, max(a, -a))
}

// Conv3x3 against a float64 sum, with and without ReLU, on one to three
// channels and lengths around the 16-float step, assembly and Go.
func TestConv3x3(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
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

// The F(4×4, 3×3) kernels against the transforms computed in float64
// from their matrices.
func TestWino4Transforms(t *testing.T) {
	if !HasWino4 {
		t.Skip("no AVX-512 here")
	}
	bT := [6][6]float64{{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}}
	aT := [4][6]float64{{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}
	r := rand.New(rand.NewPCG(7, 8))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	near := func(got float32, want float64) bool { return diff(float64(got), want) <= 2e-6 }
	for _, n := range []int{1, 6, 8, 9, 16, 36, 45} {
		n8 := (n + 7) &^ 7
		for _, rows := range []int{1, 6, 9} {
			rstride := 4*n + 2 + rows%3
			x := rnd((rows-1)*rstride + 4*n8 + 4)
			tw := n + 1
			phase := (rows-1)/4*tw + n8 + 2
			ps := 4*phase + 1
			h := make([]float32, 6*ps)
			Wino4InHoriz(h, ps, phase, tw, x, rstride, rows, n)
			for y := 0; y < rows; y++ {
				for tt := 0; tt < n; tt++ {
					for i := 0; i < 6; i++ {
						want := 0.0
						for j := 0; j < 6; j++ {
							want += bT[i][j] * float64(x[y*rstride+4*tt+j])
						}
						if got := h[i*ps+(y%4)*phase+(y/4)*tw+tt]; !near(got, want) {
							t.Fatalf("n=%d rows=%d Wino4InHoriz row %d part %d tile %d = %v, want %v", n, rows, y, i, tt, got, want)
						}
					}
				}
			}
		}
		phase, tw := n+4, n+1
		src := rnd(3*phase + n + 2)
		ds := n + 2
		dst := rnd(6 * ds)
		prev := append([]float32(nil), dst...)
		Wino4InVert(dst, ds, src, phase, tw, n)
		rowOf := func(j, tt int) float32 { return src[(j%4)*phase+(j/4)*tw+tt] }
		for i := 0; i < 6; i++ {
			for tt := 0; tt < ds; tt++ {
				if tt >= n {
					if i < 5 && dst[i*ds+tt] != prev[i*ds+tt] {
						t.Fatalf("n=%d Wino4InVert wrote past n in part %d", n, i)
					}
					continue
				}
				want := 0.0
				for j := 0; j < 6; j++ {
					want += bT[i][j] * float64(rowOf(j, tt))
				}
				if got := dst[i*ds+tt]; !near(got, want) {
					t.Fatalf("n=%d Wino4InVert part %d [%d] = %v, want %v", n, i, tt, got, want)
				}
			}
		}
		stride := n + 21
		m := rnd(35*stride + 16 + n)
		qs := (n+15)&^15 + 1
		q := make([]float32, 4*qs)
		Wino4OutPool(q, qs, m, stride, n)
		for tt := 0; tt < n; tt++ {
			var y [4][4]float64
			for a := 0; a < 4; a++ {
				for b := 0; b < 4; b++ {
					for i := 0; i < 6; i++ {
						for j := 0; j < 6; j++ {
							y[a][b] += aT[a][i] * float64(m[(6*i+j)*stride+tt]) * aT[b][j]
						}
					}
				}
			}
			for a := 0; a < 2; a++ {
				for b := 0; b < 2; b++ {
					want := max(y[2*a][2*b], y[2*a][2*b+1], y[2*a+1][2*b], y[2*a+1][2*b+1])
					if got := q[(2*a+b)*qs+tt]; diff(float64(got), want) > 1e-5 {
						t.Fatalf("n=%d Wino4OutPool tile %d window (%d,%d) = %v, want %v", n, tt, a, b, got, want)
					}
				}
			}
		}
		// Pooled rows of tw tiles from window rows.
		for _, tr := range [][2]int{{1, 1}, {6, 6}, {8, 8}, {6, 9}} {
			tw, qrow, th := tr[0], tr[1], 3
			wq := rnd(3*(th*qrow+16) + th*qrow + 16)
			ws := th*qrow + 16
			pw := 2*tw + 3
			out := make([]float32, 2*th*pw)
			for i := range out {
				out[i] = -7
			}
			Wino4PoolRows(out, pw, wq, ws, qrow, tw, th, 0.25)
			for ty := 0; ty < th; ty++ {
				for a := 0; a < 2; a++ {
					for j := 0; j < pw; j++ {
						want := float32(-7)
						if j < 2*tw {
							want = max(wq[(2*a+j%2)*ws+ty*qrow+j/2]+0.25, 0)
						}
						if got := out[(2*ty+a)*pw+j]; got != want {
							t.Fatalf("tw=%d Wino4PoolRows row %d [%d] = %v, want %v", tw, 2*ty+a, j, got, want)
						}
					}
				}
			}
		}
	}
}

// Conv3x3Rows against a float64 sum: eight channels, 16 columns, several
// rows and input channels, with and without ReLU.
func TestConv3x3Rows(t *testing.T) {
	if !HasConvRows {
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(9, 10))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
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

// The pooling kernels against their Go loops, with ties (values drawn
// from a few levels) so the first-maximum rule is tested.
func TestPoolArg(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	level := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.IntN(5)) - 2
		}
		return v
	}
	for _, n := range []int{1, 15, 16, 17, 49, 144} {
		a, b, c, d := level(n), level(n), level(n), level(n)
		dst, arg := make([]float32, n), make([]uint8, n)
		Pool4Arg(dst, arg, a, b, c, d, 0.5)
		wd, wa := make([]float32, n), make([]uint8, n)
		pool4Go(wd, wa, a, b, c, d, 0.5)
		for i := range dst {
			if dst[i] != wd[i] || arg[i] != wa[i] {
				t.Fatalf("n=%d Pool4Arg [%d] = %v/%d, want %v/%d", n, i, dst[i], arg[i], wd[i], wa[i])
			}
		}
	}
	for _, pw := range []int{3, 14, 16, 20, 35} {
		rows, w := 4, 2*pw+3
		src := level((2*rows-1)*w + (2*pw+31)&^31)
		dst, arg := make([]float32, rows*pw), make([]uint8, rows*pw)
		Pool2x2Arg(dst, arg, src, w, pw, rows, -0.5)
		old := hasPoolArg
		hasPoolArg = false
		wd, wa := make([]float32, rows*pw), make([]uint8, rows*pw)
		Pool2x2Arg(wd, wa, src, w, pw, rows, -0.5)
		hasPoolArg = old
		for i := range dst {
			if dst[i] != wd[i] || arg[i] != wa[i] {
				t.Fatalf("pw=%d Pool2x2Arg [%d] = %v/%d, want %v/%d", pw, i, dst[i], arg[i], wd[i], wa[i])
			}
		}
	}
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

func TestUnpoolAndDot4(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, pw := range []int{3, 7, 12, 16, 21} {
		rows, w := 3, 2*pw+1
		n := (rows-1)*pw + (pw+15)&^15
		gy, pooled, arg := make([]float32, n), make([]float32, n), make([]uint8, n)
		for i := range gy {
			gy[i], pooled[i], arg[i] = float32(r.NormFloat64()), float32(r.IntN(3)-1), uint8(r.IntN(4))
		}
		got := make([]float32, 2*rows*w)
		for i := range got {
			got[i] = 9
		}
		want := append([]float32(nil), got...)
		Unpool2x2(got, w, gy, pooled, arg, pw, rows)
		old := hasPoolArg
		hasPoolArg = false
		Unpool2x2(want, w, gy, pooled, arg, pw, rows)
		hasPoolArg = old
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("pw=%d Unpool2x2 [%d] = %v, want %v", pw, i, got[i], want[i])
			}
		}
		for rr := 0; rr < 2*rows; rr++ { // the Go loop's own check: one value a window
			if want[rr*w+2*pw] != 9 {
				t.Fatalf("pw=%d wrote past 2·pw", pw)
			}
		}
	}
	for _, n := range []int{1, 8, 13, 100} {
		var b [4][]float32
		a := make([]float32, n)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = make([]float32, n)
			for j := range b[i] {
				b[i][j] = float32(r.NormFloat64())
			}
		}
		var out [4]float32
		Dot4(&out, a, b[0], b[1], b[2], b[3])
		for i := range b {
			want := 0.0
			for j := range a {
				want += float64(a[j]) * float64(b[i][j])
			}
			if diff(float64(out[i]), want) > 1e-5 {
				t.Fatalf("n=%d Dot4[%d] = %v, want %v", n, i, out[i], want)
			}
		}
	}
}

func TestTransposeAndSparseGrad(t *testing.T) {
	if !HasSparseGrad {
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(17, 18))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	for _, sz := range [][2]int{{16, 16}, {32, 676}, {35, 17}, {5, 40}} {
		rows, cols := sz[0], sz[1]
		src := rnd(rows * (cols + 3))
		dst := make([]float32, cols*(rows+1))
		Transpose(dst, rows+1, src, cols+3, rows, cols)
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				if dst[j*(rows+1)+i] != src[i*(cols+3)+j] {
					t.Fatalf("%dx%d: transposed [%d,%d] wrong", rows, cols, j, i)
				}
			}
		}
	}
	// A 26×26 plane of 32 channels (channels last), 12×12 windows.
	c, xw, ph := 32, 26, 12
	x := rnd(xw * xw * c)
	gy, y := rnd(ph*ph), rnd(ph*ph)
	arg := make([]uint8, ph*ph)
	pix := make([]int32, ph*ph)
	for py := 0; py < ph; py++ {
		for px := 0; px < ph; px++ {
			k := py*ph + px
			arg[k] = uint8(r.IntN(4))
			pix[k] = int32(2*py*xw + 2*px)
		}
	}
	aoff := [4]int32{0, 1, int32(xw), int32(xw + 1)}
	w := &Windows{GY: gy, Y: y, Arg: arg, Pix: pix, AOff: &aoff, XW: xw}
	for cb := 0; cb < c; cb += 16 {
		dw := rnd(9 * c)
		want := make([]float64, len(dw))
		for i, v := range dw {
			want[i] = float64(v)
		}
		bsum := float32(0.5)
		wantB := 0.5
		gx := rnd(len(x))
		wantX := make([]float64, len(gx))
		for i, v := range gx {
			wantX[i] = float64(v)
		}
		for k := range pix {
			if y[k] <= 0 {
				continue
			}
			p := int(pix[k] + aoff[arg[k]])
			wantB += float64(gy[k])
			for tp := 0; tp < 9; tp++ {
				off := (tp/3)*xw + tp%3
				for j := 0; j < 16; j++ {
					want[tp*c+cb+j] += float64(gy[k]) * float64(x[(p+off)*c+cb+j])
					wantX[(p+off)*c+cb+j] += float64(gy[k]) * float64(dw[tp*c+cb+j])
				}
			}
		}
		SparseInputGrad(gx[cb:], dw[cb:], c, w)
		SparseFilterGrad(dw[cb:], x[cb:], c, w, &bsum)
		for i := range dw {
			if diff(float64(dw[i]), want[i]) > 1e-4 {
				t.Fatalf("block %d: dw[%d] = %v, want %v", cb, i, dw[i], want[i])
			}
		}
		if diff(float64(bsum), wantB) > 1e-4 {
			t.Fatalf("bias sum %v, want %v", bsum, wantB)
		}
		for i := range gx {
			if diff(float64(gx[i]), wantX[i]) > 1e-4 {
				t.Fatalf("block %d: gx[%d] = %v, want %v", cb, i, gx[i], wantX[i])
			}
		}
	}
}
