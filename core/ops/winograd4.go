package ops

import (
	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/simd"
)

// Winograd F(4×4, 3×3) for the pooled 3×3 convolutions of an evaluation
// pass (no backward pass needs the pooling's argmax): each 6×6 input tile
// gives a 4×4 output tile through 36 products [O×C]·[C×tiles], 4× fewer
// multiplications than im2col where F(2×2, 3×3) saves 2.25×, and each
// output tile holds four whole pooling windows, so the output transform,
// pooling, bias and ReLU are one kernel per row of tiles. It runs where
// simd.HasWino4 (AVX-512) and the output's sides are multiples of 4;
// otherwise winograd.go's F(2×2, 3×3) does the work.
//
// The layout follows winograd.go: U and V are written straight into the
// kernel's packed panels; the input transform runs horizontally over each
// padded input row (parts k = 0..5, rows kept by y mod 4 so a tile's six
// rows are four phases at its tile row and two at the next) and then
// vertically over all of an image's tiles at once.
type wino4 struct {
	c, h, w, o, pad int
	oh, ow, th, tw  int // output size, tiles down and across
	perImage        int // tiles per image
	images          int // images per chunk
	tiles           int // tiles per chunk, padded to a multiple of NR
	opad            int // O padded to a multiple of MR
	phase, part     int // strides in the horizontal transforms
	kern            gemm.Kernel
	u               []float32
	v, m, hz, plane [][]float32 // per worker
	q               [][]float32 // per worker: pooling windows, 4 rows
}

// canWino4 reports whether a conv of these sizes can use F(4×4, 3×3).
func canWino4(op *Conv) bool {
	return simd.HasWino4 && op.K == 3 && op.Pool && !op.Train && op.OH()%4 == 0 && op.OW()%4 == 0
}

func newWino4(c, h, w, o, pad int) *wino4 {
	k := gemm.Active()
	g := &wino4{c: c, h: h, w: w, o: o, pad: pad, kern: k}
	g.oh, g.ow = h+2*pad-2, w+2*pad-2
	g.th, g.tw = g.oh/4, g.ow/4
	g.perImage = g.th * g.tw
	// Enough images for two column panels, with the least padding.
	n0 := max(1, (2*k.NR+g.perImage-1)/g.perImage)
	waste := func(n int) float64 {
		t := n * g.perImage
		return float64((t+k.NR-1)/k.NR*k.NR-t) / float64(t)
	}
	g.images = n0
	for n := n0 + 1; n <= n0+8; n++ {
		if waste(n) < waste(g.images)-1e-9 {
			g.images = n
		}
	}
	n := g.images * g.perImage
	g.tiles = (n + k.NR - 1) / k.NR * k.NR
	g.opad = (o + k.MR - 1) / k.MR * k.MR
	g.phase = (g.th+1)*g.tw + 8 // Wino4InHoriz rounds a row up to 8 tiles
	g.part = 4 * g.phase
	g.u = make([]float32, 36*g.opad*c)
	return g
}

// qStride is the length of a pooling-window row: a chunk's tiles, and
// room for the kernels' 16-wide steps.
func (g *wino4) qStride() int { return g.tiles + 32 }

func (g *wino4) buffers(worker int) {
	for len(g.v) <= worker {
		g.v, g.m = append(g.v, nil), append(g.m, nil)
		g.hz, g.plane = append(g.hz, nil), append(g.plane, nil)
		g.q = append(g.q, nil)
	}
	if g.v[worker] == nil {
		g.v[worker] = make([]float32, 36*g.c*g.tiles)
		g.m[worker] = make([]float32, 36*g.opad*g.tiles+16) // Wino4OutPool rounds up to 16
		g.q[worker] = make([]float32, 4*g.qStride())
		g.hz[worker] = make([]float32, 6*g.part)
		rows, xw := 4*g.th+2, g.w+2*g.pad
		g.plane[worker] = make([]float32, (rows-1)*xw+4*((g.tw+7)&^7)+4)
	}
}

