// The backward pass of Conv: how its gradients are wired into gorgonia
// (SymDiff) and computed (ConvBack).

package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/simd"
)

// im2row unfolds one image [C,H,W] into colT [OH*OW, C*K*K]: for each
// output pixel, the C·K·K input values its filter sees (im2col
// transposed, so the filter gradient gz·colT needs no transposing pack).
func (op *Conv) im2row(x, colT []float32) {
	oh, ow, rows, k := op.OH(), op.OW(), op.rows(), op.K
	hw := op.H * op.W
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			dst := colT[(oy*ow+ox)*rows : (oy*ow+ox+1)*rows]
			y0, x0 := oy-op.Pad, ox-op.Pad
			if k == 3 && y0 >= 0 && x0 >= 0 && y0+3 <= op.H && x0+3 <= op.W {
				// Inside the image: three runs of three per channel.
				for c := 0; c < op.C; c++ {
					base := c*hw + y0*op.W + x0
					r0 := x[base : base+3 : base+3]
					r1 := x[base+op.W : base+op.W+3 : base+op.W+3]
					r2 := x[base+2*op.W : base+2*op.W+3 : base+2*op.W+3]
					d := dst[c*9 : c*9+9 : c*9+9]
					d[0], d[1], d[2] = r0[0], r0[1], r0[2]
					d[3], d[4], d[5] = r1[0], r1[1], r1[2]
					d[6], d[7], d[8] = r2[0], r2[1], r2[2]
				}
				continue
			}
			r := 0
			for c := 0; c < op.C; c++ {
				plane := x[c*op.H*op.W : (c+1)*op.H*op.W]
				for ky := 0; ky < k; ky++ {
					iy := oy + ky - op.Pad
					if iy < 0 || iy >= op.H {
						clear(dst[r : r+k])
						r += k
						continue
					}
					line := plane[iy*op.W : (iy+1)*op.W]
					for kx := 0; kx < k; kx++ {
						if ix := ox + kx - op.Pad; ix >= 0 && ix < op.W {
							dst[r] = line[ix]
						} else {
							dst[r] = 0
						}
						r++
					}
				}
			}
		}
	}
}

// unpool routes the pooled gradient of one image back to each window's
// maximum, through the ReLU (a window whose max was not positive passes
// nothing), into gz [O,OH,OW]. gy, pooled and arg start at the image and
// may run on past it (the vector kernel reads ahead).
func (op *Conv) unpool(gy, pooled []float32, arg []uint8, gz []float32) {
	oh, ow := op.OH(), op.OW()
	ph, pw := oh/2, ow/2
	for o := 0; o < op.O; o++ {
		k := o * ph * pw
		simd.Unpool2x2(gz[o*oh*ow:(o+1)*oh*ow], ow, gy[k:], pooled[k:], arg[k:], pw, ph)
	}
}

// col2im adds col's entries back onto the image positions they came from.
func (op *Conv) col2im(col, x []float32) {
	oh, ow, px := op.OH(), op.OW(), op.pixels()
	clear(x)
	r := 0
	for c := 0; c < op.C; c++ {
		plane := x[c*op.H*op.W : (c+1)*op.H*op.W]
		for ky := 0; ky < op.K; ky++ {
			for kx := 0; kx < op.K; kx++ {
				src := col[r*px : (r+1)*px]
				r++
				lo := max(0, op.Pad-kx)
				hi := min(ow, op.W+op.Pad-kx)
				if hi <= lo {
					continue
				}
				for oy := 0; oy < oh; oy++ {
					iy := oy + ky - op.Pad
					if iy < 0 || iy >= op.H {
						continue
					}
					dst := plane[iy*op.W+lo+kx-op.Pad:]
					for j, v := range src[oy*ow+lo : oy*ow+hi] {
						dst[j] += v
					}
				}
			}
		}
	}
}

func (op *Conv) DiffWRT(int) []bool {
	if op.Residual {
		return []bool{!op.First, true, true, true}
	}
	return []bool{!op.First, true, true}
}

// SymDiff adds the backward node (the input's gradient) and Picks for the
// filter and bias gradients.
func (op *Conv) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.Residual {
		return nil, fmt.Errorf("%v: a residual conv is for evaluation only", op)
	}
	back := &ConvBack{fwd: op}
	return layerGrads("conv", back, func() *tensor.Dense { return back.gw.t }, func() *tensor.Dense { return back.gb.t }, inputs, grad)
}

