package ops

import (
	"math"

	"github.com/basin-dev/basin/core/simd"
)

// sparseTangent is Tangent's backward pass when the output's gradient is
// mostly zero (a conv before ReLU and max pooling: at most a quarter of
// its pixels get one): each live output pixel adds its gradient times
// its 3×3 input patch to the filter gradient, and times the filters to
// the input gradient's patch, as training's pooled backward pass does
// (convsparse.go), on the same kernels: the live pixels are given to
// them as windows of one pixel each. Images are transposed to channels
// last, padded, their channels laid out 8 or a multiple of 16 wide (channelsFor).
type sparseTangent struct {
	cp, xw  int       // channels as laid out (channelsFor), padded row width
	wt, vt  []float32 // W and V as [O][9][cp]
	one     []float32 // a live pixel's window output (positive: it passes)
	zero    [4]int32  // a live pixel's offsets (its window is itself)
	windows []int32   // 2×2 pooling windows' top-left pixels (with even OH, OW)
	aoff    [4]int32  // and the offset of each argmax
	work    []*sparseWork
}

// sparseWork is one worker's buffers.
type sparseWork struct {
	xt, xdt, gxt, rxt []float32 // padded planes, channels last
	plain             []float32 // one image [C,H,W], transposed back
	dw                []float32 // filter gradient [O][9][cp]
	pix               []int32   // live pixels of one output channel
	g, r              []float32 // their gradient and its derivative
	arg               []uint8
}

// denseShare: above this share of live output pixels the dense passes
// are faster.
const denseShare = 0.3

func newSparseTangent(t *Tangent) *sparseTangent {
	s := &sparseTangent{cp: channelsFor(t.C), xw: t.W + 2*t.Pad}
	s.wt, s.vt = make([]float32, t.O*9*s.cp), make([]float32, t.O*9*s.cp)
	px := t.OH() * t.OW()
	s.one = make([]float32, px)
	for i := range s.one {
		s.one[i] = 1
	}
	for py := 0; py < t.OH()/2; py++ {
		for px := 0; px < t.OW()/2; px++ {
			s.windows = append(s.windows, int32(2*py*s.xw+2*px))
		}
	}
	s.aoff = [4]int32{0, 1, int32(s.xw), int32(s.xw + 1)}
	planes := (t.H+2*t.Pad)*s.xw*s.cp + 16
	for i := 0; i < Workers; i++ {
		s.work = append(s.work, &sparseWork{
			xt: make([]float32, planes), xdt: make([]float32, planes),
			gxt: make([]float32, planes), rxt: make([]float32, planes),
			plain: make([]float32, t.C*t.H*t.W), dw: make([]float32, t.O*9*s.cp),
			pix: make([]int32, px), g: make([]float32, px), r: make([]float32, px), arg: make([]uint8, px),
		})
	}
	return s
}

// lastChannels writes w [O,C,3,3] as [O][9][cp] (zeros past C).
func (s *sparseTangent) lastChannels(t *Tangent, w, dst []float32) {
	for o := 0; o < t.O; o++ {
		for c := 0; c < t.C; c++ {
			for k := 0; k < 9; k++ {
				dst[(o*9+k)*s.cp+c] = w[(o*t.C+c)*9+k]
			}
		}
	}
}

// unpad adds xt's interior, channels last, to image x [C,H,W].
func (s *sparseTangent) unpad(t *Tangent, xt, x, plain []float32) {
	channelsFirst(plain, xt, t.C, s.cp, t.H, t.W, t.Pad)
	simd.Add(x, x, plain)
}

