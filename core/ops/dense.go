package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/gemm"
)

// Dense is a fully connected layer, y = relu(x·wᵀ + b) (ReLU optional),
// with w in PyTorch's [out, in] layout. x may have any shape whose first
// dimension is the batch (a conv output is flattened in NCHW order, as
// torch.flatten does). Output [B, O].
type Dense struct {
	base
	B, I, O int
	InDims  int // dimensions of x
	ReLU    bool
	First   bool // the input needs no gradient

	out buffer
}

// NewDense returns the op for a batch of b inputs of i features.
func NewDense(b, i, o, inDims int, relu, first bool) *Dense {
	return &Dense{B: b, I: i, O: o, InDims: inDims, ReLU: relu, First: first}
}

func (op *Dense) Arity() int    { return 3 }
func (op *Dense) Type() hm.Type { return hm.NewFnType(tt(op.InDims), tt(2), tt(1), tt(2)) }
func (op *Dense) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.B, op.O}, nil
}
func (op *Dense) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *Dense) Hashcode() uint32      { return hashOf(op) }
func (op *Dense) String() string {
	return fmt.Sprintf("Dense{%dx%d→%d relu=%v}(%p)", op.B, op.I, op.O, op.ReLU, op)
}

// Do computes the forward pass.
func (op *Dense) Do(inputs ...G.Value) (G.Value, error) {
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	x, w, b := vals[0], vals[1], vals[2]
	if len(x) != op.B*op.I || len(w) != op.O*op.I || len(b) != op.O {
		return nil, fmt.Errorf("%v: inputs of %d, %d, %d values", op, len(x), len(w), len(b))
	}
	t, y := op.out.get(op.B, op.O)
	mul := gemm.Parallel
	if op.par() == 1 {
		mul = gemm.Mul
	}
	mul(y, op.O, gemm.Matrix{Data: x, Stride: op.I}, gemm.Matrix{Data: w, Stride: op.I, T: true}, op.B, op.O, op.I, false)
	for r := 0; r < op.B; r++ {
		row := y[r*op.O : (r+1)*op.O]
		for j, bj := range b {
			v := row[j] + bj
			if op.ReLU {
				v = max(v, 0)
			}
			row[j] = v
		}
	}
	return t, nil
}

func (op *Dense) DiffWRT(int) []bool { return []bool{!op.First, true, true} }

// SymDiff adds the backward node and Picks for the weight and bias
// gradients.
func (op *Dense) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	back := &DenseBack{fwd: op, xShape: inputs[0].Shape().Clone()}
	return layerGrads("dense", back, func() *tensor.Dense { return back.gw.t }, func() *tensor.Dense { return back.gb.t }, inputs, grad)
}

// DenseBack computes a Dense layer's gradients: it returns the input's and
// keeps the weights' and bias's.
type DenseBack struct {
	base
	fwd        *Dense
	xShape     tensor.Shape
	gx, gw, gb buffer
	gz         []float32
}

func (op *DenseBack) Arity() int { return 3 }
func (op *DenseBack) Type() hm.Type {
	return hm.NewFnType(tt(op.fwd.InDims), tt(2), tt(2), tt(op.fwd.InDims))
}
func (op *DenseBack) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.xShape.Clone(), nil }
func (op *DenseBack) WriteHash(h hash.Hash)                          { writeHash(h, op) }
func (op *DenseBack) Hashcode() uint32                               { return hashOf(op) }
func (op *DenseBack) String() string                                 { return fmt.Sprintf("DenseBack(%p)", op) }

// Do takes (x, w, gy) and returns gx.
func (op *DenseBack) Do(inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	x, w, gy := vals[0], vals[1], vals[2]
	_, y := f.out.get(f.B, f.O)
	if op.gz == nil {
		op.gz = make([]float32, f.B*f.O)
	}
	gz := op.gz
	copy(gz, gy)
	if f.ReLU {
		for j, v := range y {
			if v <= 0 {
				gz[j] = 0
			}
		}
	}
	_, gw := op.gw.get(f.O, f.I)
	_, gb := op.gb.get(f.O)
	// gw = gzᵀ·x, gb = column sums of gz, gx = gz·w.
	gemm.Parallel(gw, f.I, gemm.Matrix{Data: gz, Stride: f.O, T: true}, gemm.Matrix{Data: x, Stride: f.I}, f.O, f.I, f.B, false)
	clear(gb)
	for r := 0; r < f.B; r++ {
		for j, v := range gz[r*f.O : (r+1)*f.O] {
			gb[j] += v
		}
	}
	gxT, gx := op.gx.get(op.xShape...)
	if !f.First {
		gemm.Parallel(gx, f.I, gemm.Matrix{Data: gz, Stride: f.O}, gemm.Matrix{Data: w, Stride: f.I}, f.B, f.I, f.O, false)
	}
	return gxT, nil
}
