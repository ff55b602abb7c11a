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
// It runs for 3×3 filters on at least 8 input channels, where
// simd.HasSparseGrad; 8 channels go 8 to a kernel call, more are rounded
// up to 16 (the wide kernels' lanes) with zeros; the planes are padded.
type sparseBack struct {
	cp, xw  int         // channels rounded up to the kernels' lanes, padded row width
	pix     []int32     // window k's top-left output pixel, numbered over the padded plane
	aoff    [4]int32    // the pixel offset of each argmax
	wt      []float32   // filters, [O][9][cp]
	xt, gxt [][]float32 // per worker: the image and its gradient, channels last, padded
	dw      [][]float32 // per worker: filter gradient [O][9][cp], then bias [O]
}

func canSparseBack(f *Conv) bool {
	return simd.HasSparseGrad && f.Pool && f.K == 3 && f.C >= 8
}

func newSparseBack(f *Conv) *sparseBack {
	cp, xw := channelsFor(f.C), f.W+2*f.Pad
	s := &sparseBack{cp: cp, xw: xw, wt: make([]float32, f.O*9*cp)}
	ph, pw := f.OH()/2, f.OW()/2
	for py := 0; py < ph; py++ {
		for px := 0; px < pw; px++ {
			s.pix = append(s.pix, int32(2*py*xw+2*px))
		}
	}
	s.aoff = [4]int32{0, 1, int32(xw), int32(xw + 1)}
	planes := (f.H + 2*f.Pad) * xw * cp
	for i := 0; i < Workers; i++ {
		s.xt = append(s.xt, make([]float32, planes))
		s.gxt = append(s.gxt, make([]float32, planes))
		s.dw = append(s.dw, make([]float32, f.O*9*cp+f.O))
	}
	return s
}

// channelsFor is the channels a sparse pass lays out for c: 8 for up to
// 8 (the 8-lane kernels), else c rounded up to 16 (zeros past c).
func channelsFor(c int) int {
	if c <= 8 {
		return 8
	}
	return (c + 15) &^ 15
}

// lanes is the channels a sparse kernel call covers, for cp laid out.
func lanes(cp int) int { return min(cp, 16) }

// sparseFilterGrad and sparseInputGrad call the kernels of cp's lanes.
func sparseFilterGrad(dw, x []float32, cp int, w *simd.Windows, bsum *float32) {
	if cp == 8 {
		simd.SparseFilterGrad8(dw, x, cp, w, bsum)
		return
	}
	simd.SparseFilterGrad(dw, x, cp, w, bsum)
}

func sparseInputGrad(gx, wt []float32, cp int, w *simd.Windows) {
	if cp == 8 {
		simd.SparseInputGrad8(gx, wt, cp, w)
		return
	}
	simd.SparseInputGrad(gx, wt, cp, w)
}

// channelsLast writes image x [C,H,W] into the interior of xt: H + 2·pad
// rows of W + 2·pad pixels of cp channels each. The border and the
// channels past C are left as they are (zero).
func channelsLast(xt, x []float32, c, cp, h, w, pad int) {
	if pad == 0 {
		simd.Transpose(xt, cp, x, h*w, c, h*w)
		return
	}
	xw := w + 2*pad
	for iy := 0; iy < h; iy++ {
		simd.Transpose(xt[((iy+pad)*xw+pad)*cp:], cp, x[iy*w:], h*w, c, w)
	}
}

// channelsFirst is channelsLast's inverse: xt's interior into x [C,H,W].
func channelsFirst(x, xt []float32, c, cp, h, w, pad int) {
	if pad == 0 {
		simd.Transpose(x, h*w, xt, cp, h*w, c)
		return
	}
	xw := w + 2*pad
	for iy := 0; iy < h; iy++ {
		simd.Transpose(x[iy*w:], h*w, xt[((iy+pad)*xw+pad)*cp:], cp, w, c)
	}
}

// run computes gw, gb and (unless the layer is first) gx from x, the
// filters w, the pooled output y, its argmax and gradient gy.
func (s *sparseBack) run(f *Conv, x, w, y, gy []float32, gx, gw, gb []float32) {
	c, cp, hw, per := f.C, s.cp, f.H*f.W, len(s.pix)
	for o := 0; o < f.O; o++ {
		for ci := 0; ci < c; ci++ {
			for t := 0; t < 9; t++ {
				s.wt[(o*9+t)*cp+ci] = w[(o*c+ci)*9+t]
			}
		}
	}
	for _, d := range s.dw {
		clear(d)
	}
	out, in := f.O*per, c*hw
	forEach(f.B, func(wk, i int) {
		xt, dw := s.xt[wk], s.dw[wk]
		bias := dw[f.O*9*cp:]
		channelsLast(xt, x[i*in:(i+1)*in], c, cp, f.H, f.W, f.Pad)
		var spare float32
		win := simd.Windows{AOff: &s.aoff, XW: s.xw, Pix: s.pix}
		for o := 0; o < f.O; o++ {
			k := i*out + o*per
			win.GY, win.Y, win.Arg = gy[k:k+per], y[k:k+per], f.arg[k:k+per]
			for cb := 0; cb < cp; cb += lanes(cp) {
				bs := &bias[o]
				if cb > 0 {
					bs = &spare
				}
				sparseFilterGrad(dw[o*9*cp+cb:], xt[cb:], cp, &win, bs)
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
			for cb := 0; cb < cp; cb += lanes(cp) {
				sparseInputGrad(gxt[cb:], s.wt[o*9*cp+cb:], cp, &win)
			}
		}
		channelsFirst(gx[i*in:(i+1)*in], gxt, c, cp, f.H, f.W, f.Pad)
	})
	clear(gw)
	clear(gb)
	for _, d := range s.dw {
		for o := 0; o < f.O; o++ {
			for t := 0; t < 9; t++ {
				for ci := 0; ci < c; ci++ {
					gw[(o*c+ci)*9+t] += d[(o*9+t)*cp+ci]
				}
			}
			gb[o] += d[f.O*9*cp+o]
		}
	}
}
