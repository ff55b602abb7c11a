package ops

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/basin-dev/basin/core/simd"
)

// BatchNorm normalises each channel of x [B,C,H,W] (or [B,C]) and scales
// and shifts it: y = γ·(x − μ)/√(σ² + ε) + β, as PyTorch's BatchNorm2d.
// Inputs x, γ [C], β [C], and with Residual a fourth, r of x's shape,
// added after the shift (before the ReLU): a residual block's last batch
// norm, add and ReLU in one pass each way. In training μ and σ² are the batch's (biased
// variance) and the running averages move toward them by Momentum (the
// variance unbiased, as PyTorch keeps it); in evaluation μ and σ² are the
// running averages.
type BatchNorm struct {
	split
	Shape    []int // of x, batch first
	B, C, HW int
	Train    bool
	ReLU     bool // y = max(0, γ·x̂ + β): the ReLU after it, fused
	Residual bool // y = γ·x̂ + β + r (then the ReLU): the add after it, fused
	// Mean and Var are the running averages: the model's buffers, shared
	// with its Params (training writes them).
	Mean, Var []float32
	Eps       float64 // added to the variance: BNEps unless the model says

	// short, when set (LinkShortcut), supplies the residual input in
	// place of a fourth input: its conv's input; the residual's gradient
	// is then left in gr for that conv to add.
	short *Conv
	gr    []float32

	stats  []float32 // per image and channel: planeStats
	sums   []float32 // per image and channel: the backward pass's Σ g, Σ g·(x − μ)
	coef   []float32 // per channel: the backward pass's affine coefficients
	fed    bool      // whether the conv before writes stats (LinkStats)
	mu     []float32 // μ per channel of the last forward pass (the batch's or the running one)
	invStd []float32 // 1/σ per channel
}

// BatchNorm's constants, PyTorch's defaults.
const (
	BNEps      = 1e-5
	BNMomentum = 0.1
)

func (k *BatchNorm) String() string {
	return fmt.Sprintf("BatchNorm{%dx%dx%d train=%v relu=%v res=%v}", k.B, k.C, k.HW, k.Train, k.ReLU, k.Residual)
}
func (k *BatchNorm) Out() []int { return k.Shape }

// NewBatchNorm returns the op of batch norm on x of the given shape
// (batch first); mean and variance are the running buffers, eps is added
// to the variance. With residual the op takes a fourth input of x's
// shape, added to the output before the ReLU.
func NewBatchNorm(shape []int, train, relu, residual bool, mean, variance []float32, eps float64) *Layer {
	hw := 1
	for _, d := range shape[2:] {
		hw *= d
	}
	k := &BatchNorm{Shape: append([]int(nil), shape...), B: shape[0], C: shape[1], HW: hw, Train: train, ReLU: relu, Residual: residual, Mean: mean, Var: variance, Eps: eps}
	if residual {
		return NewLayer(k, shape, []int{shape[1]}, []int{shape[1]}, shape)
	}
	return NewLayer(k, shape, []int{shape[1]}, []int{shape[1]})
}

// Forward and Backward split the batch by image, as the convs around
// them do, so each core mostly reads what it wrote itself; per-channel
// sums are kept per image and plane and added in image order, the same
// numbers whichever core computed them.
func (k *BatchNorm) Forward(in [][]float32, y []float32) {
	x, g, b := in[0], in[1], in[2]
	res := k.residual(in)
	k.alloc()
	n := float64(k.B * k.HW)
	if k.Train && !k.fed { // else the conv before wrote them (LinkStats)
		k.each(k.B, func(_, i int) {
			imageStats(k.stats[3*i*k.C:], x[i*k.C*k.HW:(i+1)*k.C*k.HW], k.C, k.HW)
		})
	}
	for c := 0; c < k.C; c++ {
		var mu, v float64
		if k.Train {
			mu, v = k.combine(c)
			unbiased := v
			if n > 1 {
				unbiased = v * n / (n - 1)
			}
			k.Mean[c] = float32((1-BNMomentum)*float64(k.Mean[c]) + BNMomentum*mu)
			k.Var[c] = float32((1-BNMomentum)*float64(k.Var[c]) + BNMomentum*unbiased)
		} else {
			mu, v = float64(k.Mean[c]), float64(k.Var[c])
		}
		inv := 1 / math.Sqrt(v+k.Eps)
		k.invStd[c], k.mu[c] = float32(inv), float32(mu)
	}
	k.each(k.B, func(_, i int) {
		for c := 0; c < k.C; c++ { // y = γ/σ·(x − μ) + β (+ r)
			o := (i*k.C + c) * k.HW
			dst, a := y[o:o+k.HW], g[c]*k.invStd[c]
			if k.Residual { // the plane is in L1 for the add
				simd.Affine(dst, x[o:o+k.HW], k.mu[c], a, b[c], false)
				simd.Add2(dst, dst, res[o:o+k.HW], k.ReLU)
				continue
			}
			simd.Affine(dst, x[o:o+k.HW], k.mu[c], a, b[c], k.ReLU)
		}
	})
}

