package ops

import (
	"os"

	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/simd"
)

// Winograd F(2×2, 3×3) convolution (Lavin & Gray 2016): each 4×4 input
// tile is transformed (V = Bᵀ d B), multiplied position by position with
// the transformed filters (U = G g Gᵀ) summed over input channels — 16
// matrix products [O×C]·[C×tiles] — and transformed back to a 2×2 output
// tile (Y = Aᵀ M A). It does 2.25× fewer multiplications than im2col+GEMM
// for 3×3 filters. The products run on gemm's micro-kernel directly: the
// transforms write U and V already in its packed panel layouts.

// UseWinograd selects Winograd for 3×3 convolutions (BASIN_CONV=im2col
// turns it off, for comparison).
var UseWinograd = os.Getenv("BASIN_CONV") != "im2col"

// winograd holds the sizes and buffers of one convolution's transform.
type winograd struct {
	c, h, w, o, pad int
	oh, ow, th, tw  int // output size, tiles down and across
	perImage        int // tiles per image
	images          int // images per chunk (so a chunk has enough tiles)
	tiles           int // tiles per chunk, padded to a multiple of NR
	opad            int // O padded to a multiple of MR
	kern            gemm.Kernel
	u               []float32   // transformed filters, packed A panels per position
	v, m            [][]float32 // per worker: packed B panels, products
	sc              []*scratch  // per worker: the transforms' arrays
}

// scratch holds one worker's arrays for the transforms.
type scratch struct {
	even, odd   []float32
	hEven, hOdd [4][]float32 // horizontal transforms of even and odd input rows
	s           [8][]float32 // Aᵀ M
	q           [4][]float32 // Aᵀ M A
}

func newWinograd(c, h, w, o, pad int) *winograd {
	k := gemm.Active()
	g := &winograd{c: c, h: h, w: w, o: o, pad: pad, kern: k}
	g.oh, g.ow = h+2*pad-2, w+2*pad-2
	g.th, g.tw = (g.oh+1)/2, (g.ow+1)/2
	g.perImage = g.th * g.tw
	g.images = max(1, (2*k.NR+g.perImage-1)/g.perImage)
	n := g.images * g.perImage
	g.tiles = (n + k.NR - 1) / k.NR * k.NR
	g.opad = (o + k.MR - 1) / k.MR * k.MR
	g.u = make([]float32, 16*g.opad*c)
	return g
}

// filters transforms w [O,C,3,3] into U, packed for the kernel: position
// ξ, then panels of MR output channels, then for each input channel the
// MR values.
func (g *winograd) filters(w []float32) {
	mr := g.kern.MR
	clear(g.u)
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			f := w[(o*g.c+c)*9 : (o*g.c+c)*9+9]
			var t [4][3]float32 // G g
			for j := 0; j < 3; j++ {
				g0, g1, g2 := f[j], f[3+j], f[6+j]
				t[0][j], t[1][j], t[2][j], t[3][j] = g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2
			}
			for i := 0; i < 4; i++ {
				u := [4]float32{t[i][0], (t[i][0] + t[i][1] + t[i][2]) / 2, (t[i][0] - t[i][1] + t[i][2]) / 2, t[i][2]}
				for j, v := range u {
					xi := i*4 + j
					g.u[xi*g.opad*g.c+(o/mr)*g.c*mr+c*mr+o%mr] = v
				}
			}
		}
	}
}

func (g *winograd) buffers(worker int) (v, m []float32) {
	for len(g.v) <= worker {
		g.v = append(g.v, nil)
		g.m = append(g.m, nil)
	}
	if g.v[worker] == nil {
		g.v[worker] = make([]float32, 16*g.c*g.tiles)
		g.m[worker] = make([]float32, 16*g.opad*g.tiles)
		sc := &scratch{even: make([]float32, g.tw+1), odd: make([]float32, g.tw+1)}
		for i := range sc.hEven {
			sc.hEven[i] = make([]float32, (g.th+1)*g.tw)
			sc.hOdd[i] = make([]float32, (g.th+1)*g.tw)
		}
		for i := range sc.s {
			sc.s[i] = make([]float32, g.tiles)
		}
		for i := range sc.q {
			sc.q[i] = make([]float32, g.tiles)
		}
		g.sc = append(g.sc, sc)
	}
	return g.v[worker], g.m[worker]
}

