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
	t    *tapConv
	cols int // C·K² rounded up to three (TapsGrad's columns)
	// The filter gradient runs over images images at a time, their
	// phase planes (plane floats each) staged one after another per
	// input channel and used phase: [C][used phase][image][plane], cs
	// floats a channel, and gz likewise [O][image][plane], gs floats an
	// output channel. An output inside an image reads only that image's
	// plane; one outside it has zero gz.
	images, plane int
	cs, gs        int
	used          []int       // per phase: its index among the used ones, and in phases (−1: no tap reads it)
	offs          []int       // per column (c, t): its offset in the staged planes
	phases        []phaseTaps // the phases some tap reads, in phase order
	lead          int         // gz's front padding in gpad: the largest d_t
	glen          int         // floats per output channel in gpad
	wk            []workerBack
	lanes         [][]float32 // every worker's lanes (wk[i].lanes), for sums
	lane          []laneSum   // per worker: its lanes' reduction's buffers
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
	xp, xs, gzs, lanes, gpad, acc []float32
	acc2, zero                    []float32 // stride 2: a second phase's gradient; a phase no tap reads (zeros, acc's shape)
}

func newTapBack(t *tapConv, batch, workers int) *tapBack {
	g, s, d := t.g, max(t.g.Stride, 1), t.g.D()
	plane := t.ph * t.pw
	b := &tapBack{t: t, cols: (g.Rows() + 2) / 3 * 3, plane: plane, images: tapsGradImages(plane, batch)}
	nused := 0
	for _, u := range t.used {
		b.used = append(b.used, -1)
		if u {
			b.used[len(b.used)-1] = nused
			nused++
		}
	}
	run := b.images * plane // a used phase's planes, one per image
	b.cs = nused * run
	b.gs = (run+15)&^15 + 16
	for c := 0; c < g.C; c++ {
		for _, off := range t.taps {
			b.offs = append(b.offs, c*b.cs+b.used[off/plane]*run+off%plane)
		}
	}
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
		if len(p.taps) > 0 { // t.used[phase]: it is phases[b.used[phase]]
			p.wq = make([]float32, (g.C+7)/8*t.o*len(p.taps)*8)
			b.phases = append(b.phases, p)
		}
	}
	span := (plane + 15) &^ 15
	b.glen = b.lead + span + 16
	for range workers {
		b.wk = append(b.wk, workerBack{
			xp:    make([]float32, t.planeLen()),
			xs:    make([]float32, g.C*b.cs+b.lead+b.gs),
			gzs:   make([]float32, t.groups*8*b.gs),
			lanes: make([]float32, t.groups*b.cols*8*16),
			gpad:  make([]float32, t.o*b.glen),
			acc:   make([]float32, 8*span),
			acc2:  make([]float32, 8*span),
			zero:  make([]float32, 8*span),
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

// stage puts image k of a group into the worker's staged planes, from
// its input x [C,H,W] and output gradient gz [O,OH,OW].
func (b *tapBack) stage(worker, k int, x, gz []float32) {
	t, wb := b.t, &b.wk[worker]
	oh, ow, run := t.oh, t.ow, b.images*b.plane
	t.pack(wb.xp, x)
	for c := 0; c < t.g.C; c++ {
		for phase, u := range b.used {
			if u >= 0 {
				copy(wb.xs[c*b.cs+u*run+k*b.plane:][:b.plane], wb.xp[c*t.cs+phase*b.plane:])
			}
		}
	}
	for o := 0; o < t.o; o++ { // the grid's extra columns and rows stay zero
		simd.CopyRows(wb.gzs[o*b.gs+k*b.plane:], t.pw, gz[o*oh*ow:], ow, oh, ow)
	}
}

// filterGrad adds the filter gradient of the first n images staged
// (lane-wise, into the worker's lanes).
func (b *tapBack) filterGrad(worker, n int) {
	wb := &b.wk[worker]
	if n < b.images { // the last block runs into image n's plane, left from a full group
		for o := 0; o < b.t.o; o++ {
			clear(wb.gzs[o*b.gs+n*b.plane:][:16])
		}
	}
	tapsGradBlocks(wb.lanes, wb.gzs, b.gs, wb.xs, b.offs, b.t.o, (n*b.plane+15)/16)
}

// inputGrad writes one image's input gradient gx [C,H,W] from its output
// gradient gz [O,OH,OW].
func (b *tapBack) inputGrad(worker int, gz, gx []float32) {
	t, wb := b.t, &b.wk[worker]
	oh, ow := t.oh, t.ow
	for o := 0; o < t.o; o++ {
		simd.CopyRows(wb.gpad[o*b.glen+b.lead:], t.pw, gz[o*oh*ow:], ow, oh, ow)
	}
	g, s := t.g, max(t.g.Stride, 1)
	if s == 2 && t.even >= 0 {
		b.inputGrad2(wb, gx)
		return
	}
	plane, hw := t.ph*t.pw, g.H*g.W
	clear(gx) // pixels of phases no tap reads get no gradient
	for pi := range b.phases {
		p := &b.phases[pi]
		for grp := 0; grp < (g.C+7)/8; grp++ {
			b.phaseGrad(wb, p, grp, wb.acc)
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

// inputGrad2 is inputGrad's convolutions and unpacking for stride 2:
// per row phase, the gradients of the even and the odd columns' phase
// planes side by side (wb.acc, wb.acc2), each row of the input's
// gradient then interleaved from the two in one pass. A phase no tap
// reads (a 1×1 conv's) gives zeros.
func (b *tapBack) inputGrad2(wb *workerBack, gx []float32) {
	t, g := b.t, b.t.g
	plane, hw := t.ph*t.pw, g.H*g.W
	stride := len(wb.acc) / 8
	grad := func(phase, grp int, acc []float32) []float32 {
		if b.used[phase] < 0 {
			return wb.zero
		}
		b.phaseGrad(wb, &b.phases[b.used[phase]], grp, acc)
		return acc
	}
	ce, co := t.cols[t.even], t.cols[1-t.even] // even columns (from 0), odd ones (from 1)
	half := g.W / 2
	for grp := 0; grp < (g.C+7)/8; grp++ {
		for r := 0; r < 2; r++ {
			ae, ao := grad(r*2+t.even, grp, wb.acc), grad(r*2+1-t.even, grp, wb.acc2)
			for j := 0; j < 8 && grp*8+j < g.C; j++ {
				dst := gx[(grp*8+j)*hw : (grp*8+j+1)*hw]
				se, so := ae[j*stride:], ao[j*stride:]
				for iy := (r - g.Pad%2 + 2) % 2; iy < g.H; iy += 2 {
					in := t.rowAt[iy] - t.rowPhase[iy]*plane // the row in its phase plane
					e, o := se[in+ce.at-t.even*plane:], so[in+co.at-(1-t.even)*plane:]
					row := dst[iy*g.W : (iy+1)*g.W]
					simd.Interleave2(row[:2*half], e, o, 0)
					if g.W%2 == 1 {
						row[g.W-1] = e[half]
					}
				}
			}
		}
	}
}

// phaseGrad writes into acc (eight rows, len(acc)/8 apart) the gradient
// of phase plane p for the input channels of group grp: the tap
// convolution of the worker's padded gz with p's taps reversed.
func (b *tapBack) phaseGrad(wb *workerBack, p *phaseTaps, grp int, acc []float32) {
	t := b.t
	per := t.o * 8 * len(p.taps)
	simd.ConvTaps(acc, len(acc)/8, wb.gpad, b.glen, t.o, p.back, p.wq[grp*per:(grp+1)*per], t.ph*t.pw)
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
// the lanes: each worker's into its part (its first O·C·K² floats, clear
// on entry), side by side, then the parts into gw.
func (b *tapBack) sums(gw []float32, parts [][]float32) {
	rows := b.t.g.Rows()
	if len(b.lane) != len(b.lanes) {
		b.lane = make([]laneSum, len(b.lanes))
	}
	forEachOn(len(b.lanes), len(b.lanes), func(_, i int) {
		var dst []float32
		if gw != nil {
			dst = parts[i][:b.t.o*rows]
		}
		b.lane[i].sum(b.lanes[i:i+1], b.t.o, rows, b.cols, dst)
	})
	if gw == nil {
		return
	}
	clear(gw)
	for _, p := range parts[:len(b.lanes)] {
		simd.Add(gw, gw, p[:len(gw)])
	}
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
