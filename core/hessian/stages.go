// The layers of the R-operator pass. Each stage keeps, for a batch, its
// output's value y and R-value yd (forward), and the loss gradient with
// respect to its output gy and that gradient's R-value ry (backward).
// ReLU and Flatten work in place on the buffers of the stage before them.

package hessian

import (
	"fmt"

	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/ops"
)

type stage struct {
	kind    model.Kind
	param   int // index of the weight tensor (the bias follows), or -1
	in, out int // values per image
	// tangent: the input's R-value is not zero (a layer with parameters
	// came before). needIn: the input needs a gradient (same condition).
	tangent, needIn bool

	conv       *ops.Conv // a conv's geometry and unfolding
	dIn, dOut  int       // a dense layer's features
	c, h, w, k int       // a pool's input and window

	y, yd, gy, ry []float32
	arg           []int32     // a pool's maxima, per output value
	rw, rb        [][]float32 // per worker: this batch's R{∂L/∂W}, R{∂L/∂b}
}

// scratch is one worker's unfolding buffers.
type scratch struct{ col, colD, tmp []float32 }

// build lays out the stages and their batch buffers.
func (p *Product) build() error {
	shapes := p.Arch.Shapes()
	in := p.Arch.Input
	inShape := model.Shape{in.C, in.H, in.W}
	p.x0 = make([]float32, Batch*in.Size())
	param, seen := 0, false
	maxCol := 0
	for i, l := range p.Arch.Layers {
		s := &stage{kind: l.Kind, param: -1, in: inShape.Size(), out: shapes[i].Size(), tangent: seen, needIn: seen}
		switch l.Kind {
		case model.Conv:
			s.param, seen = param, true
			param += 2
			s.conv = ops.NewConv(1, inShape[0], inShape[1], inShape[2], l.Out, l.Kernel, l.Pad, false, true, !s.needIn)
			maxCol = max(maxCol, s.conv.Rows()*s.conv.Pixels())
		case model.Dense:
			s.param, seen = param, true
			param += 2
			s.dIn, s.dOut = s.in, l.Out
		case model.MaxPool:
			if len(inShape) != 3 {
				return fmt.Errorf("layer %d: max pooling needs a [C,H,W] input", i)
			}
			s.c, s.h, s.w, s.k = inShape[0], inShape[1], inShape[2], l.Kernel
			s.arg = make([]int32, Batch*s.out)
		case model.ReLU, model.Flatten:
		default:
			return fmt.Errorf("layer %d: no R-operator for %v", i, l.Kind)
		}
		if l.Kind == model.Flatten && i == 0 {
			s.y = p.x0 // the images themselves: no R-value, no gradient
		} else if l.Kind == model.ReLU || l.Kind == model.Flatten {
			if i == 0 {
				return fmt.Errorf("layer %d: %v cannot come first", i, l.Kind)
			}
			prev := p.stages[i-1]
			s.y, s.yd, s.gy, s.ry = prev.y, prev.yd, prev.gy, prev.ry
		} else {
			n := Batch * s.out
			s.y, s.gy = make([]float32, n), make([]float32, n)
			if s.tangent || s.param >= 0 {
				s.yd, s.ry = make([]float32, n), make([]float32, n)
			}
		}
		if s.param >= 0 {
			w, b := p.params[s.param], p.params[s.param+1]
			for range p.workers {
				s.rw = append(s.rw, make([]float32, len(w.Data)))
				s.rb = append(s.rb, make([]float32, len(b.Data)))
			}
		}
		if s.kind == model.Dense || s.kind == model.Conv {
			s.tangent = true // its output's R-value is not zero from here on
		}
		p.stages = append(p.stages, s)
		inShape = shapes[i]
	}
	if p.stages[len(p.stages)-1].out != p.Arch.Classes || p.stages[len(p.stages)-1].yd == nil {
		return fmt.Errorf("the last layer must give %d logits", p.Arch.Classes)
	}
	for range p.workers {
		p.work = append(p.work, &scratch{col: make([]float32, maxCol), colD: make([]float32, maxCol), tmp: make([]float32, maxCol)})
	}
	return nil
}

// input returns the value and R-value (nil when zero) a stage reads.
func (p *Product) input(i int) (x, xd []float32) {
	if i == 0 {
		return p.x0, nil
	}
	prev := p.stages[i-1]
	if !p.stages[i].needIn {
		return prev.y, nil
	}
	return prev.y, prev.yd
}

// forward computes every stage's value and R-value for nb images.
func (p *Product) forward(nb int) {
	for i, s := range p.stages {
		x, xd := p.input(i)
		switch s.kind {
		case model.Conv:
			p.convForward(s, x, xd, nb)
		case model.Dense:
			p.denseForward(s, x, xd, nb)
		case model.ReLU:
			// In place: R{relu(x)} = R{x} where x > 0.
			n := nb * s.out
			for j, v := range s.y[:n] {
				if v <= 0 {
					s.y[j] = 0
					if s.yd != nil {
						s.yd[j] = 0
					}
				}
			}
		case model.MaxPool:
			ops.ForEach(nb, func(_, b int) { s.poolForward(x, xd, b) })
		}
	}
}

