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

// UseWinograd selects the fast convolutions: the tap kernel, Winograd
// and, on too few input channels for those, direct (BASIN_CONV=im2col
// turns them all off, for comparison).
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
	row         []float32 // one zero-padded input row
	hEven, hOdd []float32 // horizontal transforms of even and odd rows: 4 parts
	q           []float32 // Aᵀ M A: 4 rows of tiles
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

// filters transforms w [O,C,3,3] into U (transform).
func (g *winograd) filters(w []float32) { g.transform(w, g.u) }

// transform writes w [O,C,3,3] transformed into u, packed for the
// kernel: position ξ, then panels of MR output channels, then for each
// input channel the MR values.
func (g *winograd) transform(w, u []float32) {
	mr := g.kern.MR
	clear(u)
	for o := 0; o < g.o; o++ {
		for c := 0; c < g.c; c++ {
			f := w[(o*g.c+c)*9 : (o*g.c+c)*9+9]
			var t [4][3]float32 // G g
			for j := 0; j < 3; j++ {
				g0, g1, g2 := f[j], f[3+j], f[6+j]
				t[0][j], t[1][j], t[2][j], t[3][j] = g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2
			}
			for i := 0; i < 4; i++ {
				row := [4]float32{t[i][0], (t[i][0] + t[i][1] + t[i][2]) / 2, (t[i][0] - t[i][1] + t[i][2]) / 2, t[i][2]}
				for j, v := range row {
					xi := i*4 + j
					u[xi*g.opad*g.c+(o/mr)*g.c*mr+c*mr+o%mr] = v
				}
			}
		}
	}
}

// hStride is the distance between the parts of the horizontal
// transforms: (th+1) rows of tw tiles, and 8 of slack, so WinoInHoriz may
// round each row up to its vector width.
func (g *winograd) hStride() int { return (g.th+1)*g.tw + 8 }

func (g *winograd) buffers(worker int) (v, m []float32) {
	for len(g.v) <= worker {
		g.v = append(g.v, nil)
		g.m = append(g.m, nil)
	}
	if g.v[worker] == nil {
		g.v[worker] = make([]float32, 16*g.c*g.tiles)
		g.m[worker] = make([]float32, 16*g.opad*g.tiles)
		hs := g.hStride()
		g.sc = append(g.sc, &scratch{
			row:   make([]float32, max(2*g.tw+4, g.w+2*g.pad)+32), // slack for 8-tile steps
			hEven: make([]float32, 4*hs),
			hOdd:  make([]float32, 4*hs),
			q:     make([]float32, 4*g.tiles),
		})
	}
	return g.v[worker], g.m[worker]
}

// products computes Winograd's positions products M_ξ = U_ξ·V_ξ: U
// [opad×c] in packed A panels, V [c×tiles] in packed B panels, M
// [opad×tiles] plain, position after position; with accumulate, added to
// what M holds.
func products(k *gemm.Kernel, positions, opad, c, tiles int, u, v, m []float32, accumulate bool) {
	mr := k.MR
	for xi := 0; xi < positions; xi++ {
		uxi := u[xi*opad*c : (xi+1)*opad*c]
		vb := v[xi*c*tiles : (xi+1)*c*tiles]
		mb := m[xi*opad*tiles : (xi+1)*opad*tiles]
		for rp := 0; rp < opad/mr; rp++ {
			k.Panels(c, uxi[rp*c*mr:(rp+1)*c*mr], vb, mb[rp*mr*tiles:], tiles, tiles, accumulate)
		}
	}
}

// pool finishes output channel o of a training pass with ReLU and 2×2
// max pooling of each tile's four values (q rows), recording which was
// the maximum.
func (g *winograd) pool(q, y []float32, arg []uint8, b float32, o, n int) {
	per := g.perImage
	for img := 0; img < n; img++ {
		out := y[(img*g.o+o)*per : (img*g.o+o+1)*per]
		ar := arg[(img*g.o+o)*per : (img*g.o+o+1)*per]
		t0 := img * per
		a0, a1 := q[t0:t0+per], q[g.tiles+t0:g.tiles+t0+per]
		a2, a3 := q[2*g.tiles+t0:2*g.tiles+t0+per], q[3*g.tiles+t0:3*g.tiles+t0+per]
		simd.Pool4Arg(out, ar, a0, a1, a2, a3, b)
	}
}

// forward convolves n (≤ images) images of x into y, adding the bias and
// applying ReLU if asked, and pooling if asked (recording the maxima in
// arg when it is not nil). U must be current (filters).
func (g *winograd) forward(worker int, x, y, bias []float32, n int, relu, pool bool, arg []uint8, res []float32) {
	v, m := g.buffers(worker)
	g.input(x, v, n, g.sc[worker])
	products(&g.kern, 16, g.opad, g.c, g.tiles, g.u, v, m, false)
	g.output(m, y, bias, n, relu, pool, g.sc[worker], arg, res)
}

