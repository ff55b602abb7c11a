package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool takes the maximum over non-overlapping K×K windows (stride K, no
// padding; a ragged edge is dropped, as PyTorch's floor mode does).
// Input [B,C,H,W], output [B,C,H/K,W/K].
type MaxPool struct {
	base
	B, C, H, W, K int
	out           buffer
	arg           []int32 // per output value: the input index of its maximum
}

// NewMaxPool returns the op.
func NewMaxPool(b, c, h, w, k int) *MaxPool { return &MaxPool{B: b, C: c, H: h, W: w, K: k} }

func (op *MaxPool) oh() int { return op.H / op.K }
func (op *MaxPool) ow() int { return op.W / op.K }

func (op *MaxPool) Arity() int    { return 1 }
func (op *MaxPool) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *MaxPool) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.B, op.C, op.oh(), op.ow()}, nil
}
func (op *MaxPool) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *MaxPool) Hashcode() uint32      { return hashOf(op) }
func (op *MaxPool) String() string {
	return fmt.Sprintf("MaxPool{%dx%dx%dx%d k%d}(%p)", op.B, op.C, op.H, op.W, op.K, op)
}

// Do computes the forward pass and remembers where each maximum was.
func (op *MaxPool) Do(inputs ...G.Value) (G.Value, error) {
	x, err := f32(inputs[0])
	if err != nil {
		return nil, err
	}
	if len(x) != op.B*op.C*op.H*op.W {
		return nil, fmt.Errorf("%v: input of %d values", op, len(x))
	}
	t, y := op.out.get(op.B, op.C, op.oh(), op.ow())
	if op.arg == nil {
		op.arg = make([]int32, len(y))
	}
	oh, ow, k := op.oh(), op.ow(), op.K
	if k == 2 {
		op.each(op.B, func(_, b int) { op.pool2(x, y, b) })
		return t, nil
	}
	op.each(op.B, func(_, b int) {
		for c := 0; c < op.C; c++ {
			plane := (b*op.C + c) * op.H * op.W
			o := (b*op.C + c) * oh * ow
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					best := plane + oy*k*op.W + ox*k
					for dy := 0; dy < k; dy++ {
						row := plane + (oy*k+dy)*op.W + ox*k
						for dx := 0; dx < k; dx++ {
							if x[row+dx] > x[best] {
								best = row + dx
							}
						}
					}
					y[o+oy*ow+ox] = x[best]
					op.arg[o+oy*ow+ox] = int32(best)
				}
			}
		}
	})
	return t, nil
}

// pool2 is the 2×2 case of Do for image b, two input rows at a time.
func (op *MaxPool) pool2(x, y []float32, b int) {
	oh, ow := op.oh(), op.ow()
	for c := 0; c < op.C; c++ {
		plane := (b*op.C + c) * op.H * op.W
		o := (b*op.C + c) * oh * ow
		for oy := 0; oy < oh; oy++ {
			i0 := plane + 2*oy*op.W
			r0, r1 := x[i0:i0+2*ow], x[i0+op.W:i0+op.W+2*ow]
			dst, arg := y[o+oy*ow:o+(oy+1)*ow], op.arg[o+oy*ow:o+(oy+1)*ow]
			for ox := range dst {
				best, at := r0[2*ox], i0+2*ox
				if v := r0[2*ox+1]; v > best {
					best, at = v, i0+2*ox+1
				}
				if v := r1[2*ox]; v > best {
					best, at = v, i0+op.W+2*ox
				}
				if v := r1[2*ox+1]; v > best {
					best, at = v, i0+op.W+2*ox+1
				}
				dst[ox], arg[ox] = best, int32(at)
			}
		}
	}
}

func (op *MaxPool) DiffWRT(int) []bool { return []bool{true} }

// SymDiff routes each output's gradient to the input that was its maximum.
func (op *MaxPool) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gx, err := G.ApplyOp(&MaxPoolBack{fwd: op}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{gx}, nil
}

// MaxPoolBack scatters the output gradient onto the maxima.
type MaxPoolBack struct {
	base
	fwd *MaxPool
	gx  buffer
}

func (op *MaxPoolBack) Arity() int    { return 1 }
func (op *MaxPoolBack) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *MaxPoolBack) InferShape(...G.DimSizer) (tensor.Shape, error) {
	f := op.fwd
	return tensor.Shape{f.B, f.C, f.H, f.W}, nil
}
func (op *MaxPoolBack) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *MaxPoolBack) Hashcode() uint32      { return hashOf(op) }
func (op *MaxPoolBack) String() string        { return fmt.Sprintf("MaxPoolBack(%p)", op) }

// Do takes gy and returns gx.
func (op *MaxPoolBack) Do(inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	gy, err := f32(inputs[0])
	if err != nil {
		return nil, err
	}
	t, gx := op.gx.get(f.B, f.C, f.H, f.W)
	clear(gx)
	for i, v := range gy {
		gx[f.arg[i]] += v
	}
	return t, nil
}