// ConvBack computes the gradients of a Conv: it returns the input's and
// keeps the filters' and bias's for the Picks.
type ConvBack struct {
	base
	fwd        *Conv
	gx, gw, gb buffer
	gzAll      []float32   // the output's gradient through pooling and ReLU
	partW      [][]float32 // per worker: filter gradient, then bias gradient
	gcol       [][]float32 // per worker: the unfolded input gradient (no Winograd)
	xp, gzp    [][]float32 // per worker: padded input planes, gz at their width
	taps       []gemm.Offsets
	lanes      [][]float32 // per worker: lane-wise filter gradients (tapsGrad)
	slot       int         // floats per image in xp and gzp rows (tapsGrad)
	images     int         // images a call of the tap kernel (tapsGradImages)
	xw         int         // the width of xp's and gzp's rows
	span       int         // floats per channel in xp and gzp: images·slot, rounded up to 16
	shared     bool        // gzp's copy of gz is also the input gradient's planes
	shift      int         // where gz starts in its slot: the planes' padding
	offs       []int       // per tap (c, ky, kx): its offset into xp (tapsGrad)
	lane       []laneSum   // per worker: its lanes' reduction's buffers
	sparse     *sparseBack // pooled layers, where it runs (convsparse.go)
	wino       *winograd   // the input's gradient as a Winograd convolution
	back       *tapConv    // or as a tap convolution, when the forward pass is one
	flipped    []float32   // filters flipped and transposed for it
	zero       []float32   // its (zero) bias
}

func (op *ConvBack) Arity() int    { return 3 }
func (op *ConvBack) Type() hm.Type { return hm.NewFnType(tt(4), tt(4), tt(4), tt(4)) }
func (op *ConvBack) InferShape(...G.DimSizer) (tensor.Shape, error) {
	f := op.fwd
	return tensor.Shape{f.B, f.C, f.H, f.W}, nil
}
func (op *ConvBack) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *ConvBack) Hashcode() uint32      { return hashOf(op) }
func (op *ConvBack) String() string {
	f := op.fwd
	return fmt.Sprintf("ConvBack{%dx%dx%dx%d→%d k%d}(%p)", f.B, f.C, f.H, f.W, f.O, f.K, op)
}

