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

// poolForward takes each window's maximum (the first, on ties, as the
// training op does) and its R-value, or the window's mean (padding counts
// as zeros unless the window excludes it), for image b.
func (s *stage) poolForward(x, xd []float32, b int) {
	g := s.win
	if s.arg != nil && g.K == 2 && g.Stride == 2 && g.Pad == 0 && g.D() == 1 {
		s.pool2x2(x, xd, b)
		return
	}
	oh, ow := g.OH(), g.OW()
	avg := s.arg == nil
	for c := 0; c < g.C; c++ {
		plane := (b*g.C + c) * g.H * g.W
		o := (b*g.C + c) * oh * ow
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				best, at := float32(math.Inf(-1)), int32(-1)
				var sum, sumD float32
				for ky := 0; ky < g.K; ky++ {
					iy := oy*g.Stride + ky*g.D() - g.Pad
					if iy < 0 || iy >= g.H {
						continue
					}
					for kx := 0; kx < g.K; kx++ {
						ix := ox*g.Stride + kx*g.D() - g.Pad
						if ix < 0 || ix >= g.W {
							continue
						}
						i := plane + iy*g.W + ix
						if avg {
							sum += x[i]
							if xd != nil {
								sumD += xd[i]
							}
						} else if x[i] > best || at < 0 {
							best, at = x[i], int32(i)
						}
					}
				}
				j := o + oy*ow + ox
				if avg {
					inv := g.AvgScale(oy, ox)
					s.y[j] = sum * inv
					if xd != nil {
						s.yd[j] = sumD * inv
					}
					continue
				}
				s.y[j], s.arg[j] = best, at
				if xd != nil {
					s.yd[j] = xd[at]
				}
			}
		}
	}
}

// pool2x2 is poolForward for the common 2×2 max pool of stride 2 without
// padding, making the general loop's choice (the window's first value,
// replaced only by a strictly greater one) without its bounds checks.
func (s *stage) pool2x2(x, xd []float32, b int) {
	g := s.win
	oh, ow := g.OH(), g.OW()
	for c := 0; c < g.C; c++ {
		plane := (b*g.C + c) * g.H * g.W
		o := (b*g.C + c) * oh * ow
		for oy := 0; oy < oh; oy++ {
			r0 := plane + 2*oy*g.W
			r1 := r0 + g.W
			ys, args := s.y[o+oy*ow:o+(oy+1)*ow], s.arg[o+oy*ow:o+(oy+1)*ow]
			for ox := range ys {
				at := int32(r0 + 2*ox)
				best := x[at]
				for _, i := range [3]int32{at + 1, int32(r1 + 2*ox), int32(r1 + 2*ox + 1)} {
					if x[i] > best {
						best, at = x[i], i
					}
				}
				ys[ox], args[ox] = best, at
			}
			if xd != nil {
				yd := s.yd[o+oy*ow : o+(oy+1)*ow]
				for ox, a := range args {
					yd[ox] = xd[a]
				}
			}
		}
	}
}

// reluPoolForward is a 2×2 max pool of stride 2 with the ReLU before it
// done after it: y = max(0, window's maximum), R{y} = R{x} at the maximum
// where y > 0, else 0, for image b.
func (s *stage) reluPoolForward(x, xd []float32, b int) {
	g := s.win
	oh, ow, hw := g.OH(), g.OW(), g.H*g.W
	for c := 0; c < g.C; c++ {
		plane := (b*g.C + c) * hw
		o := (b*g.C + c) * oh * ow
		y, arg := s.y[o:o+oh*ow], s.arg8[o:o+oh*ow]
		simd.Pool2x2Arg(y, arg, x[plane:], g.W, ow, oh, 0)
		if s.yd == nil {
			continue
		}
		yd := s.yd[o : o+oh*ow]
		for oy := 0; oy < oh; oy++ {
			r0 := plane + 2*oy*g.W
			ys, as, yds := y[oy*ow:][:ow], arg[oy*ow:][:ow], yd[oy*ow:][:ow]
			for ox, v := range ys {
				a := int(as[ox])
				d := xd[r0+2*ox+a&1+(a>>1)*g.W] // read always, kept where the window passes
				if !(v > 0) {
					d = 0
				}
				yds[ox] = d
			}
		}
	}
}

// reluPoolBackward adds each positive output's gradient and R-gradient to
// the input that was its window's maximum, for image b; with overwrite,
// it sets all of the input's gradients instead (zero where none); gx nil
// skips the gradient (a first conv reads only its R-value).
func (s *stage) reluPoolBackward(gx, rx []float32, b int, overwrite bool) {
	g := s.win
	oh, ow, hw := g.OH(), g.OW(), g.H*g.W
	for c := 0; c < g.C; c++ {
		plane := (b*g.C + c) * hw
		o := (b*g.C + c) * oh * ow
		y, arg := s.y[o:o+oh*ow], s.arg8[o:o+oh*ow]
		gy, ry := s.gy[o:o+oh*ow], s.ry[o:o+oh*ow]
		if overwrite { // the rest of the batch's buffers past the plane lets the vector kernel read whole rows
			if gx != nil {
				simd.Unpool2x2(gx[plane:plane+hw], g.W, s.gy[o:], s.y[o:], s.arg8[o:], ow, oh)
			}
			simd.Unpool2x2(rx[plane:plane+hw], g.W, s.ry[o:], s.y[o:], s.arg8[o:], ow, oh)
			continue
		}
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				j := oy*ow + ox
				if y[j] > 0 {
					a := int(arg[j])
					i := plane + (2*oy+a>>1)*g.W + 2*ox + a&1
					gx[i] += gy[j]
					rx[i] += ry[j]
				}
			}
		}
	}
}

// poolBackward adds each output's gradient and R-gradient to the input
// that was its maximum, or spreads it over its window, for image b.
func (s *stage) poolBackward(gx, rx []float32, b int) {
	if s.arg != nil {
		for j := b * s.out; j < (b+1)*s.out; j++ {
			if a := s.arg[j]; a >= 0 {
				gx[a] += s.gy[j]
				rx[a] += s.ry[j]
			}
		}
		return
	}
	g := s.win
	oh, ow := g.OH(), g.OW()
	for c := 0; c < g.C; c++ {
		plane := (b*g.C + c) * g.H * g.W
		o := (b*g.C + c) * oh * ow
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				inv := g.AvgScale(oy, ox)
				gv, rv := s.gy[o+oy*ow+ox]*inv, s.ry[o+oy*ow+ox]*inv
				for ky := 0; ky < g.K; ky++ {
					iy := oy*g.Stride + ky*g.D() - g.Pad
					if iy < 0 || iy >= g.H {
						continue
					}
					for kx := 0; kx < g.K; kx++ {
						if ix := ox*g.Stride + kx*g.D() - g.Pad; ix >= 0 && ix < g.W {
							gx[plane+iy*g.W+ix] += gv
							rx[plane+iy*g.W+ix] += rv
						}
					}
				}
			}
		}
	}
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
