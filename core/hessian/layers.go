package hessian

import (
	"math"

	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/ops"
	"github.com/basin-dev/basin/core/simd"
)

// weights returns a layer's weight and bias values and their tangents
// (nil bias for a layer without one).
func (p *Product) weights(s *stage) (w, v, bias, vb []float32) {
	w, v = p.params[s.tensors[0]].Data, p.tangent[s.tensors[0]].Data
	if len(s.tensors) > 1 {
		bias, vb = p.params[s.tensors[1]].Data, p.tangent[s.tensors[1]].Data
	}
	return w, v, bias, vb
}

// convForward: y = W⋆x + b, R{y} = W⋆R{x} + V⋆x + v_b, one image per
// worker at a time through im2col.
func (p *Product) convForward(s *stage, x, xd []float32, nb int, known bool) {
	if s.fast != nil && s.pool != nil {
		s.fast.ForwardPooled(x, xd, s.pool.y, s.pool.yd, s.pool.arg8, nb, known)
		return
	}
	if s.fast != nil {
		s.fast.Forward(x, xd, s.y, s.yd, nb, known)
		return
	}
	w, v, bias, vb := p.weights(s)
	cv := s.conv
	r, px, o := cv.Rows(), cv.Pixels(), s.layer.Out
	ops.ForEach(nb, func(wk, b int) {
		sc := p.work[wk]
		col := sc.col[:r*px]
		cv.Unfold(x[b*s.in:(b+1)*s.in], col)
		y, yd := s.y[b*s.out:(b+1)*s.out], s.yd[b*s.out:(b+1)*s.out]
		if !known {
			gemm.Mul(y, px, gemm.Matrix{Data: w, Stride: r}, gemm.Matrix{Data: col, Stride: px}, o, px, r, false)
		}
		gemm.Mul(yd, px, gemm.Matrix{Data: v, Stride: r}, gemm.Matrix{Data: col, Stride: px}, o, px, r, false)
		if xd != nil {
			colD := sc.colD[:r*px]
			cv.Unfold(xd[b*s.in:(b+1)*s.in], colD)
			gemm.Mul(yd, px, gemm.Matrix{Data: w, Stride: r}, gemm.Matrix{Data: colD, Stride: px}, o, px, r, true)
		}
		if bias == nil {
			return
		}
		for c := 0; c < o; c++ {
			row, rowD := y[c*px:(c+1)*px], yd[c*px:(c+1)*px]
			for j := range row {
				if !known {
					row[j] += bias[c]
				}
				rowD[j] += vb[c]
			}
		}
	})
}

// convBackward: R{∂L/∂W} += R{g}·colᵀ + g·R{col}ᵀ, R{∂L/∂b} += Σ R{g}, and
// when the input needs them, gx += Wᵀg and R{gx} += WᵀR{g} + Vᵀg, folded
// back onto the image.
func (p *Product) convBackward(s *stage, x, xd, gx, rx []float32, nb int) {
	if t := s.fast; t != nil && s.pool != nil {
		var bias [][]float32
		if len(s.tensors) > 1 {
			bias = s.acc[1]
		}
		t.BackwardPooled(x, xd, s.pool.y, s.pool.arg8, s.pool.gy, s.pool.ry, gx, rx, nb, s.acc[0], bias)
		return
	}
	if t := s.fast; t != nil {
		t.Backward(x, xd, s.gy, s.ry, gx, rx, nb, s.acc[0])
		if len(s.tensors) > 1 {
			ops.ForEach(nb, func(wk, b int) { s.biasGrad(b, s.acc[1][wk]) })
		}
		return
	}
	w, v, bias, _ := p.weights(s)
	cv := s.conv
	r, px, o := cv.Rows(), cv.Pixels(), s.layer.Out
	ops.ForEach(nb, func(wk, b int) {
		sc := p.work[wk]
		g, rg := s.gy[b*s.out:(b+1)*s.out], s.ry[b*s.out:(b+1)*s.out]
		colT := sc.col[:px*r]
		cv.UnfoldRows(x[b*s.in:(b+1)*s.in], colT)
		rw := s.acc[0][wk]
		gemm.Mul(rw, r, gemm.Matrix{Data: rg, Stride: px}, gemm.Matrix{Data: colT, Stride: r}, o, r, px, true)
		if xd != nil {
			cv.UnfoldRows(xd[b*s.in:(b+1)*s.in], colT)
			gemm.Mul(rw, r, gemm.Matrix{Data: g, Stride: px}, gemm.Matrix{Data: colT, Stride: r}, o, r, px, true)
		}
		if bias != nil {
			s.biasGrad(b, s.acc[1][wk])
		}
		if gx == nil {
			return
		}
		tmp, fold := sc.tmp[:r*px], sc.fold[:s.in]
		wT, vT := gemm.Matrix{Data: w, Stride: r, T: true}, gemm.Matrix{Data: v, Stride: r, T: true}
		gemm.Mul(tmp, px, wT, gemm.Matrix{Data: g, Stride: px}, r, px, o, false)
		cv.Fold(tmp, fold)
		addTo(gx[b*s.in:(b+1)*s.in], fold)
		gemm.Mul(tmp, px, wT, gemm.Matrix{Data: rg, Stride: px}, r, px, o, false)
		gemm.Mul(tmp, px, vT, gemm.Matrix{Data: g, Stride: px}, r, px, o, true)
		cv.Fold(tmp, fold)
		addTo(rx[b*s.in:(b+1)*s.in], fold)
	})
}

