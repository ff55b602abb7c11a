package ops

import (
	"fmt"

	"github.com/basin-dev/basin/core/simd"
)

// Tangent is a 3×3 convolution of stride 1 carried together with its
// directional derivative, on the training fast paths, for a pass outside
// gorgonia's graph: the Hessian's R-operator (core/hessian), which needs
// with every value a of the net its derivative ȧ along a direction V of
// the weights. For weights W, their direction V, an input x and its
// derivative ẋ (nil when the input does not depend on the weights):
//
//	Forward:    y = W⋆x + b,    ẏ = V⋆x + W⋆ẋ + v_b
//	InputGrad:  gx += W̃⋆g,     ġx += Ṽ⋆g + W̃⋆ġ
//	FilterGrad: ġW += ġ·unfold(x)ᵀ + g·unfold(ẋ)ᵀ
//
// where g is the loss gradient at the output, ġ its derivative, and W̃
// the filters flipped and transposed (the input gradient is a
// convolution of g with them, padded by 2 − pad). Both convolution lines
// have one shape, a pair: (A⋆p, B⋆p + A⋆q), so each is one Winograd
// F(2×2, 3×3) pass in which p is transformed once and multiplied by both
// filter sets, and q's products add into B's. A first layer on grey
// images (fewer than four channels, no ẋ) runs the direct convolution
// twice instead. The filter gradient gathers the unfolded input from
// padded planes into the GEMM's panels as training's does (no im2row).
type Tangent struct {
	C, H, W, O, Pad int
	input           bool // x has a derivative and needs a gradient

	fwd        *winograd // C → O, or nil: dirW, dirV
	dirW, dirV *direct
	back       *winograd // O → C, the input gradient (nil without input)
	uW, uV     []float32 // forward's transformed filters
	bW, bV     []float32 // the input gradient's
	flipped    []float32 // W̃ or Ṽ before its transform
	zeroO      []float32 // a bias of zeros, per output channel
	zeroC      []float32 // per input channel
	bias, vb   []float32 // Forward's bias and its direction
	grad       *ConvBack // its filterGrad and buffers
	sparse     *sparseTangent
}

// CanTangent reports whether a convolution of this kernel, stride and
// dilation runs as a Tangent.
func CanTangent(k, stride, dilation int) bool {
	return UseWinograd && k == 3 && stride == 1 && dilation == 1
}

// NewTangent returns the pair for a 3×3 convolution of c channels of h×w
// to o channels with padding pad; input says whether its input depends on
// the weights (and so has a derivative and needs a gradient).
func NewTangent(c, h, w, o, pad int, input bool) (*Tangent, error) {
	if h+2*pad < 3 || w+2*pad < 3 || pad > 2 || c < 1 || o < 1 {
		return nil, fmt.Errorf("a 3×3 convolution of %d×%d×%d with padding %d to %d channels", c, h, w, pad, o)
	}
	t := &Tangent{C: c, H: h, W: w, O: o, Pad: pad, input: input,
		zeroO: make([]float32, o), zeroC: make([]float32, c), flipped: make([]float32, o*c*9)}
	if c < minWinogradChannels && !input {
		t.dirW, t.dirV = newDirect(c, h, w, o, pad), newDirect(c, h, w, o, pad)
		for i := 0; i < Workers; i++ {
			t.dirW.buffers(i)
			t.dirV.buffers(i)
		}
	} else {
		t.fwd = newWinograd(c, h, w, o, pad)
		t.uW, t.uV = make([]float32, len(t.fwd.u)), make([]float32, len(t.fwd.u))
		for i := 0; i < Workers; i++ {
			t.fwd.buffers(i)
		}
	}
	oh, ow := h+2*pad-2, w+2*pad-2
	if input {
		t.back = newWinograd(o, oh, ow, c, 2-pad)
		t.bW, t.bV = make([]float32, len(t.back.u)), make([]float32, len(t.back.u))
		for i := 0; i < Workers; i++ {
			t.back.buffers(i)
		}
	}
	t.grad = &ConvBack{fwd: &Conv{C: c, H: h, W: w, O: o, K: 3, Pad: pad}}
	t.grad.unfolding()
	if simd.HasSparseGrad && c >= 8 { // below, the channels padded to 16 cost more than they save
		t.sparse = newSparseTangent(t)
	}
	return t, nil
}

// OH and OW are the output's size.
func (t *Tangent) OH() int { return t.H + 2*t.Pad - 2 }

// OW is the output's width.
func (t *Tangent) OW() int { return t.W + 2*t.Pad - 2 }