// Do takes (x, w, gy) and returns gx.
func (op *ConvBack) Do(inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	if !f.Train {
		return nil, fmt.Errorf("%v: the backward pass needs a Conv built for training", f)
	}
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	x, w, gy := vals[0], vals[1], vals[2]
	f.prepare()
	_, y := f.out.get(f.outShape()...)
	gxT, gx := op.gx.get(f.B, f.C, f.H, f.W)
	_, gw := op.gw.get(f.O, f.C, f.K, f.K)
	_, gb := op.gb.get(f.O)
	if op.sparse == nil && canSparseBack(f) {
		op.sparse = newSparseBack(f)
	}
	if op.sparse != nil {
		op.sparse.run(f, x, w, y, gy, gx, gw, gb)
		return gxT, nil
	}
	rows, px, out, in := f.rows(), f.pixels(), f.O*f.pixels(), f.C*f.H*f.W
	if op.partW == nil {
		if f.Pool || f.ReLU {
			op.gzAll = make([]float32, f.B*out)
		}
		op.unfolding()
		for i := 0; i < Workers; i++ {
			op.partW = append(op.partW, make([]float32, f.O*rows+f.O))
		}
		if f.wino == nil && f.taps == nil && !f.First {
			for i := 0; i < Workers; i++ {
				op.gcol = append(op.gcol, make([]float32, rows*px))
			}
		}
		if f.taps != nil && !f.First {
			// The input's gradient is a convolution of gz with the
			// filters flipped and transposed, padded by K − 1 − pad.
			op.back = newTapConv(Window{C: f.O, H: f.OH(), W: f.OW(), K: f.K, Stride: 1, Pad: f.K - 1 - f.Pad}, f.C)
			op.flipped = make([]float32, len(w))
			for i := 0; i < Workers; i++ {
				op.back.buffers(i)
			}
		}
		if f.wino != nil && !f.First {
			// The input's gradient is a 3×3 convolution of gz with the
			// filters flipped and transposed, padded by 2 − pad.
			op.wino = newWinograd(f.O, f.OH(), f.OW(), f.C, 2-f.Pad)
			op.flipped = make([]float32, len(w))
			op.zero = make([]float32, f.C)
			for i := 0; i < Workers; i++ {
				op.wino.buffers(i)
			}
		}
	}
	for _, p := range op.partW {
		clear(p)
	}
	// gz: the gradient at the convolution's output, through pooling and
	// ReLU (gy itself when there are neither); then the filter and bias
	// gradients, image by image.
	gzAll := op.gzAll
	if !f.Pool && !f.ReLU {
		gzAll = gy
	}
	grad := func(wk, i int) []float32 { // image i's gz, and its bias gradient
		gz := gzAll[i*out : (i+1)*out]
		switch {
		case !f.Pool && !f.ReLU: // gy itself
		case f.Pool:
			f.unpool(gy[i*out/4:], y[i*out/4:], f.arg[i*out/4:], gz)
		default:
			simd.ReLUGrad(gz, gy[i*out:(i+1)*out], y[i*out:(i+1)*out])
		}
		pb := op.partW[wk][f.O*rows:]
		for o := 0; o < f.O; o++ {
			pb[o] += simd.Sum(gz[o*px : (o+1)*px])
		}
		return gz
	}
	if op.shared {
		flipFilters(op.flipped, w, f.O, f.C, f.K)
		op.back.filters(op.flipped, nil)
	}
	// short: image i's gradient from the block's shortcut, added to its
	// input's gradient as that is written (nil: no shortcut).
	var gr []float32
	if f.shortcut != nil {
		gr = f.shortcut.gr
	}
	short := func(i, n int) []float32 {
		if gr == nil {
			return nil
		}
		return gr[i*in : (i+n)*in]
	}
	if op.lanes != nil { // op.images images a call of the tap kernel
		forEach((f.B+op.images-1)/op.images, func(wk, q int) {
			i0 := q * op.images
			n := min(op.images, f.B-i0)
			for k := 0; k < n; k++ {
				op.stage(wk, k, x[(i0+k)*in:(i0+k+1)*in], grad(wk, i0+k))
			}
			if n < op.images { // the kernel's last block runs into image n's slot, left from a full group
				for o := 0; o < f.O; o++ {
					clear(op.gzp[wk][op.shift+o*op.span+n*op.slot:][:16])
				}
			}
			op.tapsGrad(wk, n)
			if op.shared { // the input gradient from the same padded copy of gz
				for k := 0; k < n; k++ {
					op.back.convolve(op.gzp[wk][k*op.slot:], op.span, op.back.acc[wk], gx[(i0+k)*in:(i0+k+1)*in], short(i0+k, 1), false)
				}
			}
		})
	} else {
		forEach(f.B, func(wk, i int) {
			gz := grad(wk, i)
			op.filterGrad(wk, x[i*in:(i+1)*in], gz, op.partW[wk][:f.O*rows])
		})
	}
	op.laneSums()
	clear(gw)
	clear(gb)
	for _, p := range op.partW {
		for j, v := range p[:f.O*rows] {
			gw[j] += v
		}
		for j, v := range p[f.O*rows:] {
			gb[j] += v
		}
	}
	if f.First {
		return gxT, nil
	}
	if op.shared { // done in the filter gradient's loop
		return gxT, nil
	}
	if tc := op.back; tc != nil {
		flipFilters(op.flipped, w, f.O, f.C, f.K)
		tc.filters(op.flipped, nil)
		forEach(f.B, func(wk, i int) {
			tc.forward(wk, gzAll[i*out:(i+1)*out], gx[i*in:(i+1)*in], short(i, 1), false)
		})
		return gxT, nil
	}
	if g := op.wino; g != nil {
		flipFilters(op.flipped, w, f.O, f.C, 3)
		g.filters(op.flipped)
		chunks := (f.B + g.images - 1) / g.images
		forEach(chunks, func(wk, ch int) {
			i0 := ch * g.images
			n := min(g.images, f.B-i0)
			g.forward(wk, gzAll[i0*out:(i0+n)*out], gx[i0*in:(i0+n)*in], op.zero, n, false, false, nil, short(i0, n))
		})
		return gxT, nil
	}
	forEach(f.B, func(wk, i int) {
		gcol := op.gcol[wk]
		gemm.Mul(gcol, px, gemm.Matrix{Data: w, Stride: rows, T: true}, gemm.Matrix{Data: gzAll[i*out : (i+1)*out], Stride: px}, rows, px, f.O, false)
		f.col2im(gcol, gx[i*in:(i+1)*in])
		if r := short(i, 1); r != nil {
			simd.Add2(gx[i*in:(i+1)*in], gx[i*in:(i+1)*in], r, false)
		}
	})
	return gxT, nil
}