// biasGrad adds image b's R{∂L/∂b} = Σ R{g} per output channel to rb.
func (s *stage) biasGrad(b int, rb []float32) {
	o := s.layer.Out
	px := s.out / o
	rg := s.ry[b*s.out : (b+1)*s.out]
	for c := 0; c < o; c++ {
		rb[c] += simd.Sum(rg[c*px : (c+1)*px])
	}
}

// denseForward: y = x·Wᵀ + b, R{y} = R{x}·Wᵀ + x·Vᵀ + v_b, over the batch.
func (p *Product) denseForward(s *stage, x, xd []float32, nb int, known bool) {
	w, v, bias, vb := p.weights(s)
	in, out := s.dIn, s.dOut
	if !known {
		gemm.Parallel(s.y, out, gemm.Matrix{Data: x, Stride: in}, gemm.Matrix{Data: w, Stride: in, T: true}, nb, out, in, false)
	}
	gemm.Parallel(s.yd, out, gemm.Matrix{Data: x, Stride: in}, gemm.Matrix{Data: v, Stride: in, T: true}, nb, out, in, false)
	if xd != nil {
		gemm.Parallel(s.yd, out, gemm.Matrix{Data: xd, Stride: in}, gemm.Matrix{Data: w, Stride: in, T: true}, nb, out, in, true)
	}
	if bias == nil {
		return
	}
	for b := 0; b < nb; b++ {
		row, rowD := s.y[b*out:(b+1)*out], s.yd[b*out:(b+1)*out]
		for j := range row {
			if !known {
				row[j] += bias[j]
			}
			rowD[j] += vb[j]
		}
	}
}

// denseBackward: R{∂L/∂W} = R{g}ᵀ·x + gᵀ·R{x}, R{∂L/∂b} = Σ R{g}, and
// gx += g·W, R{gx} += R{g}·W + g·V.
func (p *Product) denseBackward(s *stage, x, xd, gx, rx []float32, nb int) {
	w, v, bias, _ := p.weights(s)
	in, out := s.dIn, s.dOut
	g, rg := s.gy[:nb*out], s.ry[:nb*out]
	rw := s.acc[0][0]
	gemm.Parallel(rw, in, gemm.Matrix{Data: rg, Stride: out, T: true}, gemm.Matrix{Data: x, Stride: in}, out, in, nb, true)
	if xd != nil {
		gemm.Parallel(rw, in, gemm.Matrix{Data: g, Stride: out, T: true}, gemm.Matrix{Data: xd, Stride: in}, out, in, nb, true)
	}
	if bias != nil {
		rb := s.acc[1][0]
		for b := 0; b < nb; b++ {
			for j, t := range rg[b*out : (b+1)*out] {
				rb[j] += t
			}
		}
	}
	if gx == nil {
		return
	}
	gemm.Parallel(gx, in, gemm.Matrix{Data: g, Stride: out}, gemm.Matrix{Data: w, Stride: in}, nb, in, out, true)
	gemm.Parallel(rx, in, gemm.Matrix{Data: rg, Stride: out}, gemm.Matrix{Data: w, Stride: in}, nb, in, out, true)
	gemm.Parallel(rx, in, gemm.Matrix{Data: g, Stride: out}, gemm.Matrix{Data: v, Stride: in}, nb, in, out, true)
}