// residual is the residual input: the fourth input, or the linked conv's
// input (nil: none).
func (k *BatchNorm) residual(in [][]float32) []float32 {
	switch {
	case k.short != nil:
		return k.short.x
	case k.Residual:
		return in[3]
	}
	return nil
}

// LinkShortcut makes bn (a batch norm op, training, built with residual
// false) add conv's input as its residual, without taking it as an input
// of the graph, and conv (a stride-1 Conv for training, not pooled, not
// the first layer) add the residual's gradient to its input's gradient.
// The block's input then has one reader in the graph, so gorgonia does
// not sum its two gradients in a pass of its own. The caller must make
// sure conv runs before bn (conv's output leads to bn's input): then
// bn's backward pass runs before conv's too.
func LinkShortcut(conv *Conv, bn *Layer) error {
	k, ok := bn.K.(*BatchNorm)
	switch {
	case !ok || !k.Train || k.Residual || len(bn.In) != 3:
		return fmt.Errorf("link shortcut: %v is not a training batch norm without a residual input", bn)
	case !conv.Train || conv.Pool || conv.First || conv.Residual || conv.shortcut != nil:
		return fmt.Errorf("link shortcut: %v is not a training conv free to take a shortcut", conv)
	case conv.B != k.B || conv.C != k.C || conv.H*conv.W != k.HW:
		return fmt.Errorf("link shortcut: %v's input does not match %v's output", conv, bn)
	}
	k.Residual, k.short, conv.shortcut = true, conv, k
	return nil
}

// The batch's statistics are gathered plane by plane (one image's
// channel): planeStats keeps the plane's first value K, Σ(x−K) and
// Σ(x−K)² (the shifted-data algorithm, in float32 over a few hundred
// values: no precision lost to a mean far from zero, as K is a sample),
// and combine merges a channel's planes in float64, in image order
// (Chan et al.'s pairwise update). A conv before the batch norm can
// gather them as it writes each image (LinkStats): the same numbers,
// without a pass over the batch.
func planeStats(st, p []float32) {
	s, ss := simd.ShiftSums(p, p[0])
	st[0], st[1], st[2] = p[0], s, ss
}

// imageStats is planeStats on each of an image's c channels y [c, hw].
func imageStats(st, y []float32, c, hw int) {
	for ch := 0; ch < c; ch++ {
		planeStats(st[3*ch:], y[ch*hw:(ch+1)*hw])
	}
}

// combine returns channel c's mean and (biased) variance from its planes'
// statistics.
func (k *BatchNorm) combine(c int) (mu, v float64) {
	np := float64(k.HW)
	for i := 0; i < k.B; i++ {
		e := k.stats[3*(i*k.C+c):]
		mu += float64(e[0]) + float64(e[1])/np
	}
	mu /= float64(k.B)
	var m2 float64
	for i := 0; i < k.B; i++ {
		e := k.stats[3*(i*k.C+c):]
		s := float64(e[1])
		d := float64(e[0]) + s/np - mu
		m2 += float64(e[2]) - s*s/np + np*d*d
	}
	return mu, max(m2/(np*float64(k.B)), 0)
}

// LinkStats makes producer, the op whose output is bn's input, gather
// bn's batch statistics as it writes each image (while the image is in
// cache), and reports whether it can: a training batch norm after a conv
// on the tap kernels (Conv, or a Layer of StridedConv).
func LinkStats(producer G.Op, bn *Layer) bool {
	k, ok := bn.K.(*BatchNorm)
	if !ok || !k.Train || len(k.Shape) != 4 {
		return false
	}
	var dst *[]float32
	switch p := producer.(type) {
	case *Conv:
		if !p.Train || p.Pool || !useTaps(p) || p.B != k.B || p.O != k.C || p.pixels() != k.HW {
			return false
		}
		dst = &p.stats
	case *Layer:
		sc, ok := p.K.(*StridedConv)
		if !ok || !sc.tapsForward() || sc.B != k.B || sc.O != k.C || sc.Pixels() != k.HW {
			return false
		}
		dst = &sc.stats
	default:
		return false
	}
	if *dst != nil {
		return false // one batch norm per conv
	}
	k.alloc()
	*dst, k.fed = k.stats, true
	return true
}

