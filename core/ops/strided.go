package ops

import (
	"fmt"

	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/simd"
)

// Window is a pooling or convolution window's geometry on one image
// [C,H,W]: a K×K kernel moved by Stride over the image padded by Pad.
type Window struct {
	C, H, W, K, Stride, Pad int
	// Dilation spaces a window's taps Dilation apart (0 or 1: adjacent).
	Dilation int
	// ExcludePad: an average pool divides by the cells of the window
	// inside the image (ONNX's count_include_pad=0), not by K² (PyTorch's
	// default, counting the padding as zeros).
	ExcludePad bool
}

// D is the spacing of the window's taps: 1 when not dilated.
func (g Window) D() int { return max(g.Dilation, 1) }

// Span is the extent of the window over the input, D·(K−1)+1.
func (g Window) Span() int { return g.D()*(g.K-1) + 1 }

// AvgScale is what average pooling multiplies output (oy, ox)'s window sum by.
func (g Window) AvgScale(oy, ox int) float32 {
	if !g.ExcludePad {
		return 1 / float32(g.K*g.K)
	}
	y0, x0, d := oy*g.Stride-g.Pad, ox*g.Stride-g.Pad, g.D()
	rows, cols := 0, 0
	for k := 0; k < g.K; k++ {
		if iy := y0 + k*d; iy >= 0 && iy < g.H {
			rows++
		}
		if ix := x0 + k*d; ix >= 0 && ix < g.W {
			cols++
		}
	}
	return 1 / float32(max(rows*cols, 1))
}

// OH is the output height.
func (g Window) OH() int { return (g.H+2*g.Pad-g.Span())/g.Stride + 1 }

// OW is the output width.
func (g Window) OW() int { return (g.W+2*g.Pad-g.Span())/g.Stride + 1 }

// StridedConv is a convolution with any stride: y = w ⋆ x + b. Inputs
// x [B,C,H,W], w [O,C,K,K], b [O] (a constant zero bias for a conv
// without one). Both passes run on the tap kernels (tapConv, tapBack:
// the input split into Stride² phase planes, no unfolding); without
// AVX-512, or with BASIN_CONV=im2col, each image is unfolded (im2col) for
// GEMMs. Conv is the fast path for stride 1.
type StridedConv struct {
	split
	Window
	B, O int
	ReLU bool // y = max(0, w ⋆ x + b): an evaluation's folded batch norm and ReLU
	taps *tapConv
	back *tapBack    // the backward pass, when the forward ran on taps
	cols [][]float32 // per worker: an unfolded image (backward pass without taps)
	gcol [][]float32
	part [][]float32 // per worker: filter gradient (without taps) and bias gradient
	gz   []float32   // the gradient through the fused ReLU
	// stats is where to gather the next batch norm's statistics (LinkStats)
	stats []float32
}

// NewStridedConv returns the op.
func NewStridedConv(b int, g Window, o int, relu bool) *Layer {
	return NewLayer(&StridedConv{Window: g, B: b, O: o, ReLU: relu}, []int{b, g.C, g.H, g.W}, []int{o, g.C, g.K, g.K}, []int{o})
}

func (k *StridedConv) String() string {
	return fmt.Sprintf("Conv{%dx%dx%dx%d→%d k%d s%d p%d d%d}", k.B, k.C, k.H, k.W, k.O, k.K, k.Stride, k.Pad, k.D())
}
func (k *StridedConv) Out() []int { return []int{k.B, k.O, k.OH(), k.OW()} }

// workers is how many goroutines may run the op's work at once.
func (k *StridedConv) workers() int { return max(Workers, k.par) }

func (k *StridedConv) Forward(in [][]float32, y []float32) {
	x, w, b := in[0], in[1], in[2]
	if !k.tapsForward() {
		k.unfolded(x, w, b, y)
		return
	}
	if k.taps == nil {
		k.taps = newTapConv(k.Window, k.O)
		for i := 0; i < k.workers(); i++ {
			k.taps.buffers(i)
		}
	}
	k.taps.filters(w, b)
	size, out := k.C*k.H*k.W, k.O*k.Pixels()
	k.each(k.B, func(wk, i int) {
		k.taps.forward(wk, x[i*size:(i+1)*size], y[i*out:(i+1)*out], nil, k.ReLU)
		if k.stats != nil { // the image's output is still in cache
			imageStats(k.stats[3*i*k.O:], y[i*out:(i+1)*out], k.O, k.Pixels())
		}
	})
}

