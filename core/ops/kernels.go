package ops

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/rng"
	"github.com/basin-dev/basin/core/simd"
)

// Window is a pooling or convolution window's geometry on one image
// [C,H,W]: a K×K kernel moved by Stride over the image padded by Pad.
type Window struct{ C, H, W, K, Stride, Pad int }

// OH is the output height.
func (g Window) OH() int { return (g.H+2*g.Pad-g.K)/g.Stride + 1 }

// OW is the output width.
func (g Window) OW() int { return (g.W+2*g.Pad-g.K)/g.Stride + 1 }

// Pool is max or average pooling over any window (average counts the
// padding as zeros, PyTorch's count_include_pad). Input [B,C,H,W].
type Pool struct {
	split
	Window
	B   int
	Avg bool
	arg []int32 // max: the input index of each output's maximum (-1: none)
}

// NewPool returns the op of max (avg false) or average pooling.
func NewPool(b int, g Window, avg bool) *Layer {
	return NewLayer(&Pool{Window: g, B: b, Avg: avg}, []int{b, g.C, g.H, g.W})
}

func (k *Pool) String() string {
	kind := "Max"
	if k.Avg {
		kind = "Avg"
	}
	return fmt.Sprintf("%sPool{%dx%dx%dx%d k%d s%d p%d}", kind, k.B, k.C, k.H, k.W, k.K, k.Stride, k.Pad)
}
func (k *Pool) Out() []int { return []int{k.B, k.C, k.OH(), k.OW()} }

func (k *Pool) Forward(in [][]float32, y []float32) {
	x := in[0]
	oh, ow := k.OH(), k.OW()
	if !k.Avg && k.arg == nil {
		k.arg = make([]int32, len(y))
	}
	inv := 1 / float32(k.K*k.K)
	k.each(k.B*k.C, func(_, p int) {
		plane := x[p*k.H*k.W : (p+1)*k.H*k.W]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				o := p*oh*ow + oy*ow + ox
				best, at, sum := float32(math.Inf(-1)), int32(-1), float32(0)
				for ky := 0; ky < k.K; ky++ {
					iy := oy*k.Stride + ky - k.Pad
					if iy < 0 || iy >= k.H {
						continue
					}
					for kx := 0; kx < k.K; kx++ {
						ix := ox*k.Stride + kx - k.Pad
						if ix < 0 || ix >= k.W {
							continue
						}
						v := plane[iy*k.W+ix]
						sum += v
						if v > best || at < 0 || v != v {
							best, at = v, int32(p*k.H*k.W+iy*k.W+ix)
						}
					}
				}
				if k.Avg {
					y[o] = sum * inv
				} else {
					y[o], k.arg[o] = best, at
				}
			}
		}
	})
}

func (k *Pool) Backward(_ [][]float32, _, gy []float32, gin [][]float32) {
	gx := gin[0]
	if gx == nil {
		return
	}
	clear(gx)
	if !k.Avg {
		for o, g := range gy {
			if a := k.arg[o]; a >= 0 {
				gx[a] += g
			}
		}
		return
	}
	oh, ow := k.OH(), k.OW()
	inv := 1 / float32(k.K*k.K)
	k.each(k.B*k.C, func(_, p int) {
		plane := gx[p*k.H*k.W : (p+1)*k.H*k.W]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				g := gy[p*oh*ow+oy*ow+ox] * inv
				for ky := 0; ky < k.K; ky++ {
					iy := oy*k.Stride + ky - k.Pad
					if iy < 0 || iy >= k.H {
						continue
					}
					for kx := 0; kx < k.K; kx++ {
						if ix := ox*k.Stride + kx - k.Pad; ix >= 0 && ix < k.W {
							plane[iy*k.W+ix] += g
						}
					}
				}
			}
		}
	})
}

// GlobalAvgPool averages each channel's plane: [B,C,H,W] → [B,C].
type GlobalAvgPool struct{ B, C, HW int }

// NewGlobalAvgPool returns the op on x [b,c,h,w].
func NewGlobalAvgPool(b, c, h, w int) *Layer {
	return NewLayer(&GlobalAvgPool{B: b, C: c, HW: h * w}, []int{b, c, h, w})
}

func (k *GlobalAvgPool) String() string { return fmt.Sprintf("GAP{%dx%dx%d}", k.B, k.C, k.HW) }
func (k *GlobalAvgPool) Out() []int     { return []int{k.B, k.C} }
func (k *GlobalAvgPool) Forward(in [][]float32, y []float32) {
	x := in[0]
	for p := range y {
		s := float32(0)
		for _, v := range x[p*k.HW : (p+1)*k.HW] {
			s += v
		}
		y[p] = s / float32(k.HW)
	}
}
func (k *GlobalAvgPool) Backward(_ [][]float32, _, gy []float32, gin [][]float32) {
	if gx := gin[0]; gx != nil {
		for p, g := range gy {
			g /= float32(k.HW)
			for j := p * k.HW; j < (p+1)*k.HW; j++ {
				gx[j] = g
			}
		}
	}
}