// flipFilters writes k×k filters w [o,c,k,k] flipped and transposed
// into dst [c,o,k,k]: the input gradient's filters, a convolution of the
// output's gradient.
func flipFilters(dst, w []float32, o, c, k int) {
	kk := k * k
	for i := 0; i < o; i++ {
		for j := 0; j < c; j++ {
			src := w[(i*c+j)*kk : (i*c+j+1)*kk]
			out := dst[(j*o+i)*kk : (j*o+i+1)*kk]
			for t := range out {
				out[t] = src[kk-1-t]
			}
		}
	}
}

// The filter gradient gw += gz·unfold(x)ᵀ without unfolding: x is copied
// into zero-padded planes of width xw, and over a plane flattened the
// input a tap (c, ky, kx) sees at output pixel (oy, ox) is the run
// plane_c[ky·xw + kx + q] at q = oy·xw + ox. So with gz laid out at the
// same width (zeros in the xw − OW extra columns) the product runs over
// q, and gemm gathers its B panels straight from those runs
// (gemm.MulOffsets), eight taps at a time.
func (op *ConvBack) unfolding() {
	f := op.fwd
	xw, k := f.W+2*f.Pad, f.K
	if f.taps != nil {
		xw = f.taps.pw // its rows share their padding columns (newTapConv)
	}
	op.xw = xw
	plane := (f.H+2*f.Pad)*xw + k - 1 // the last tap's run ends k−2 past the plane
	starts := make([]int, 0, f.rows())
	for c := 0; c < f.C; c++ {
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				starts = append(starts, c*plane+ky*xw+kx)
			}
		}
	}
	rows := f.rows()
	if f.taps != nil { // the tap kernel's lane-wise products (tapsGrad)
		// A group's images follow one another with their padding rows
		// shared: the bottom Pad rows of one are the top Pad rows of the
		// next, zeros for both. An output inside an image reads only its
		// own image's planes; one in the extra columns or rows has zero gz.
		op.slot = (f.H + f.Pad) * xw
		op.images = tapsGradImages(op.slot, f.B)
		op.span = (op.images*op.slot + 15) &^ 15
		span := op.span
		// A "same" conv's output gradient, padded as the input gradient's
		// convolution reads it, has the planes' width: one copy serves both.
		op.shared = !f.First && 2*f.Pad == f.K-1
		if op.shared {
			op.shift = f.Pad*xw + f.Pad
		}
		op.offs = op.offs[:0]
		for _, st := range starts {
			c, off := st/plane, st%plane
			op.offs = append(op.offs, c*span+off)
		}
		for i := 0; i < Workers; i++ {
			op.xp = append(op.xp, make([]float32, f.C*span+(k+f.Pad)*xw+k+32))
			op.gzp = append(op.gzp, make([]float32, (f.O+7)/8*8*span+op.shift+(k+f.Pad)*xw+32))
			op.lanes = append(op.lanes, make([]float32, (f.O+7)/8*(rows+2)/3*3*8*16))
		}
		return
	}
	for i := 0; i < Workers; i++ {
		xp := make([]float32, f.C*plane)
		op.xp = append(op.xp, xp)
		op.gzp = append(op.gzp, make([]float32, f.O*f.OH()*xw))
		op.taps = append(op.taps, gemm.Offsets{Src: xp, Starts: starts})
	}
}

// laneSums adds the tap kernel's lane-wise filter gradients of every
// worker (op.lanes) into the first worker's partial gradient, and clears
// them.
func (op *ConvBack) laneSums() {
	if op.lanes == nil {
		return
	}
	f := op.fwd
	if len(op.lane) != len(op.lanes) {
		op.lane = make([]laneSum, len(op.lanes))
	}
	// each worker's into its own partial gradient, side by side (resnet's
	// 32-channel lanes are 590 KB a worker)
	forEachOn(len(op.lanes), len(op.lanes), func(_, i int) {
		op.lane[i].sum(op.lanes[i:i+1], f.O, f.rows(), (f.rows()+2)/3*3, op.partW[i][:f.O*f.rows()])
	})
}

