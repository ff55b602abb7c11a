package ops

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/rng"
	"github.com/basin-dev/basin/core/simd"
)

// Pool is max or average pooling over any window (average counts the
// padding as zeros, PyTorch's count_include_pad, unless ExcludePad).
// Input [B,C,H,W].
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
	k.each(k.B*k.C, func(_, p int) {
		plane := x[p*k.H*k.W : (p+1)*k.H*k.W]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				o := p*oh*ow + oy*ow + ox
				best, at, sum := float32(math.Inf(-1)), int32(-1), float32(0)
				for ky := 0; ky < k.K; ky++ {
					iy := oy*k.Stride + ky*k.D() - k.Pad
					if iy < 0 || iy >= k.H {
						continue
					}
					for kx := 0; kx < k.K; kx++ {
						ix := ox*k.Stride + kx*k.D() - k.Pad
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
					y[o] = sum * k.AvgScale(oy, ox)
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
	k.each(k.B*k.C, func(_, p int) {
		plane := gx[p*k.H*k.W : (p+1)*k.H*k.W]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				g := gy[p*oh*ow+oy*ow+ox] * k.AvgScale(oy, ox)
				for ky := 0; ky < k.K; ky++ {
					iy := oy*k.Stride + ky*k.D() - k.Pad
					if iy < 0 || iy >= k.H {
						continue
					}
					for kx := 0; kx < k.K; kx++ {
						if ix := ox*k.Stride + kx*k.D() - k.Pad; ix >= 0 && ix < k.W {
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
func reluGrad(gx, y, gy []float32) { simd.ReLUGrad(gx, gy, y) }

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

// LeakyReLU is x where x > 0, Slope·x elsewhere (a NaN stays NaN).
type LeakyReLU struct {
	split
	Shape []int
	Slope float32
}

// NewLeakyReLU returns the op on x of the given shape.
func NewLeakyReLU(shape []int, slope float64) *Layer {
	return NewLayer(&LeakyReLU{Shape: shape, Slope: float32(slope)}, shape)
}

func (k *LeakyReLU) String() string { return fmt.Sprintf("LeakyReLU%v(%g)", k.Shape, k.Slope) }
func (k *LeakyReLU) Out() []int     { return k.Shape }
func (k *LeakyReLU) Forward(in [][]float32, y []float32) {
	k.chunks(len(y), func(lo, hi int) {
		for j, v := range in[0][lo:hi] {
			if v < 0 {
				v *= k.Slope
			}
			y[lo+j] = v
		}
	})
}
func (k *LeakyReLU) Backward(in [][]float32, _, gy []float32, gin [][]float32) {
	gx := gin[0]
	if gx == nil {
		return
	}
	k.chunks(len(gy), func(lo, hi int) {
		for j, v := range in[0][lo:hi] {
			g := gy[lo+j]
			if v < 0 {
				g *= k.Slope
			}
			gx[lo+j] = g
		}
	})
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

// Seed restarts the masks from stream k of seed.
func (k *Dropout) Seed(seed, stream uint64) { k.r = rng.New(seed, rng.StreamDropout+stream) }