// tapsForward reports whether the forward pass runs on the tap kernel.
func (k *StridedConv) tapsForward() bool { return simd.HasConvTaps && UseWinograd }

// unfolded is the forward pass by im2col and GEMM, where the tap kernel
// does not run (no AVX-512) or is turned off (BASIN_CONV=im2col).
func (k *StridedConv) unfolded(x, w, b, y []float32) {
	k.buffers(true)
	r, px, size := k.Rows(), k.Pixels(), k.C*k.H*k.W
	k.each(k.B, func(wk, i int) {
		col, out := k.cols[wk], y[i*k.O*px:(i+1)*k.O*px]
		k.Unfold(x[i*size:(i+1)*size], col)
		gemm.Mul(out, px, gemm.Matrix{Data: w, Stride: r}, gemm.Matrix{Data: col, Stride: px}, k.O, px, r, false)
		for o := 0; o < k.O; o++ {
			for j := o * px; j < (o+1)*px; j++ {
				out[j] += b[o]
			}
		}
		if k.ReLU {
			relu(out, out)
		}
	})
}

// buffers allocates the per-worker partial gradients and, for the passes
// by im2col, the unfolded image and its gradient (once).
func (k *StridedConv) buffers(unfold bool) {
	r, px := k.Rows(), k.Pixels()
	for len(k.part) < k.workers() {
		k.part = append(k.part, make([]float32, k.O*r+k.O))
	}
	for unfold && len(k.cols) < k.workers() {
		k.cols = append(k.cols, make([]float32, r*px))
		k.gcol = append(k.gcol, make([]float32, r*px))
	}
}

func (k *StridedConv) Backward(in [][]float32, y, gy []float32, gin [][]float32) {
	x, w := in[0], in[1]
	gx, gw, gb := gin[0], gin[1], gin[2]
	r, px, size := k.Rows(), k.Pixels(), k.C*k.H*k.W
	k.buffers(k.taps == nil)
	if k.ReLU { // through the fused ReLU first, into a buffer of its own
		if len(k.gz) != len(gy) {
			k.gz = make([]float32, len(gy))
		}
		k.chunks(len(gy), func(lo, hi int) { reluGrad(k.gz[lo:hi], y[lo:hi], gy[lo:hi]) })
		gy = k.gz
	}
	for _, p := range k.part {
		clear(p)
	}
	if k.taps != nil { // the forward pass ran on the tap kernel: so does this one
		if k.back == nil {
			k.back = newTapBack(k.taps, k.B, k.workers())
		}
		if gx != nil {
			k.back.filters(w)
		}
		m := k.back.images
		k.each((k.B+m-1)/m, func(wk, q int) {
			n := min(m, k.B-q*m)
			for j := range n {
				i := q*m + j
				g := gy[i*k.O*px : (i+1)*k.O*px]
				k.back.stage(wk, j, x[i*size:(i+1)*size], g)
				if gx != nil {
					k.back.inputGrad(wk, g, gx[i*size:(i+1)*size])
				}
				for o := 0; o < k.O; o++ {
					k.part[wk][k.O*r+o] += simd.Sum(g[o*px : (o+1)*px])
				}
			}
			k.back.filterGrad(wk, n)
		})
		k.back.sums(gw, k.part)
		if gb != nil {
			clear(gb)
			for _, p := range k.part {
				for j, v := range p[k.O*r:] {
					gb[j] += v
				}
			}
		}
		return
	}
	k.each(k.B, func(wk, i int) {
		col, part := k.cols[wk], k.part[wk]
		g := gy[i*k.O*px : (i+1)*k.O*px]
		k.Unfold(x[i*size:(i+1)*size], col)
		gemm.Mul(part[:k.O*r], r, gemm.Matrix{Data: g, Stride: px}, gemm.Matrix{Data: col, Stride: px, T: true}, k.O, r, px, true)
		for o := 0; o < k.O; o++ {
			s := float32(0)
			for _, v := range g[o*px : (o+1)*px] {
				s += v
			}
			part[k.O*r+o] += s
		}
		if gx != nil {
			gcol := k.gcol[wk]
			gemm.Mul(gcol, px, gemm.Matrix{Data: w, Stride: r, T: true}, gemm.Matrix{Data: g, Stride: px}, r, px, k.O, false)
			k.Fold(gcol, gx[i*size:(i+1)*size])
		}
	})
	if gw != nil {
		clear(gw)
	}
	if gb != nil {
		clear(gb)
	}
	for _, p := range k.part {
		for j, v := range p[:k.O*r] {
			if gw != nil {
				gw[j] += v
			}
		}
		for j, v := range p[k.O*r:] {
			if gb != nil {
				gb[j] += v
			}
		}
	}
}