// Sum adds inputs of one shape (a residual connection), optionally
// followed by ReLU.
type Sum struct {
	split
	Shape []int
	ReLU  bool
}

// NewSum returns the op adding n inputs of the given shape.
func NewSum(n int, shape []int, relu bool) *Layer {
	in := make([]tensor.Shape, n)
	for i := range in {
		in[i] = shape
	}
	return NewLayer(&Sum{Shape: shape, ReLU: relu}, in...)
}

func (k *Sum) String() string { return fmt.Sprintf("Add%v", k.Shape) }
func (k *Sum) Out() []int     { return k.Shape }
func (k *Sum) Forward(in [][]float32, y []float32) {
	k.chunks(len(y), func(lo, hi int) {
		dst := y[lo:hi]
		if len(in) == 2 { // a residual connection: one pass
			simd.Add2(dst, in[0][lo:hi], in[1][lo:hi], k.ReLU)
			return
		}
		copy(dst, in[0][lo:hi])
		for _, x := range in[1:] {
			for j, v := range x[lo:hi] {
				dst[j] += v
			}
		}
		if k.ReLU {
			relu(dst, dst)
		}
	})
}
func (k *Sum) Backward(_ [][]float32, y, gy []float32, gin [][]float32) {
	k.chunks(len(y), func(lo, hi int) {
		var first []float32 // the first input's gradient: the others copy it
		for _, g := range gin {
			switch {
			case g == nil:
			case first != nil:
				copy(g[lo:hi], first)
			case k.ReLU:
				reluGrad(g[lo:hi], y[lo:hi], gy[lo:hi])
				first = g[lo:hi]
			default:
				copy(g[lo:hi], gy[lo:hi])
				first = g[lo:hi]
			}
		}
	})
}

// split is how many goroutines a kernel may use: its Layer's (one in a
// scan's worker, where every core already runs an evaluation).
type split struct{ par int }

func (s *split) setPar(n int) { s.par = n }

// each is forEach on the kernel's goroutines.
func (s *split) each(n int, f func(w, i int)) {
	if s.par <= 0 {
		s.par = Workers
	}
	forEachOn(s.par, n, f)
}

// chunks splits [0, n) into one contiguous range per goroutine.
func (s *split) chunks(n int, f func(lo, hi int)) {
	if s.par <= 0 {
		s.par = Workers
	}
	w := min(s.par, max(1, n/4096))
	size := (n + w - 1) / w
	forEachOn(w, w, func(_, i int) {
		if lo := i * size; lo < n {
			f(lo, min(n, lo+size))
		}
	})
}

// relu writes max(x, 0) into y (a NaN stays NaN).
func relu(y, x []float32) {
	for j, v := range x {
		if v < 0 {
			v = 0
		}
		y[j] = v
	}
}

// reluGrad writes into gx the gradient gy through a ReLU whose output was
// y: gy, zeroed where y ≤ 0.
func reluGrad(gx, y, gy []float32) {
	copy(gx, gy)
	simd.ReLUMask(gx, y)
}

// ReLU is max(x, 0) on any shape (a NaN stays NaN).
type ReLU struct {
	split
	Shape []int
}

// NewReLU returns the op on x of the given shape.
func NewReLU(shape []int) *Layer { return NewLayer(&ReLU{Shape: shape}, shape) }

func (k *ReLU) String() string { return fmt.Sprintf("ReLU%v", k.Shape) }
func (k *ReLU) Out() []int     { return k.Shape }
func (k *ReLU) Forward(in [][]float32, y []float32) {
	k.chunks(len(y), func(lo, hi int) { relu(y[lo:hi], in[0][lo:hi]) })
}
func (k *ReLU) Backward(_ [][]float32, y, gy []float32, gin [][]float32) {
	if gx := gin[0]; gx != nil {
		k.chunks(len(y), func(lo, hi int) { reluGrad(gx[lo:hi], y[lo:hi], gy[lo:hi]) })
	}
}

// Dropout zeroes each value with probability Rate and scales the rest by
// 1/(1 − Rate), drawing a new mask every forward pass from a seeded
// stream (a training net only: evaluation has no dropout).
type Dropout struct {
	Shape []int
	Rate  float64
	r     *rng.Source
	mask  []float32
}

// NewDropout returns the op on x of the given shape; seed fixes its masks.
func NewDropout(shape []int, rate float64, seed uint64) *Layer {
	d := &Dropout{Shape: shape, Rate: rate}
	d.Seed(seed, 0)
	return NewLayer(d, shape)
}