// backward carries gy and ry from the loss down to the first layer with
// parameters, accumulating R{∂L/∂θ} in the stages' workers' buffers.
func (p *Product) backward(nb int) {
	for i := len(p.stages) - 1; i >= 0; i-- {
		s := p.stages[i]
		x, xd := p.input(i)
		var gx, rx []float32
		if s.needIn {
			gx, rx = p.stages[i-1].gy, p.stages[i-1].ry
		}
		switch s.kind {
		case model.Conv:
			p.convBackward(s, x, xd, gx, rx, nb)
		case model.Dense:
			p.denseBackward(s, x, xd, gx, rx, nb)
		case model.ReLU:
			n := nb * s.out
			for j, v := range s.y[:n] {
				if v <= 0 {
					s.gy[j], s.ry[j] = 0, 0
				}
			}
		case model.MaxPool:
			if gx != nil {
				ops.ForEach(nb, func(_, b int) { s.poolBackward(gx, rx, b) })
			}
		}
	}
}

// convForward: y = W⋆x + b, R{y} = W⋆R{x} + V⋆x + v_b, one image per
// worker at a time through im2col.
func (p *Product) convForward(s *stage, x, xd []float32, nb int) {
	w, bias := p.params[s.param].Data, p.params[s.param+1].Data
	v, vb := p.tangent[s.param].Data, p.tangent[s.param+1].Data
	cv := s.conv
	r, px, o := cv.Rows(), cv.Pixels(), p.params[s.param].Shape[0]
	ops.ForEach(nb, func(wk, b int) {
		sc := p.work[wk]
		col := sc.col[:r*px]
		cv.Unfold(x[b*s.in:(b+1)*s.in], col)
		y, yd := s.y[b*s.out:(b+1)*s.out], s.yd[b*s.out:(b+1)*s.out]
		gemm.Mul(y, px, gemm.Matrix{Data: w, Stride: r}, gemm.Matrix{Data: col, Stride: px}, o, px, r, false)
		gemm.Mul(yd, px, gemm.Matrix{Data: v, Stride: r}, gemm.Matrix{Data: col, Stride: px}, o, px, r, false)
		if xd != nil {
			colD := sc.colD[:r*px]
			cv.Unfold(xd[b*s.in:(b+1)*s.in], colD)
			gemm.Mul(yd, px, gemm.Matrix{Data: w, Stride: r}, gemm.Matrix{Data: colD, Stride: px}, o, px, r, true)
		}
		for c := 0; c < o; c++ {
			row, rowD := y[c*px:(c+1)*px], yd[c*px:(c+1)*px]
			for j := range row {
				row[j] += bias[c]
				rowD[j] += vb[c]
			}
		}
	})
}

// convBackward: R{∂L/∂W} += R{g}·colᵀ + g·R{col}ᵀ, R{∂L/∂b} += Σ R{g}, and
// when the input needs them, gx = Wᵀg and R{gx} = WᵀR{g} + Vᵀg, folded
// back onto the image.
func (p *Product) convBackward(s *stage, x, xd, gx, rx []float32, nb int) {
	w, v := p.params[s.param].Data, p.tangent[s.param].Data
	cv := s.conv
	r, px, o := cv.Rows(), cv.Pixels(), p.params[s.param].Shape[0]
	ops.ForEach(nb, func(wk, b int) {
		sc := p.work[wk]
		g, rg := s.gy[b*s.out:(b+1)*s.out], s.ry[b*s.out:(b+1)*s.out]
		colT := sc.col[:px*r]
		cv.UnfoldRows(x[b*s.in:(b+1)*s.in], colT)
		gemm.Mul(s.rw[wk], r, gemm.Matrix{Data: rg, Stride: px}, gemm.Matrix{Data: colT, Stride: r}, o, r, px, true)
		if xd != nil {
			cv.UnfoldRows(xd[b*s.in:(b+1)*s.in], colT)
			gemm.Mul(s.rw[wk], r, gemm.Matrix{Data: g, Stride: px}, gemm.Matrix{Data: colT, Stride: r}, o, r, px, true)
		}
		rb := s.rb[wk]
		for c := 0; c < o; c++ {
			sum := float32(0)
			for _, t := range rg[c*px : (c+1)*px] {
				sum += t
			}
			rb[c] += sum
		}
		if gx == nil {
			return
		}
		tmp := sc.tmp[:r*px]
		wT, vT := gemm.Matrix{Data: w, Stride: r, T: true}, gemm.Matrix{Data: v, Stride: r, T: true}
		gemm.Mul(tmp, px, wT, gemm.Matrix{Data: g, Stride: px}, r, px, o, false)
		cv.Fold(tmp, gx[b*s.in:(b+1)*s.in])
		gemm.Mul(tmp, px, wT, gemm.Matrix{Data: rg, Stride: px}, r, px, o, false)
		gemm.Mul(tmp, px, vT, gemm.Matrix{Data: g, Stride: px}, r, px, o, true)
		cv.Fold(tmp, rx[b*s.in:(b+1)*s.in])
	})
}