// pool finishes output channel o with ReLU and 2×2 max pooling: each
// tile's four values q become one (OH and OW are even). Without arg (no
// backward pass) it is one vector pass per image.
func (g *winograd) pool(q *[4][]float32, y []float32, arg []uint8, b float32, o, n int) {
	per := g.perImage
	for img := 0; img < n; img++ {
		out := y[(img*g.o+o)*per : (img*g.o+o+1)*per]
		t0 := img * per
		a0, a1, a2, a3 := q[0][t0:t0+per], q[1][t0:t0+per], q[2][t0:t0+per], q[3][t0:t0+per]
		if arg == nil {
			simd.Max4ReLU(out, a0, a1, a2, a3, b)
			continue
		}
		ar := arg[(img*g.o+o)*per : (img*g.o+o+1)*per]
		for t := range out {
			best, k := a0[t], uint8(0)
			if a1[t] > best {
				best, k = a1[t], 1
			}
			if a2[t] > best {
				best, k = a2[t], 2
			}
			if a3[t] > best {
				best, k = a3[t], 3
			}
			out[t], ar[t] = max(best+b, 0), k
		}
	}
}

// forward convolves n (≤ images) images of x into y, adding the bias and
// applying ReLU if asked, and pooling if asked (recording the maxima in
// arg when it is not nil). U must be current (filters).
func (g *winograd) forward(worker int, x, y, bias []float32, n int, relu, pool bool, arg []uint8) {
	v, m := g.buffers(worker)
	g.input(x, v, n, g.sc[worker])
	mr, nr := g.kern.MR, g.kern.NR
	for xi := 0; xi < 16; xi++ {
		u := g.u[xi*g.opad*g.c : (xi+1)*g.opad*g.c]
		vb := v[xi*g.c*g.tiles : (xi+1)*g.c*g.tiles]
		mb := m[xi*g.opad*g.tiles : (xi+1)*g.opad*g.tiles]
		for rp := 0; rp < g.opad/mr; rp++ {
			a := u[rp*g.c*mr : (rp+1)*g.c*mr]
			for cp := 0; cp < g.tiles/nr; cp++ {
				g.kern.Tile(g.c, a, vb[cp*g.c*nr:(cp+1)*g.c*nr], mb[rp*mr*g.tiles+cp*nr:], g.tiles, false)
			}
		}
	}
	g.output(m, y, bias, n, relu, pool, g.sc[worker], arg)
}

// input writes V = Bᵀ d B for every tile of n images, as packed B panels:
// position ξ, then panels of NR tiles, then for each channel NR values.
// Per image and channel it first transforms every input row horizontally
// (each row serves two rows of tiles), keeping even and odd rows apart so
// the vertical transform of all tiles is a few contiguous vector passes
// per panel.
func (g *winograd) input(x, v []float32, n int, sc *scratch) {
	nr := g.kern.NR
	hw := g.h * g.w
	stride := g.c * g.tiles // between positions
	for t := n * g.perImage; t < g.tiles; t++ {
		base := (t/nr)*g.c*nr + t%nr
		for c := 0; c < g.c; c++ {
			for xi := 0; xi < 16; xi++ {
				v[xi*stride+base+c*nr] = 0
			}
		}
	}
	tw, per := g.tw, g.perImage
	rows := 2*g.th + 2 // padded input rows the tiles read
	for img := 0; img < n; img++ {
		for c := 0; c < g.c; c++ {
			plane := x[(img*g.c+c)*hw : (img*g.c+c+1)*hw]
			for y := 0; y < rows; y++ {
				e, o := sc.even[:tw+1], sc.odd[:tw+1]
				clear(e)
				clear(o)
				if iy := y - g.pad; iy >= 0 && iy < g.h {
					for j, p := range plane[iy*g.w : (iy+1)*g.w] {
						if k := j + g.pad; k < 2*tw+2 {
							if k&1 == 0 {
								e[k>>1] = p
							} else {
								o[k>>1] = p
							}
						}
					}
				}
				// d columns 2tx..2tx+3 are e[tx], o[tx], e[tx+1], o[tx+1].
				hv := &sc.hEven
				if y&1 == 1 {
					hv = &sc.hOdd
				}
				off := (y >> 1) * tw
				simd.Sub(hv[0][off:off+tw], e, e[1:])
				simd.Add(hv[1][off:off+tw], o, e[1:])
				simd.Sub(hv[2][off:off+tw], e[1:], o)
				simd.Sub(hv[3][off:off+tw], o, o[1:])
			}
			// Rows 2ty, 2ty+1, 2ty+2, 2ty+3 of tile row ty are
			// hEven[ty], hOdd[ty], hEven[ty+1], hOdd[ty+1].
			t0 := img * per
			for k := 0; k < 4; k++ {
				r0, r1 := sc.hEven[k][:per], sc.hOdd[k][:per]
				r2, r3 := sc.hEven[k][tw:tw+per], sc.hOdd[k][tw:tw+per]
				for lo := 0; lo < per; {
					t := t0 + lo
					seg := min(per-lo, nr-t%nr)
					off := (t/nr)*g.c*nr + c*nr + t%nr
					hi := lo + seg
					simd.Sub(v[(0*4+k)*stride+off:][:seg], r0[lo:hi], r2[lo:hi])
					simd.Add(v[(1*4+k)*stride+off:][:seg], r1[lo:hi], r2[lo:hi])
					simd.Sub(v[(2*4+k)*stride+off:][:seg], r2[lo:hi], r1[lo:hi])
					simd.Sub(v[(3*4+k)*stride+off:][:seg], r1[lo:hi], r3[lo:hi])
					lo = hi
				}
			}
		}
	}
}