func (k *Dropout) String() string { return fmt.Sprintf("Dropout{%v p%g}", k.Shape, k.Rate) }
func (k *Dropout) Out() []int     { return k.Shape }
func (k *Dropout) Forward(in [][]float32, y []float32) {
	if k.mask == nil {
		k.mask = make([]float32, len(y))
	}
	keep := float32(1 / (1 - k.Rate))
	for j, v := range in[0] {
		m := keep
		if k.r.Float64() < k.Rate {
			m = 0
		}
		k.mask[j] = m
		y[j] = v * m
	}
}
func (k *Dropout) Backward(_ [][]float32, _, gy []float32, gin [][]float32) {
	if gx := gin[0]; gx != nil {
		for j, g := range gy {
			gx[j] = g * k.mask[j]
		}
	}
}

// StridedConv is a convolution with any stride, by im2col and GEMM:
// y = w ⋆ x + b. Inputs x [B,C,H,W], w [O,C,K,K], b [O] (a constant zero
// bias for a conv without one). Conv is the fast path for stride 1.
type StridedConv struct {
	split
	Window
	B, O int
	ReLU bool        // y = max(0, w ⋆ x + b): an evaluation's folded batch norm and ReLU
	cols [][]float32 // per worker: an unfolded image
	gcol [][]float32
	part [][]float32 // per worker: filter and bias gradients
	gz   []float32   // the gradient through the fused ReLU
}

// NewStridedConv returns the op.
func NewStridedConv(b int, g Window, o int, relu bool) *Layer {
	return NewLayer(&StridedConv{Window: g, B: b, O: o, ReLU: relu}, []int{b, g.C, g.H, g.W}, []int{o, g.C, g.K, g.K}, []int{o})
}

func (k *StridedConv) String() string {
	return fmt.Sprintf("Conv{%dx%dx%dx%d→%d k%d s%d p%d}", k.B, k.C, k.H, k.W, k.O, k.K, k.Stride, k.Pad)
}
func (k *StridedConv) Out() []int { return []int{k.B, k.O, k.OH(), k.OW()} }

func (k *StridedConv) buffers() {
	if k.cols != nil {
		return
	}
	n := k.Rows() * k.Pixels()
	for i := 0; i < Workers; i++ {
		k.cols = append(k.cols, make([]float32, n))
		k.gcol = append(k.gcol, make([]float32, n))
		k.part = append(k.part, make([]float32, k.O*k.Rows()+k.O))
	}
}

func (k *StridedConv) Forward(in [][]float32, y []float32) {
	x, w, b := in[0], in[1], in[2]
	k.buffers()
	r, px, size := k.Rows(), k.Pixels(), k.C*k.H*k.W
	k.each(k.B, func(wk, i int) {
		col := k.cols[wk]
		k.Unfold(x[i*size:(i+1)*size], col)
		out := y[i*k.O*px : (i+1)*k.O*px]
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

func (k *StridedConv) Backward(in [][]float32, y, gy []float32, gin [][]float32) {
	x, w := in[0], in[1]
	gx, gw, gb := gin[0], gin[1], gin[2]
	r, px, size := k.Rows(), k.Pixels(), k.C*k.H*k.W
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
	oh, ow, px := g.OH(), g.OW(), g.Pixels()
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				dst := col[r*px : (r+1)*px]
				r++
				for oy := 0; oy < oh; oy++ {
					iy := oy*g.Stride + ky - g.Pad
					line := dst[oy*ow : (oy+1)*ow]
					if iy < 0 || iy >= g.H {
						clear(line)
						continue
					}
					for ox := range line {
						if ix := ox*g.Stride + kx - g.Pad; ix >= 0 && ix < g.W {
							line[ox] = plane[iy*g.W+ix]
						} else {
							line[ox] = 0
						}
					}
				}
			}
		}
	}
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
				iy := oy*g.Stride + ky - g.Pad
				for kx := 0; kx < g.K; kx++ {
					ix := ox*g.Stride + kx - g.Pad
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
	oh, ow, px := g.OH(), g.OW(), g.Pixels()
	clear(x[:g.C*g.H*g.W])
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				src := col[r*px : (r+1)*px]
				r++
				for oy := 0; oy < oh; oy++ {
					iy := oy*g.Stride + ky - g.Pad
					if iy < 0 || iy >= g.H {
						continue
					}
					for ox, v := range src[oy*ow : (oy+1)*ow] {
						if ix := ox*g.Stride + kx - g.Pad; ix >= 0 && ix < g.W {
							plane[iy*g.W+ix] += v
						}
					}
				}
			}
		}
	}
}

// Seed restarts the masks from stream k of seed.
func (k *Dropout) Seed(seed, stream uint64) { k.r = rng.New(seed, rng.StreamDropout+stream) }