// StatsFromConv reports whether the conv before gathers the batch
// norm's statistics (LinkStats).
func (k *BatchNorm) StatsFromConv() bool { return k.fed }

// alloc makes the kernel's per-channel buffers.
func (k *BatchNorm) alloc() {
	if k.invStd == nil {
		k.invStd, k.mu = make([]float32, k.C), make([]float32, k.C)
		k.stats = make([]float32, 3*k.B*k.C)
	}
}

// Backward: gγ = Σ gy·x̂, gβ = Σ gy; in training gx = γ/(nσ)·(n·gy − gβ −
// x̂·gγ) (μ and σ depend on x), in evaluation gx = γ/σ·gy; a residual
// input's gradient is gy (through the ReLU).
func (k *BatchNorm) Backward(in [][]float32, y, gy []float32, gin [][]float32) {
	x, g := in[0], in[1]
	gx, gg, gb := gin[0], gin[1], gin[2]
	var gr []float32
	switch {
	case k.short != nil:
		if k.gr == nil {
			k.gr = make([]float32, len(y))
		}
		gr = k.gr
	case k.Residual:
		gr = gin[3]
	}
	n := float32(k.B * k.HW)
	if len(k.sums) != 2*k.B*k.C {
		k.sums, k.coef = make([]float32, 2*k.B*k.C), make([]float32, 3*k.C)
	}
	// With the fused ReLU, g is gy where y > 0 (else 0): both passes mask
	// gy themselves, so the masked gradient is never written out.
	plane := func(i, c int) (o int, ys []float32) {
		o = (i*k.C + c) * k.HW
		if k.ReLU {
			ys = y[o : o+k.HW]
		}
		return o, ys
	}
	k.each(k.B, func(_, i int) {
		for c := 0; c < k.C; c++ {
			o, ys := plane(i, c)
			if gr != nil { // the plane, in L1 for BNSums
				if k.ReLU {
					simd.ReLUGrad(gr[o:o+k.HW], gy[o:o+k.HW], ys)
				} else {
					copy(gr[o:o+k.HW], gy[o:o+k.HW])
				}
			}
			s, sh := simd.BNSums(nil, gy[o:o+k.HW], x[o:o+k.HW], ys, k.mu[c], k.ReLU) // per plane in float32
			k.sums[2*(i*k.C+c)], k.sums[2*(i*k.C+c)+1] = s, sh
		}
	})
	for c := 0; c < k.C; c++ {
		var sg, sgh float64
		is := k.invStd[c] // of the forward pass
		for i := 0; i < k.B; i++ {
			sg += float64(k.sums[2*(i*k.C+c)])
			sgh += float64(k.sums[2*(i*k.C+c)+1]) * float64(is) // Σ g·x̂ = Σ g·(x − μ) / σ
		}
		if gg != nil {
			gg[c] = float32(sgh)
		}
		if gb != nil {
			gb[c] = float32(sg)
		}
		scale := g[c] * is
		mg, mgh := float32(sg)/n, float32(sgh)/n
		k.coef[3*c], k.coef[3*c+1], k.coef[3*c+2] = scale, -scale*mgh*is, -scale*mg
	}
	if gx == nil {
		return
	}
	k.each(k.B, func(_, i int) {
		for c := 0; c < k.C; c++ {
			o, ys := plane(i, c)
			gs, xs, dst := gy[o:o+k.HW], x[o:o+k.HW], gx[o:o+k.HW]
			scale := k.coef[3*c]
			if k.Train { // scale·(g − mg − x̂·mgh), x̂ = (x − μ)/σ
				simd.Affine2Masked(dst, gs, xs, ys, scale, k.coef[3*c+1], k.mu[c], k.coef[3*c+2])
				continue
			}
			for j, t := range gs {
				if ys != nil && ys[j] <= 0 {
					t = 0
				}
				dst[j] = scale * t
			}
		}
	})
}
