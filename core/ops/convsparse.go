package ops

import "github.com/basin-dev/basin/core/simd"

// The backward pass of a pooled convolution, sparse. Max pooling passes
// each window's gradient to one pixel only, and ReLU none at all where
// the pooled output was not positive: at most a quarter of the
// convolution's output gradient is nonzero, often an eighth. So instead
// of the dense products (filter gradient gz·unfold(x)ᵀ, input gradient a
// full convolution of gz), each live window adds its gradient times the
// 3×3×C input patch to the filter gradient, and times the filters to the
// input gradient's patch (simd.SparseFilterGrad, SparseInputGrad), with
// the channels last so a patch row is a few vectors. The input is
// transposed to channels-last per image and the input gradient back.
// It runs for 3×3 filters without padding on multiples of 16 input
// channels, where simd.HasSparseGrad.
type sparseBack struct {
	pix     []int32     // window k's top-left output pixel, numbered over the input plane
	aoff    [4]int32    // the pixel offset of each argmax
	wt      []float32   // filters, [O][9][C]
	xt, gxt [][]float32 // per worker: the image and its gradient, channels last
	dw      [][]float32 // per worker: filter gradient [O][9][C], then bias [O]
}

func canSparseBack(f *Conv) bool {
	return simd.HasSparseGrad && f.Pool && f.K == 3 && f.Pad == 0 && f.C%16 == 0
}

func newSparseBack(f *Conv) *sparseBack {
	s := &sparseBack{wt: make([]float32, f.O*9*f.C)}
	ph, pw := f.OH()/2, f.OW()/2
	for py := 0; py < ph; py++ {
		for px := 0; px < pw; px++ {
			s.pix = append(s.pix, int32(2*py*f.W+2*px))
		}
	}
	s.aoff = [4]int32{0, 1, int32(f.W), int32(f.W + 1)}
	hw := f.H * f.W
	for i := 0; i < Workers; i++ {
		s.xt = append(s.xt, make([]float32, hw*f.C))
		s.gxt = append(s.gxt, make([]float32, hw*f.C))
		s.dw = append(s.dw, make([]float32, f.O*9*f.C+f.O))
	}
	return s
}

// run computes gw, gb and (unless the layer is first) gx from x, the
// filters w, the pooled output y, its argmax and gradient gy.
func (s *sparseBack) run(f *Conv, x, w, y, gy []float32, gx, gw, gb []float32) {
	c, hw, per := f.C, f.H*f.W, len(s.pix)
	for o := 0; o < f.O; o++ {
		for ci := 0; ci < c; ci++ {
			for t := 0; t < 9; t++ {
				s.wt[(o*9+t)*c+ci] = w[(o*c+ci)*9+t]
			}
		}
	}
	for _, d := range s.dw {
		clear(d)
	}
	out, in := f.O*per, c*hw
	forEach(f.B, func(wk, i int) {
		xt, dw := s.xt[wk], s.dw[wk]
		bias := dw[f.O*9*c:]
		simd.Transpose(xt, c, x[i*in:(i+1)*in], hw, c, hw)
		var spare float32
		win := simd.Windows{AOff: &s.aoff, XW: f.W, Pix: s.pix}
		for o := 0; o < f.O; o++ {
			k := i*out + o*per
			win.GY, win.Y, win.Arg = gy[k:k+per], y[k:k+per], f.arg[k:k+per]
			for cb := 0; cb < c; cb += 16 {
				bs := &bias[o]
				if cb > 0 {
					bs = &spare
				}
				simd.SparseFilterGrad(dw[o*9*c+cb:], xt[cb:], c, &win, bs)
			}
		}
		if f.First {
			return
		}
		gxt := s.gxt[wk]
		clear(gxt)
		for o := 0; o < f.O; o++ {
			k := i*out + o*per
			win.GY, win.Y, win.Arg = gy[k:k+per], y[k:k+per], f.arg[k:k+per]
			for cb := 0; cb < c; cb += 16 {
				simd.SparseInputGrad(gxt[cb:], s.wt[o*9*c+cb:], c, &win)
			}
		}
		simd.Transpose(gx[i*in:(i+1)*in], hw, gxt, c, hw, c)
	})
	clear(gw)
	clear(gb)
	for _, d := range s.dw {
		for o := 0; o < f.O; o++ {
			for t := 0; t < 9; t++ {
				for ci := 0; ci < c; ci++ {
					gw[(o*c+ci)*9+t] += d[(o*9+t)*c+ci]
				}
			}
			gb[o] += d[f.O*9*c+o]
		}
	}
}