// denseForward: y = x·Wᵀ + b, R{y} = R{x}·Wᵀ + x·Vᵀ + v_b, over the batch.
func (p *Product) denseForward(s *stage, x, xd []float32, nb int) {
	w, bias := p.params[s.param].Data, p.params[s.param+1].Data
	v, vb := p.tangent[s.param].Data, p.tangent[s.param+1].Data
	in, out := s.dIn, s.dOut
	gemm.Parallel(s.y, out, gemm.Matrix{Data: x, Stride: in}, gemm.Matrix{Data: w, Stride: in, T: true}, nb, out, in, false)
	gemm.Parallel(s.yd, out, gemm.Matrix{Data: x, Stride: in}, gemm.Matrix{Data: v, Stride: in, T: true}, nb, out, in, false)
	if xd != nil {
		gemm.Parallel(s.yd, out, gemm.Matrix{Data: xd, Stride: in}, gemm.Matrix{Data: w, Stride: in, T: true}, nb, out, in, true)
	}
	for b := 0; b < nb; b++ {
		row, rowD := s.y[b*out:(b+1)*out], s.yd[b*out:(b+1)*out]
		for j := range row {
			row[j] += bias[j]
			rowD[j] += vb[j]
		}
	}
}

// denseBackward: R{∂L/∂W} = R{g}ᵀ·x + gᵀ·R{x}, R{∂L/∂b} = Σ R{g}, and
// gx = g·W, R{gx} = R{g}·W + g·V.
func (p *Product) denseBackward(s *stage, x, xd, gx, rx []float32, nb int) {
	w, v := p.params[s.param].Data, p.tangent[s.param].Data
	in, out := s.dIn, s.dOut
	g, rg := s.gy[:nb*out], s.ry[:nb*out]
	rw := s.rw[0]
	gemm.Parallel(rw, in, gemm.Matrix{Data: rg, Stride: out, T: true}, gemm.Matrix{Data: x, Stride: in}, out, in, nb, true)
	if xd != nil {
		gemm.Parallel(rw, in, gemm.Matrix{Data: g, Stride: out, T: true}, gemm.Matrix{Data: xd, Stride: in}, out, in, nb, true)
	}
	rb := s.rb[0]
	for b := 0; b < nb; b++ {
		for j, t := range rg[b*out : (b+1)*out] {
			rb[j] += t
		}
	}
	if gx == nil {
		return
	}
	gemm.Parallel(gx, in, gemm.Matrix{Data: g, Stride: out}, gemm.Matrix{Data: w, Stride: in}, nb, in, out, false)
	gemm.Parallel(rx, in, gemm.Matrix{Data: rg, Stride: out}, gemm.Matrix{Data: w, Stride: in}, nb, in, out, false)
	gemm.Parallel(rx, in, gemm.Matrix{Data: g, Stride: out}, gemm.Matrix{Data: v, Stride: in}, nb, in, out, true)
}

// poolForward takes each window's maximum (the first, on ties, as the
// training op does) and its R-value, for image b.
func (s *stage) poolForward(x, xd []float32, b int) {
	oh, ow := s.h/s.k, s.w/s.k
	for c := 0; c < s.c; c++ {
		plane := (b*s.c + c) * s.h * s.w
		o := (b*s.c + c) * oh * ow
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				best := plane + oy*s.k*s.w + ox*s.k
				for dy := 0; dy < s.k; dy++ {
					row := plane + (oy*s.k+dy)*s.w + ox*s.k
					for dx := 0; dx < s.k; dx++ {
						if x[row+dx] > x[best] {
							best = row + dx
						}
					}
				}
				s.y[o+oy*ow+ox] = x[best]
				s.arg[o+oy*ow+ox] = int32(best)
				if xd != nil {
					s.yd[o+oy*ow+ox] = xd[best]
				}
			}
		}
	}
}

// poolBackward routes each output's gradient and R-gradient to the input
// that was its maximum, for image b.
func (s *stage) poolBackward(gx, rx []float32, b int) {
	lo, hi := b*s.in, (b+1)*s.in
	clear(gx[lo:hi])
	clear(rx[lo:hi])
	for j := b * s.out; j < (b+1)*s.out; j++ {
		a := s.arg[j]
		gx[a] += s.gy[j]
		rx[a] += s.ry[j]
	}
}
