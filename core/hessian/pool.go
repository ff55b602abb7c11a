// The R-operator's pooling stages: max and average pooling with any
// window, the common 2×2 max pool, and that pool with the ReLU before it
// done after it (a relu pool; see stages.go for when).

package hessian

import (
	"math"

	"github.com/basin-dev/basin/core/simd"
)

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
