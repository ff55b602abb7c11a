package ops

import "github.com/basin-dev/basin/core/simd"

// tapBack is the backward pass of a tap convolution of any stride, on
// the same phase planes as its forward pass (tapConv), with no unfolding:
//
//   - the filter gradient: the output's gradient gz laid on the planes'
//     flattened grid, then gw[o, c, t] = Σ_p gz[o, p]·planes[c, p + tap t],
//     eight output channels × three taps at a time (simd.TapsGrad), in 16
//     lanes added up once a batch (sums);
//   - the input's gradient, phase by phase: the planes' gradient at u of
//     phase φ is Σ_{t in φ} Σ_o w[o, c, t]·gz[o, u − d_t] (d_t the tap's
//     offset within its phase), a tap convolution of gz (padded in front
//     by the largest d_t) with those taps reversed (simd.ConvTaps); each
//     input pixel lies in one phase plane and takes its value from there.
type tapBack struct {
	t      *tapConv
	q16    int   // the grid's length rounded up to 16: gz's row length
	cols   int   // C·K² rounded up to three (TapsGrad's columns)
	offs   []int // per column (c, t): its planes' offset, c·cs + taps[t]
	phases []phaseTaps
	lead   int // gz's front padding in gpad: the largest d_t
	glen   int // floats per output channel in gpad
	wk     []workerBack
	lanes  [][]float32 // every worker's lanes (wk[i].lanes), for sums
	lane   laneSum
}

// phaseTaps are the taps that read one phase plane.
type phaseTaps struct {
	phase int
	taps  []int     // per tap: its index in the kernel
	back  []int     // per tap: lead − d_t, its offset into gpad
	wq    []float32 // ConvTaps' filters: [C/8 groups][O][taps][8]
}

// workerBack is one worker's buffers.
type workerBack struct {
	xp, gzp, lanes, gpad, acc []float32
}

func newTapBack(t *tapConv, workers int) *tapBack {
	g, s, d := t.g, max(t.g.Stride, 1), t.g.D()
	b := &tapBack{t: t, q16: t.span, cols: (g.Rows() + 2) / 3 * 3}
	for c := 0; c < g.C; c++ {
		for _, off := range t.taps {
			b.offs = append(b.offs, c*t.cs+off)
		}
	}
	plane := t.ph * t.pw
	within := make([]int, len(t.taps)) // per tap: its offset in its phase plane
	for i, off := range t.taps {
		within[i] = off % plane
		b.lead = max(b.lead, within[i])
	}
	for phase := 0; phase < s*s; phase++ {
		var p phaseTaps
		p.phase = phase
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				if (ky*d%s)*s+kx*d%s == phase {
					i := ky*g.K + kx
					p.taps = append(p.taps, i)
					p.back = append(p.back, b.lead-within[i])
				}
			}
		}
		if len(p.taps) > 0 {
			p.wq = make([]float32, (g.C+7)/8*t.o*len(p.taps)*8)
			b.phases = append(b.phases, p)
		}
	}
	span := (plane + 15) &^ 15
	b.glen = b.lead + span + 16
	for range workers {
		b.wk = append(b.wk, workerBack{
			xp:    make([]float32, t.planeLen()),
			gzp:   make([]float32, t.groups*8*b.q16),
			lanes: make([]float32, t.groups*b.cols*8*16),
			gpad:  make([]float32, t.o*b.glen),
			acc:   make([]float32, 8*span),
		})
		b.lanes = append(b.lanes, b.wk[len(b.wk)-1].lanes)
	}
	return b
}

// filters regroups w [O,C,K,K] for the input gradient's convolutions.
func (b *tapBack) filters(w []float32) {
	g, kk := b.t.g, b.t.g.K*b.t.g.K
	for pi := range b.phases {
		p := &b.phases[pi]
		nt := len(p.taps)
		clear(p.wq)
		for c := 0; c < g.C; c++ {
			grp := p.wq[(c/8)*b.t.o*nt*8:]
			for o := 0; o < b.t.o; o++ {
				for ti, tap := range p.taps {
					grp[(o*nt+ti)*8+c%8] = w[(o*g.C+c)*kk+tap]
				}
			}
		}
	}
}

