package simd

import (
	"math/rand/v2"
	"testing"
)

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
	rnd := func(n int) []float32 { return normals(r, n) }
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