// SetWeights transforms the filters w and their direction v [O,C,3,3] for
// the passes that follow; bias and vb (nil for none) are Forward's.
func (t *Tangent) SetWeights(w, v, bias, vb []float32) {
	if bias == nil {
		bias, vb = t.zeroO, t.zeroO
	}
	t.bias, t.vb = bias, vb
	if t.fwd != nil {
		t.fwd.transform(w, t.uW)
		t.fwd.transform(v, t.uV)
	} else {
		t.dirW.filters(w, bias)
		t.dirV.filters(v, vb)
	}
	if t.sparse != nil {
		t.sparse.lastChannels(t, w, t.sparse.wt)
		t.sparse.lastChannels(t, v, t.sparse.vt)
	}
	if t.back != nil {
		t.flip(w)
		t.back.transform(t.flipped, t.bW)
		t.flip(v)
		t.back.transform(t.flipped, t.bV)
	}
}

// flip writes w's filters flipped and transposed, [C,O,3,3].
func (t *Tangent) flip(w []float32) { flipFilters(t.flipped, w, t.O, t.C, 3) }

// Forward computes y and ẏ [nb,O,OH,OW] for nb images x (and ẋ, nil for
// none) [nb,C,H,W], with the bias and its direction given to SetWeights;
// with known, y holds this x's and W's values already and only ẏ is
// computed.
func (t *Tangent) Forward(x, xd, y, yd []float32, nb int, known bool) {
	in, out := t.C*t.H*t.W, t.O*t.OH()*t.OW()
	if g := t.fwd; g != nil {
		g.chunks(nb, func(wk, i0, n int) {
			g.pair(wk, x[i0*in:(i0+n)*in], images(xd, i0, n, in), y[i0*out:(i0+n)*out], yd[i0*out:(i0+n)*out], t.uW, t.uV, t.bias, t.vb, n, false, known)
		})
		return
	}
	forEach(nb, func(wk, i int) {
		if !known {
			t.dirW.forward(wk, x[i*in:(i+1)*in], y[i*out:(i+1)*out], false, false)
		}
		t.dirV.forward(wk, x[i*in:(i+1)*in], yd[i*out:(i+1)*out], false, false)
	})
}

// Backward adds the filter gradient's derivative for nb images to acc
// (FilterGrad) and, when the input has a derivative, the input's gradient
// and its derivative to gx and rx (InputGrad). Where few output pixels
// have a gradient (below denseShare in the first image), only those are
// visited.
func (t *Tangent) Backward(x, xd, g, rg, gx, rx []float32, nb int, acc [][]float32) {
	if t.sparse != nil && live(g, rg, t.O*t.OH()*t.OW()) <= denseShare { // the first image's share
		t.sparse.backward(t, x, xd, g, rg, gx, rx, nb, acc)
		return
	}
	t.FilterGrad(x, xd, g, rg, nb, acc)
	if t.input {
		t.InputGrad(g, rg, gx, rx, nb)
	}
}

// NeedsGradient reports whether Backward reads the output's gradient g
// itself, beside its derivative ġ: not for a first layer (no ẋ, no input
// gradient) whose pass is dense.
func (t *Tangent) NeedsGradient() bool { return t.input || t.sparse != nil }

// CanPool reports whether ForwardPooled and BackwardPooled run here
// (Winograd, and AVX-512 with at least 8 input channels) for an output of
// even height and width.
func (t *Tangent) CanPool() bool {
	return t.fwd != nil && t.sparse != nil && t.OH()%2 == 0 && t.OW()%2 == 0
}

// BackwardPooled is Backward for a convolution whose output only a ReLU
// and a 2×2 max pool of stride 2 read: y [nb,O,OH/2,OW/2] is the pool's
// output (a window passes its gradient where y > 0), arg which of its
// window's four (2·dy + dx) was the maximum, and g, ġ the gradient at the
// pool's output and its derivative. The convolution's own output
// gradient is never formed. bias, when not nil, gets the bias gradient's
// derivative Σ ġ per output channel, one partial sum per worker.
func (t *Tangent) BackwardPooled(x, xd, y []float32, arg []uint8, g, rg, gx, rx []float32, nb int, acc, bias [][]float32) {
	t.sparse.backwardPooled(t, x, xd, y, arg, g, rg, gx, rx, nb, acc, bias)
}

// live is the share of the first n pixels where g or r is not zero.
func live(g, r []float32, n int) float64 {
	k := 0
	for j, v := range g[:n] {
		if v != 0 || r[j] != 0 {
			k++
		}
	}
	return float64(k) / float64(n)
}

// ForwardPooled is Forward for a convolution whose output only a ReLU
// and a 2×2 max pool of stride 2 read (CanPool): it writes the pool's
// output y = max(0, the window's maximum) [nb,O,OH/2,OW/2], which of the
// window's four was the maximum (arg, 2·dy + dx), and y's derivative ẏ
// (ẋ's at the maximum where y > 0, else 0), and never the convolution's
// own output. Each Winograd output tile is one pooling window. With
// known, y and arg hold this x's and W's already and only ẏ is computed.
func (t *Tangent) ForwardPooled(x, xd, y, yd []float32, arg []uint8, nb int, known bool) {
	g := t.fwd
	in, out := t.C*t.H*t.W, t.O*g.perImage
	g.chunks(nb, func(wk, i0, n int) {
		g.pairPooled(wk, x[i0*in:(i0+n)*in], images(xd, i0, n, in), y[i0*out:(i0+n)*out], yd[i0*out:(i0+n)*out], arg[i0*out:(i0+n)*out], t.uW, t.uV, t.bias, t.vb, n, known)
	})
}