// output writes Y = Aᵀ M A (+ bias, ReLU) into y [n,O,OH,OW], one output
// channel at a time over contiguous rows of M. With pool, each 2×2 output
// tile is max-pooled instead (y is [n,O,OH/2,OW/2]); arg, when not nil,
// gets the position (0-3, row-major) of each maximum for the backward
// pass.
func (g *winograd) output(m, y, bias []float32, n int, relu, pool bool, sc *scratch, arg []uint8) {
	stride := g.opad * g.tiles
	ohw := g.oh * g.ow
	tl := n * g.perImage
	s, q := &sc.s, &sc.q
	for o := 0; o < g.o; o++ {
		r := func(xi int) []float32 { return m[xi*stride+o*g.tiles : xi*stride+o*g.tiles+tl] }
		for j := 0; j < 4; j++ { // Aᵀ M: s[j] = row 0, s[4+j] = row 1
			simd.Add3(s[j][:tl], r(j), r(4+j), r(8+j))
			simd.Sub3(s[4+j][:tl], r(4+j), r(8+j), r(12+j))
		}
		// (Aᵀ M) A: q = the tile's 4 outputs, row-major.
		simd.Add3(q[0][:tl], s[0], s[1], s[2])
		simd.Sub3(q[1][:tl], s[1], s[2], s[3])
		simd.Add3(q[2][:tl], s[4], s[5], s[6])
		simd.Sub3(q[3][:tl], s[5], s[6], s[7])
		b := bias[o]
		if pool {
			g.pool(q, y, arg, b, o, n)
			continue
		}
		for img := 0; img < n; img++ {
			out := y[(img*g.o+o)*ohw : (img*g.o+o+1)*ohw]
			for ty := 0; ty < g.th; ty++ {
				for i := 0; i < 2; i++ {
					yy := 2*ty + i
					if yy >= g.oh {
						break
					}
					p0, p1 := q[2*i], q[2*i+1]
					line := out[yy*g.ow : (yy+1)*g.ow]
					t0 := img*g.perImage + ty*g.tw
					if relu && g.ow%2 == 0 {
						simd.Interleave2ReLU(line, p0[t0:t0+g.tw], p1[t0:t0+g.tw], b)
						continue
					}
					for tx := 0; tx < g.tw; tx++ {
						v0, v1 := p0[t0+tx]+b, p1[t0+tx]+b
						if relu {
							v0, v1 = max(v0, 0), max(v1, 0)
						}
						line[2*tx] = v0
						if 2*tx+1 < g.ow {
							line[2*tx+1] = v1
						}
					}
				}
			}
		}
	}
}