// filters transforms w [O,C,3,3] into U = G g Gᵀ, packed as in
// winograd.filters: position ξ = 6i + k, panels of MR output channels,
// then per input channel the MR values.
func (g *wino4) filters(w []float32) {
	mr := g.kern.MR
	clear(g.u)
	gm := [6][3]float64{{1. / 4, 0, 0}, {-1. / 6, -1. / 6, -1. / 6}, {-1. / 6, 1. / 6, -1. / 6},
		{1. / 24, 1. / 12, 1. / 6}, {1. / 24, -1. / 12, 1. / 6}, {0, 0, 1}}
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			f := w[(o*g.c+c)*9 : (o*g.c+c)*9+9]
			var t [6][3]float64 // G g
			for i := 0; i < 6; i++ {
				for q := 0; q < 3; q++ {
					t[i][q] = gm[i][0]*float64(f[q]) + gm[i][1]*float64(f[3+q]) + gm[i][2]*float64(f[6+q])
				}
			}
			for i := 0; i < 6; i++ {
				for k := 0; k < 6; k++ {
					u := t[i][0]*gm[k][0] + t[i][1]*gm[k][1] + t[i][2]*gm[k][2]
					xi := i*6 + k
					g.u[xi*g.opad*g.c+(o/mr)*g.c*mr+c*mr+o%mr] = float32(u)
				}
			}
		}
	}
}

// forward convolves n (≤ images) images of x into the pooled y
// [n,O,OH/2,OW/2] with bias and ReLU. U must be current (filters).
func (g *wino4) forward(worker int, x, y, bias []float32, n int) {
	v, m := g.v[worker], g.m[worker]
	g.input(worker, x, v, n)
	products(&g.kern, 36, g.opad, g.c, g.tiles, g.u, v, m, false)
	// All of the chunk's tiles at once, channel by channel, into the
	// window rows; then each image's pooled plane, a tile row (of at most
	// 8) at a time.
	stride := g.opad * g.tiles
	ph, pw := g.oh/2, g.ow/2
	q, qs := g.q[worker], g.qStride()
	for o := 0; o < g.o; o++ {
		simd.Wino4OutPool(q, qs, m[o*g.tiles:], stride, n*g.perImage)
		for img := 0; img < n; img++ {
			out := y[(img*g.o+o)*ph*pw : (img*g.o+o+1)*ph*pw]
			for tx := 0; tx < g.tw; tx += 8 {
				simd.Wino4PoolRows(out[2*tx:], pw, q[img*g.perImage+tx:], qs, g.tw, min(8, g.tw-tx), g.th, bias[o])
			}
		}
	}
}

// input writes V = Bᵀ d B for every tile of n images as packed B panels.
func (g *wino4) input(worker int, x, v []float32, n int) {
	nr := g.kern.NR
	stride := g.c * g.tiles // between positions
	// Tiles past n·perImage are left as they are: the products' columns
	// are independent, and the output reads only the real tiles'.
	hz, pl := g.hz[worker], g.plane[worker]
	tw, per, hw := g.tw, g.perImage, g.h*g.w
	rows, xw := 4*g.th+2, g.w+2*g.pad        // padded rows and their width
	need := (rows-1)*g.w + 4*((tw+7)&^7) + 4 // what Wino4InHoriz reads of a plane
	for img := 0; img < n; img++ {
		for c := 0; c < g.c; c++ {
			// An unpadded plane is read in place when the reads past its
			// end (which only feed tiles past tw) stay inside x; else it
			// is copied into pl, whose padding stays zero.
			at := (img*g.c + c) * hw
			if g.pad == 0 && len(x)-at >= need {
				simd.Wino4InHoriz(hz, g.part, g.phase, tw, x[at:], g.w, rows, tw)
			} else {
				for iy := 0; iy < g.h; iy++ {
					copy(pl[(iy+g.pad)*xw+g.pad:][:g.w], x[at+iy*g.w:][:g.w])
				}
				simd.Wino4InHoriz(hz, g.part, g.phase, tw, pl, xw, rows, tw)
			}
			t0 := img * per
			for k := 0; k < 6; k++ {
				for lo := 0; lo < per; {
					t := t0 + lo
					seg := min(per-lo, nr-t%nr)
					off := k*stride + (t/nr)*g.c*nr + c*nr + t%nr
					simd.Wino4InVert(v[off:], 6*stride, hz[k*g.part+lo:], g.phase, tw, seg)
					lo += seg
				}
			}
		}
	}
}
