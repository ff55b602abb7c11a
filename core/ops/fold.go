package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// FoldBatchNorm is an evaluation's conv followed by batch norm as one
// conv: in evaluation batch norm is the affine map y = a·x + s per channel
// (a = γ/√(σ²+ε), s = β − a·μ by the running statistics), so the conv's
// filters scaled by a and its bias mapped to a·b + s give the same output
// in one pass. The folded weights are computed from the current ones on
// every run (a scan moves them), inputs w [O,…], b [O], γ [O], β [O].
type FoldBatchNorm struct {
	base
	Shape     []int // of w
	Mean, Var []float32
	Eps       float64 // batch norm's
	w, b      buffer
}

// FoldConvBatchNorm adds the folding to the graph: the folded weight and
// bias nodes, for a conv's w and bias and a batch norm's γ and β.
func FoldConvBatchNorm(w, bias, gamma, beta *G.Node, mean, variance []float32, eps float64) (*G.Node, *G.Node, error) {
	op := &FoldBatchNorm{Shape: w.Shape().Clone(), Mean: mean, Var: variance, Eps: eps}
	fw, err := G.ApplyOp(op, w, bias, gamma, beta)
	if err != nil {
		return nil, nil, err
	}
	fb, err := pick(fw, "fold.bias", tensor.Shape{op.Shape[0]}, func() *tensor.Dense { return op.b.t })
	return fw, fb, err
}

func (op *FoldBatchNorm) Arity() int { return 4 }
func (op *FoldBatchNorm) Type() hm.Type {
	return hm.NewFnType(tt(len(op.Shape)), tt(1), tt(1), tt(1), tt(len(op.Shape)))
}
func (op *FoldBatchNorm) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(op.Shape).Clone(), nil
}
func (op *FoldBatchNorm) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *FoldBatchNorm) Hashcode() uint32      { return hashOf(op) }
func (op *FoldBatchNorm) String() string        { return fmt.Sprintf("FoldBatchNorm%v(%p)", op.Shape, op) }

// Do writes the folded filters and bias.
func (op *FoldBatchNorm) Do(inputs ...G.Value) (G.Value, error) {
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	w, b, g, beta := vals[0], vals[1], vals[2], vals[3]
	t, fw := op.w.get(op.Shape...)
	o := op.Shape[0]
	_, fb := op.b.get(o)
	per := len(w) / o
	for c := 0; c < o; c++ {
		a := float64(g[c]) / math.Sqrt(float64(op.Var[c])+op.Eps)
		for j, v := range w[c*per : (c+1)*per] {
			fw[c*per+j] = float32(a * float64(v))
		}
		fb[c] = float32(a*(float64(b[c])-float64(op.Mean[c])) + float64(beta[c]))
	}
	return t, nil
}