// filterGrad adds one image's filter gradient gz·unfold(x)ᵀ to pw
// [O, C·K·K], on worker wk's buffers.
func (op *ConvBack) filterGrad(wk int, x, gz, pw []float32) {
	f := op.fwd
	xw, oh, ow := f.W+2*f.Pad, f.OH(), f.OW()
	xp, gzp := op.xp[wk], op.gzp[wk]
	plane := (f.H+2*f.Pad)*xw + f.K - 1 // as unfolding lays them out
	for c := 0; c < f.C; c++ {          // the padding stays zero from allocation
		simd.CopyRows(xp[c*plane+f.Pad*xw+f.Pad:], xw, x[c*f.H*f.W:], f.W, f.H, f.W)
	}
	q := oh * xw
	for o := 0; o < f.O; o++ { // so are gzp's extra columns
		for oy := 0; oy < oh; oy++ {
			copy(gzp[o*q+oy*xw:][:ow], gz[(o*oh+oy)*ow:][:ow])
		}
	}
	taps := &op.taps[wk]
	if rows := f.rows(); 2*rows < gemm.Active().NR {
		// Too few taps to fill the kernel's panels (a first layer on
		// grey images): dot products, four taps at a time.
		var d [4]float32
		for o := 0; o < f.O; o++ {
			g := gzp[o*q : (o+1)*q]
			for r := 0; r < rows; r += 4 {
				var b [4][]float32
				for i := range b {
					b[i] = xp[taps.Starts[min(r+i, rows-1)]:][:q]
				}
				simd.Dot4(&d, g, b[0], b[1], b[2], b[3])
				for i := 0; i < 4 && r+i < rows; i++ {
					pw[o*rows+r+i] += d[i]
				}
			}
		}
		return
	}
	gemm.MulOffsets(pw, f.rows(), gemm.Matrix{Data: gzp, Stride: q}, taps, f.O, f.rows(), q, true)
}

// tapsGradImages is how many images one call of the tap kernel sums
// over in a filter gradient, for images of slot floats in a batch of b:
// enough for about 96 blocks of 16 positions a call, as each call reads
// and writes its 24 vectors of lane sums (590 KB a worker on resnet's
// 32-channel 7×7 layer, whose backward pass on 64 images and two cores
// took 0.79 ms at four images a call, 0.69 ms at 16 with the images'
// padding rows shared), at least 4, at most 16, and
// where it can a divisor of a worker's share of the batch, so that no
// worker has a short group the other has not.
func tapsGradImages(slot, b int) int {
	want := min(16, max(4, (96*16+slot-1)/slot))
	per := (b + Workers - 1) / Workers
	for d := want; d <= 16; d++ {
		if per%d == 0 {
			return d
		}
	}
	return want
}

// The filter gradient of a conv whose forward pass is a tap convolution,
// on the tap kernel (simd.TapsGrad): stage puts image k of a group into
// worker wk's buffers, laid out [C or O][image][slot] (each image's
// padded planes, and its gz at their width with zeros past its pixels
// and in the extra columns), so that the group's images follow one
// another as one long grid; tapsGrad then sums eight output channels ×
// three taps at a time over the first n images' grids, lane by lane, into
// op.lanes (laneSums adds the lanes up once per batch). Reads past an
// image's planes meet zeros of gz.
func (op *ConvBack) stage(wk, k int, x, gz []float32) {
	f := op.fwd
	xw, oh, ow := op.xw, f.OH(), f.OW()
	span := op.span
	xp, gzp := op.xp[wk], op.gzp[wk]
	for c := 0; c < f.C; c++ { // the padding stays zero from allocation
		simd.CopyRows(xp[c*span+k*op.slot+f.Pad*xw+f.Pad:], xw, x[c*f.H*f.W:], f.W, f.H, f.W)
	}
	for o := 0; o < f.O; o++ {
		simd.CopyRows(gzp[o*span+k*op.slot+op.shift:], xw, gz[o*oh*ow:], ow, oh, ow)
	}
}

func (op *ConvBack) tapsGrad(wk, n int) {
	tapsGradBlocks(op.lanes[wk], op.gzp[wk][op.shift:], op.span, op.xp[wk], op.offs, op.fwd.O, (n*op.slot+15)/16)
}

// Unfold, UnfoldRows and Fold expose im2col, im2row and col2im to passes
// that run outside gorgonia's graph (the Hessian's R-operator in
// core/hessian): col is [C·K·K, OH·OW], colT its transpose.
func (op *Conv) Unfold(x, col []float32) { op.im2col(x, col) }

// UnfoldRows writes im2col's transpose, [OH·OW, C·K·K].
func (op *Conv) UnfoldRows(x, colT []float32) { op.im2row(x, colT) }

// Fold sums col's entries back onto the image positions they came from.
func (op *Conv) Fold(col, x []float32) { op.col2im(col, x) }

// Rows is C·K·K, the length of one unfolded filter window.
func (op *Conv) Rows() int { return op.rows() }

// Pixels is OH·OW.
func (op *Conv) Pixels() int { return op.pixels() }