// input writes V = Bᵀ d B for every tile of n images, as packed B panels:
// position ξ, then panels of NR tiles, then for each channel NR values.
// Per image and channel it first transforms every (zero-padded) input row
// horizontally — each row serves two rows of tiles — keeping even and odd
// rows apart, so the vertical transform of all tiles is one fused vector
// pass per panel segment.
func (g *winograd) input(x, v []float32, n int, sc *scratch) {
	nr := g.kern.NR
	hw := g.h * g.w
	stride := g.c * g.tiles // between positions
	// Tiles past n·perImage are left as they are: the products' columns
	// are independent, and the output reads only the real tiles'.
	tw, per := g.tw, g.perImage
	rows := 2*g.th + 2 // padded input rows the tiles read
	hs := g.hStride()
	need := 2*((tw+7)&^7) + 2 // what WinoInHoriz reads of a row
	row := sc.row
	rowDirty := true
	for img := 0; img < n; img++ {
		for c := 0; c < g.c; c++ {
			at := (img*g.c + c) * hw
			for y := 0; y < rows; y++ {
				// An unpadded row that every tile reads within is read
				// in place (the values past its end only feed tiles past
				// tw); else it is copied into row, whose padding stays
				// zero.
				src := row
				iy := y - g.pad
				switch {
				case iy < 0 || iy >= g.h:
					clear(row)
					rowDirty = false
				case g.pad == 0 && 2*tw+2 <= g.w && len(x)-at-iy*g.w >= need:
					src = x[at+iy*g.w:]
				default:
					if rowDirty {
						clear(row)
						rowDirty = false
					}
					copy(row[g.pad:], x[at+iy*g.w:at+(iy+1)*g.w])
				}
				h := sc.hEven
				if y&1 == 1 {
					h = sc.hOdd
				}
				simd.WinoInHoriz(h[(y>>1)*tw:], hs, src, tw)
			}
			// Rows 2ty..2ty+3 of tile row ty are hEven[ty], hOdd[ty],
			// hEven[ty+1], hOdd[ty+1]; horizontal part k sits at k·hs.
			t0 := img * per
			for k := 0; k < 4; k++ {
				e, o := sc.hEven[k*hs:], sc.hOdd[k*hs:]
				for lo := 0; lo < per; {
					t := t0 + lo
					seg := min(per-lo, nr-t%nr)
					off := k*stride + (t/nr)*g.c*nr + c*nr + t%nr
					simd.WinoInVert(v[off:], 4*stride, e[lo:], o[lo:], e[tw+lo:], o[tw+lo:], seg)
					lo += seg
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
// With res (a residual conv: not pooled), y = res + the convolution + bias,
// then ReLU when relu is set, in the same pass.
func (g *winograd) output(m, y, bias []float32, n int, relu, pool bool, sc *scratch, arg []uint8, res []float32) {
	stride := g.opad * g.tiles
	ohw, per := g.oh*g.ow, g.perImage
	tl := n * per
	q := sc.q // four rows of g.tiles
	for o := 0; o < g.o; o++ {
		mo := m[o*g.tiles:]
		b := bias[o]
		if pool && arg == nil {
			for img := 0; img < n; img++ {
				simd.WinoOutPool(y[(img*g.o+o)*per:(img*g.o+o+1)*per], mo[img*per:], stride, b)
			}
			continue
		}
		simd.WinoOut(q, g.tiles, mo, stride, tl)
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
					t0 := img*per + ty*g.tw
					p0, p1 := q[2*i*g.tiles+t0:][:g.tw], q[(2*i+1)*g.tiles+t0:][:g.tw]
					line := out[yy*g.ow : (yy+1)*g.ow]
					if res != nil && g.ow%2 == 0 {
						simd.Interleave2Residual(line, p0, p1, res[(img*g.o+o)*ohw+yy*g.ow:], b, relu)
						continue
					}
					if res != nil {
						r := res[(img*g.o+o)*ohw+yy*g.ow:][:g.ow]
						for tx := 0; tx < g.tw; tx++ {
							for k, v := range [2]float32{p0[tx], p1[tx]} {
								if x := 2*tx + k; x < g.ow {
									z := v + b + r[x]
									if relu {
										z = max(z, 0)
									}
									line[x] = z
								}
							}
						}
						continue
					}
					if relu && g.ow%2 == 0 {
						simd.Interleave2ReLU(line, p0, p1, b)
						continue
					}
					if !relu && g.ow%2 == 0 {
						simd.Interleave2(line, p0, p1, b)
						continue
					}
					for tx := 0; tx < g.tw; tx++ {
						v0, v1 := p0[tx]+b, p1[tx]+b
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