// image adds one image's filter gradient (lane-wise, into the worker's
// lanes) and writes its input gradient gx [C,H,W] (unless nil), from its
// input x [C,H,W] and output gradient gz [O,OH,OW].
func (b *tapBack) image(worker int, x, gz, gx []float32) {
	t, wb := b.t, &b.wk[worker]
	oh, ow := t.oh, t.ow
	t.pack(wb.xp, x)
	for o := 0; o < t.o; o++ { // the grid's extra columns and rows stay zero
		simd.CopyRows(wb.gzp[o*b.q16:], t.pw, gz[o*oh*ow:], ow, oh, ow)
	}
	tapsGradBlocks(wb.lanes, wb.gzp, b.q16, wb.xp, b.offs, t.o, b.q16/16)
	if gx == nil {
		return
	}
	for o := 0; o < t.o; o++ {
		simd.CopyRows(wb.gpad[o*b.glen+b.lead:], t.pw, gz[o*oh*ow:], ow, oh, ow)
	}
	clear(gx) // pixels of phases no tap reads get no gradient
	g, s := t.g, max(t.g.Stride, 1)
	plane, hw := t.ph*t.pw, g.H*g.W
	per := t.o * 8
	for _, p := range b.phases {
		for grp := 0; grp < (g.C+7)/8; grp++ {
			simd.ConvTaps(wb.acc, len(wb.acc)/8, wb.gpad, b.glen, t.o, p.back, p.wq[grp*per*len(p.taps):(grp+1)*per*len(p.taps)], plane)
			for j := 0; j < 8 && grp*8+j < g.C; j++ {
				src, dst := wb.acc[j*(len(wb.acc)/8):], gx[(grp*8+j)*hw:(grp*8+j+1)*hw]
				if s == 1 {
					simd.CopyRows(dst, g.W, src[g.Pad*t.pw+g.Pad:], t.pw, g.H, g.W)
					continue
				}
				for iy, ro := range t.rowAt {
					for px, cs := range t.cols {
						if t.rowPhase[iy]+px != p.phase || cs.n == 0 {
							continue
						}
						from := src[ro+cs.at-p.phase*plane:][:cs.n]
						row := dst[iy*g.W+cs.ix0:]
						_ = row[(cs.n-1)*s]
						for q, v := range from {
							row[q*s] = v
						}
					}
				}
			}
		}
	}
}

// tapsGradBlocks adds to lanes ([O/8 groups][columns rounded up to
// three][8][16]) the lane-wise filter gradients of o output channels
// (gz's rows, gstride apart, eight to a group) over n blocks of 16
// positions, for every column (input channel and tap) c at x[offs[c]:],
// three columns a simd.TapsGrad call.
func tapsGradBlocks(lanes, gz []float32, gstride int, x []float32, offs []int, o, n int) {
	rows := len(offs)
	cols := (rows + 2) / 3 * 3
	var at [3]int
	for grp := 0; grp < (o+7)/8; grp++ {
		for col := 0; col < rows; col += 3 {
			for k := range at {
				at[k] = offs[min(col+k, rows-1)] // past the last column: a copy, summed aside
			}
			simd.TapsGrad(lanes[(grp*cols+col)*8*16:], gz[grp*8*gstride:], gstride, x, &at, n)
		}
	}
}

// sums adds every worker's lane-wise filter gradients into gw [O,C,K,K]
// (which it clears first; nil: no filter gradient is wanted) and clears
// the lanes.
func (b *tapBack) sums(gw []float32) {
	clear(gw)
	b.lane.sum(b.lanes, b.t.o, b.t.g.Rows(), b.cols, gw)
}

// laneSum adds up lane-wise filter gradients (simd.TapsGrad's) laid out
// [O/8 groups][cols][8][16].
type laneSum struct{ t, s []float32 }

// sum adds every worker's lanes into the first, then each block of 16
// lanes into dst [O, rows] (+=, unless dst is nil), and clears the lanes.
// The blocks are transposed 16 at a time so the lanes add as vectors.
func (l *laneSum) sum(lanes [][]float32, o, rows, cols int, dst []float32) {
	all := lanes[0]
	for _, w := range lanes[1:] {
		simd.Add(all, all, w)
		clear(w)
	}
	if dst != nil {
		blocks := len(all) / 16
		if len(l.t) != len(all) {
			l.t, l.s = make([]float32, len(all)), make([]float32, blocks)
		}
		simd.Transpose(l.t, blocks, all, 16, blocks, 16) // [16][blocks]
		copy(l.s, l.t[:blocks])
		for k := 1; k < 16; k++ {
			simd.Add(l.s, l.s, l.t[k*blocks:(k+1)*blocks])
		}
		for idx, v := range l.s { // idx = (grp·cols + col)·8 + j
			j, col, grp := idx%8, idx/8%cols, idx/(8*cols)
			if col < rows && grp*8+j < o {
				dst[(grp*8+j)*rows+col] += v
			}
		}
	}
	clear(all)
}
