package simd

import (
	"math/rand/v2"
	"testing"
)

// Transpose on every path: AVX-512's 16×16 blocks, AVX2's 8×8 (eight
// channels), the Go loops, and the edges each leaves.
func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	old := useAsm
	defer func() { useAsm = old }()
	for _, asm := range []bool{false, old} {
		useAsm = asm
		for _, sz := range [][2]int{{16, 16}, {32, 676}, {35, 17}, {5, 40}, {8, 196}, {8, 14}, {12, 30}, {9, 7}} {
			rows, cols := sz[0], sz[1]
			src := normals(r, rows*(cols+3))
			dst := make([]float32, cols*(rows+1))
			Transpose(dst, rows+1, src, cols+3, rows, cols)
			for i := 0; i < rows; i++ {
				for j := 0; j < cols; j++ {
					if dst[j*(rows+1)+i] != src[i*(cols+3)+j] {
						t.Fatalf("asm=%v %dx%d: transposed [%d,%d] wrong", asm, rows, cols, j, i)
					}
				}
			}
		}
	}
}

// Gather8Runs on both paths: runs at scattered (and overlapping) offsets,
// lengths around the 8-float block, into panels wider than 8.
func TestGather8Runs(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	old := useAsm
	defer func() { useAsm = old }()
	for _, asm := range []bool{false, old} {
		useAsm = asm
		for _, n := range []int{1, 7, 8, 16, 45, 333} {
			src := normals(r, 1000)
			var start [8]int
			for i := range start {
				start[i] = r.IntN(len(src) - n)
			}
			const stride = 48
			out := make([]float32, n*stride)
			Gather8Runs(out, stride, src, &start, n)
			for p := 0; p < n; p++ {
				for i := 0; i < 8; i++ {
					if out[p*stride+i] != src[start[i]+p] {
						t.Fatalf("asm=%v n=%d: out[%d·%d + %d] = %v, want %v", asm, n, p, stride, i, out[p*stride+i], src[start[i]+p])
					}
				}
				for i := 8; i < stride; i++ {
					if out[p*stride+i] != 0 {
						t.Fatalf("asm=%v n=%d: wrote outside the 8 columns at [%d]", asm, n, p*stride+i)
					}
				}
			}
		}
	}
}

func TestSparseGrad(t *testing.T) {
	if !HasSparseGrad {
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(17, 18))
	rnd := func(n int) []float32 { return normals(r, n) }
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
	for _, lanes := range []int{16, 8} {
		for cb := 0; cb < c; cb += lanes {
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
					for j := 0; j < lanes; j++ {
						want[tp*c+cb+j] += float64(gy[k]) * float64(x[(p+off)*c+cb+j])
						wantX[(p+off)*c+cb+j] += float64(gy[k]) * float64(dw[tp*c+cb+j])
					}
				}
			}
			if lanes == 16 {
				SparseInputGrad(gx[cb:], dw[cb:], c, w)
				SparseFilterGrad(dw[cb:], x[cb:], c, w, &bsum)
			} else {
				SparseInputGrad8(gx[cb:], dw[cb:], c, w)
				SparseFilterGrad8(dw[cb:], x[cb:], c, w, &bsum)
			}
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
					t.Fatalf("%d lanes, block %d: gx[%d] = %v, want %v", lanes, cb, i, gx[i], wantX[i])
				}
			}
		}
	}
}