// norm returns batch norm's γ, β, their tangents, and per channel the
// running mean and 1/σ.
func (p *Product) norm(s *stage) (gamma, vg, vb, mean []float32, inv []float64) {
	gamma, vg = p.params[s.tensors[0]].Data, p.tangent[s.tensors[0]].Data
	vb = p.tangent[s.tensors[1]].Data
	mean, variance := p.params[s.stats].Data, p.params[s.stats+1].Data
	inv = make([]float64, s.c)
	for c := range inv {
		inv[c] = 1 / math.Sqrt(float64(variance[c])+s.layer.BNEps())
	}
	return gamma, vg, vb, mean, inv
}

// normForward: y = γ·x̂ + β with x̂ = (x − μ)/σ by the running statistics,
// R{y} = γ·R{x}/σ + v_γ·x̂ + v_β.
func (p *Product) normForward(s *stage, x, xd []float32, nb int) {
	gamma, vg, vb, mean, inv := p.norm(s)
	beta := p.params[s.tensors[1]].Data
	for b := 0; b < nb; b++ {
		for c := 0; c < s.c; c++ {
			o := (b*s.c + c) * s.hw
			is := float32(inv[c])
			for j := o; j < o+s.hw; j++ {
				h := (x[j] - mean[c]) * is
				s.y[j] = gamma[c]*h + beta[c]
				d := vg[c]*h + vb[c]
				if xd != nil {
					d += gamma[c] * xd[j] * is
				}
				s.yd[j] = d
			}
		}
	}
}

// normBackward: R{∂L/∂γ} += Σ R{g}·x̂ + g·R{x}/σ, R{∂L/∂β} += Σ R{g},
// gx += γ·g/σ, R{gx} += (γ·R{g} + v_γ·g)/σ.
func (p *Product) normBackward(s *stage, x, xd, gx, rx []float32, nb int) {
	gamma, vg, _, mean, inv := p.norm(s)
	rg, rb := s.acc[0][0], s.acc[1][0]
	for b := 0; b < nb; b++ {
		for c := 0; c < s.c; c++ {
			o := (b*s.c + c) * s.hw
			is := float32(inv[c])
			var sg, sb float32
			for j := o; j < o+s.hw; j++ {
				g, r := s.gy[j], s.ry[j]
				sg += r * (x[j] - mean[c]) * is
				if xd != nil {
					sg += g * xd[j] * is
				}
				sb += r
				if gx != nil {
					gx[j] += gamma[c] * g * is
					rx[j] += (gamma[c]*r + vg[c]*g) * is
				}
			}
			rg[c] += sg
			rb[c] += sb
		}
	}
}

// globalForward averages each plane: y = mean(x), R{y} = mean(R{x}).
func (s *stage) globalForward(x, xd []float32, nb int) {
	inv := 1 / float32(s.hw)
	for j := 0; j < nb*s.c; j++ {
		var sum, sumD float32
		for i := j * s.hw; i < (j+1)*s.hw; i++ {
			sum += x[i]
			if xd != nil {
				sumD += xd[i]
			}
		}
		s.y[j] = sum * inv
		if s.yd != nil {
			s.yd[j] = sumD * inv
		}
	}
}

// globalBackward spreads each gradient evenly over its plane.
func (s *stage) globalBackward(gx, rx []float32, nb int) {
	inv := 1 / float32(s.hw)
	for j := 0; j < nb*s.c; j++ {
		g, r := s.gy[j]*inv, s.ry[j]*inv
		for i := j * s.hw; i < (j+1)*s.hw; i++ {
			gx[i] += g
			rx[i] += r
		}
	}
}