// Rows is the unfolded image's row count, C·K·K.
func (g Window) Rows() int { return g.C * g.K * g.K }

// Pixels is the output's pixel count, OH·OW.
func (g Window) Pixels() int { return g.OH() * g.OW() }

// Unfold writes one image [C,H,W] as col [C·K·K, OH·OW]: row (c,ky,kx)
// holds the input value each output pixel sees through that tap.
func (g Window) Unfold(x, col []float32) {
	oh, ow, px, s := g.OH(), g.OW(), g.Pixels(), g.Stride
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				dst := col[r*px : (r+1)*px]
				r++
				off := kx*g.D() - g.Pad
				lo, hi := g.span(off)
				for oy := 0; oy < oh; oy++ {
					iy := oy*s + ky*g.D() - g.Pad
					line := dst[oy*ow : (oy+1)*ow]
					if iy < 0 || iy >= g.H || lo >= hi {
						clear(line)
						continue
					}
					clear(line[:lo])
					clear(line[hi:])
					src := plane[iy*g.W+lo*s+off:]
					if s == 1 {
						copy(line[lo:hi], src)
						continue
					}
					for j := range line[lo:hi] {
						line[lo+j] = src[j*s]
					}
				}
			}
		}
	}
}

// span is the range [lo, hi) of output columns whose input column
// ox·Stride + off lies inside the image.
func (g Window) span(off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + g.Stride - 1) / g.Stride
	}
	hi = g.OW()
	if last := g.W - 1 - off; last < 0 {
		hi = 0
	} else {
		hi = min(hi, last/g.Stride+1)
	}
	return lo, max(hi, lo)
}

// UnfoldRows is Unfold transposed: colT [OH·OW, C·K·K].
func (g Window) UnfoldRows(x, colT []float32) {
	px, rows := g.Pixels(), g.Rows()
	ow := g.OW()
	for p := 0; p < px; p++ {
		oy, ox := p/ow, p%ow
		dst := colT[p*rows : (p+1)*rows]
		r := 0
		for c := 0; c < g.C; c++ {
			plane := x[c*g.H*g.W : (c+1)*g.H*g.W]
			for ky := 0; ky < g.K; ky++ {
				iy := oy*g.Stride + ky*g.D() - g.Pad
				for kx := 0; kx < g.K; kx++ {
					ix := ox*g.Stride + kx*g.D() - g.Pad
					if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
						dst[r] = plane[iy*g.W+ix]
					} else {
						dst[r] = 0
					}
					r++
				}
			}
		}
	}
}

// Fold adds col's entries back onto the positions they came from, into x
// (cleared first): Unfold's adjoint.
func (g Window) Fold(col, x []float32) {
	oh, ow, px, s := g.OH(), g.OW(), g.Pixels(), g.Stride
	clear(x[:g.C*g.H*g.W])
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				src := col[r*px : (r+1)*px]
				r++
				off := kx*g.D() - g.Pad
				lo, hi := g.span(off)
				if lo >= hi {
					continue
				}
				for oy := 0; oy < oh; oy++ {
					iy := oy*s + ky*g.D() - g.Pad
					if iy < 0 || iy >= g.H {
						continue
					}
					dst := plane[iy*g.W+lo*s+off:]
					for j, v := range src[oy*ow+lo : oy*ow+hi] {
						dst[j*s] += v
					}
				}
			}
		}
	}
}