// backward is Tangent.Backward on the live pixels only, listed from g and
// ġ.
func (s *sparseTangent) backward(t *Tangent, x, xd, g, rg, gx, rx []float32, nb int, acc [][]float32) {
	oh, ow := t.OH(), t.OW()
	px := oh * ow
	out := t.O * px
	s.run(t, x, xd, gx, rx, nb, acc, nil, func(w *sparseWork, i, o int) (gwin, rwin simd.Windows) {
		gO, ro := g[i*out+o*px:][:px], rg[i*out+o*px:][:px]
		n := 0 // the live pixels, listed without a branch on their values
		pix, gs, rs := w.pix[:px], w.g[:px], w.r[:px]
		for oy := 0; oy < oh; oy++ {
			row, rrow := gO[oy*ow:][:ow], ro[oy*ow:][:ow]
			at := int32(oy * s.xw)
			for ox, gv := range row {
				rv := rrow[ox]
				pix[n], gs[n], rs[n] = at+int32(ox), gv, rv
				nz := (math.Float32bits(gv) | math.Float32bits(rv)) << 1 // ±0 → 0
				n += int((nz | -nz) >> 31)
			}
		}
		win := simd.Windows{AOff: &s.zero, XW: s.xw, Pix: pix[:n], Y: s.one[:n], Arg: w.arg[:n]}
		gwin, rwin = win, win
		gwin.GY, rwin.GY = gs[:n], rs[:n]
		return gwin, rwin
	})
}

// backwardPooled is Tangent.BackwardPooled: the pooling windows are the
// kernels' windows as they are.
func (s *sparseTangent) backwardPooled(t *Tangent, x, xd, y []float32, arg []uint8, g, rg, gx, rx []float32, nb int, acc, bias [][]float32) {
	per := len(s.windows)
	out := t.O * per
	s.run(t, x, xd, gx, rx, nb, acc, bias, func(w *sparseWork, i, o int) (gwin, rwin simd.Windows) {
		k := i*out + o*per
		win := simd.Windows{AOff: &s.aoff, XW: s.xw, Pix: s.windows, Y: y[k : k+per], Arg: arg[k : k+per]}
		gwin, rwin = win, win
		gwin.GY, rwin.GY = g[k:k+per], rg[k:k+per]
		return gwin, rwin
	})
}

// run is the sparse backward pass of nb images, on the windows (of the
// output's gradient and of its derivative) that live gives per image i
// and output channel o; bias, when not nil, gets Σ ġ per worker.
func (s *sparseTangent) run(t *Tangent, x, xd, gx, rx []float32, nb int, acc, bias [][]float32, live func(w *sparseWork, i, o int) (gwin, rwin simd.Windows)) {
	in, cp := t.C*t.H*t.W, s.cp
	forEach(nb, func(wk, i int) {
		w := s.work[wk]
		channelsLast(w.xt, x[i*in:(i+1)*in], t.C, cp, t.H, t.W, t.Pad)
		if xd != nil {
			channelsLast(w.xdt, xd[i*in:(i+1)*in], t.C, cp, t.H, t.W, t.Pad)
		}
		if t.input {
			clear(w.gxt)
			clear(w.rxt)
		}
		var spare float32
		for o := 0; o < t.O; o++ {
			gwin, rwin := live(w, i, o)
			if len(gwin.Pix) == 0 {
				continue
			}
			bsum := &spare
			if bias != nil {
				bsum = &bias[wk][o]
			}
			for cb := 0; cb < cp; cb += lanes(cp) {
				dw := w.dw[o*9*cp+cb:]
				sparseFilterGrad(dw, w.xt[cb:], cp, &rwin, bsum)
				bsum = &spare
				if xd != nil {
					sparseFilterGrad(dw, w.xdt[cb:], cp, &gwin, &spare)
				}
				if t.input {
					wt, vt := s.wt[o*9*cp+cb:], s.vt[o*9*cp+cb:]
					sparseInputGrad(w.gxt[cb:], wt, cp, &gwin)
					sparseInputGrad(w.rxt[cb:], wt, cp, &rwin)
					sparseInputGrad(w.rxt[cb:], vt, cp, &gwin)
				}
			}
		}
		if t.input {
			s.unpad(t, w.gxt, gx[i*in:(i+1)*in], w.plain)
			s.unpad(t, w.rxt, rx[i*in:(i+1)*in], w.plain)
		}
	})
	for wk, w := range s.work {
		a := acc[wk]
		for o := 0; o < t.O; o++ {
			for c := 0; c < t.C; c++ {
				for k := 0; k < 9; k++ {
					a[(o*t.C+c)*9+k] += w.dw[(o*9+k)*cp+c]
				}
			}
		}
		clear(w.dw)
	}
}