// InputGrad adds the input's gradient W̃⋆g to gx and its derivative
// Ṽ⋆g + W̃⋆ġ to rx, [nb,C,H,W], from g and ġ [nb,O,OH,OW]. Only for a
// Tangent whose input has a derivative.
func (t *Tangent) InputGrad(g, rg, gx, rx []float32, nb int) {
	w := t.back
	in, out := t.C*t.H*t.W, t.O*t.OH()*t.OW()
	w.chunks(nb, func(wk, i0, n int) {
		w.pair(wk, g[i0*out:(i0+n)*out], rg[i0*out:(i0+n)*out], gx[i0*in:(i0+n)*in], rx[i0*in:(i0+n)*in], t.bW, t.bV, t.zeroC, t.zeroC, n, true, false)
	})
}

// FilterGrad adds ġ·unfold(x)ᵀ + g·unfold(ẋ)ᵀ for nb images to the filter
// gradient's derivative, [O,C,3,3], one partial sum per worker (acc[wk]).
func (t *Tangent) FilterGrad(x, xd, g, rg []float32, nb int, acc [][]float32) {
	in, out := t.C*t.H*t.W, t.O*t.OH()*t.OW()
	forEach(nb, func(wk, i int) {
		t.grad.filterGrad(wk, x[i*in:(i+1)*in], rg[i*out:(i+1)*out], acc[wk])
		if xd != nil {
			t.grad.filterGrad(wk, xd[i*in:(i+1)*in], g[i*out:(i+1)*out], acc[wk])
		}
	})
}

// chunks runs f over nb images in the transform's chunks (images [i0,
// i0+n)), one chunk per call, across the workers.
func (g *winograd) chunks(nb int, f func(wk, i0, n int)) {
	forEach((nb+g.images-1)/g.images, func(wk, ch int) {
		i0 := ch * g.images
		f(wk, i0, min(g.images, nb-i0))
	})
}

// images is images [i0, i0+n) of x (per values each), or nil for no x.
func images(x []float32, i0, n, per int) []float32 {
	if x == nil {
		return nil
	}
	return x[i0*per : (i0+n)*per]
}

// pairPooled is pair with ReLU and 2×2 max pooling: y = max(0, max of
// each output tile of A⋆p + bias), arg its position in the tile, and yd
// the tile's B⋆p + A⋆q + biasD at that position where y > 0, else 0.
func (g *winograd) pairPooled(worker int, p, q, y, yd []float32, arg []uint8, a, b, bias, biasD []float32, n int, known bool) {
	v, m := g.buffers(worker)
	sc := g.sc[worker]
	g.input(p, v, n, sc)
	if !known {
		products(&g.kern, 16, g.opad, g.c, g.tiles, a, v, m, false)
		g.output(m, y, bias, n, true, true, sc, arg, nil)
	}
	g.derivative(v, m, q, a, b, n, sc)
	stride, per := g.opad*g.tiles, g.perImage
	for o := 0; o < g.o; o++ {
		simd.WinoOut(sc.q, g.tiles, m[o*g.tiles:], stride, n*per)
		bd := biasD[o]
		for img := 0; img < n; img++ {
			k := (img*g.o + o) * per
			ys, as, ds := y[k:k+per], arg[k:k+per], yd[k:k+per]
			t0 := img * per
			for t, v := range ys {
				d := sc.q[int(as[t])*g.tiles+t0+t] + bd
				if !(v > 0) {
					d = 0
				}
				ds[t] = d
			}
		}
	}
}

// pair computes y = A⋆p + bias and yd = B⋆p + A⋆q + biasD for n (≤ images)
// images, A and B transformed filters (transform); q may be nil. With add,
// both are added to what y and yd hold; with known, y is left as it is.
func (g *winograd) pair(worker int, p, q, y, yd, a, b, bias, biasD []float32, n int, add, known bool) {
	v, m := g.buffers(worker)
	sc := g.sc[worker]
	var res, resD []float32
	if add {
		res, resD = y, yd
	}
	g.input(p, v, n, sc)
	if !known {
		products(&g.kern, 16, g.opad, g.c, g.tiles, a, v, m, false)
		g.output(m, y, bias, n, false, false, sc, nil, res)
	}
	g.derivative(v, m, q, a, b, n, sc)
	g.output(m, yd, biasD, n, false, false, sc, nil, resD)
}

// derivative leaves B⋆p + A⋆q's products in m, v holding p's transform
// (q may be nil; v is reused for it).
func (g *winograd) derivative(v, m, q, a, b []float32, n int, sc *scratch) {
	products(&g.kern, 16, g.opad, g.c, g.tiles, b, v, m, false)
	if q != nil {
		g.input(q, v, n, sc)
		products(&g.kern, 16, g.opad, g.c, g.tiles, a, v, m, true)
	}
}
