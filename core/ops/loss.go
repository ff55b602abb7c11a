package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Loss is the mean cross-entropy of logits [B, N] against one-hot targets
// [B, N]: −mean(Σ y · log_softmax(z)), PyTorch's CrossEntropyLoss. It
// keeps the softmax for the backward pass.
type Loss struct {
	base
	B, N int
	p    []float32 // softmax, row by row
}

// NewLoss returns the op.
func NewLoss(b, n int) *Loss { return &Loss{B: b, N: n} }

func (op *Loss) Arity() int                                     { return 2 }
func (op *Loss) Type() hm.Type                                  { return hm.NewFnType(tt(2), tt(2), hm.TypeVariable('a')) }
func (op *Loss) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (op *Loss) WriteHash(h hash.Hash)                          { writeHash(h, op) }
func (op *Loss) Hashcode() uint32                               { return hashOf(op) }
func (op *Loss) String() string                                 { return fmt.Sprintf("Loss{%dx%d}(%p)", op.B, op.N, op) }

// Do computes the loss (in float64, then rounded).
func (op *Loss) Do(inputs ...G.Value) (G.Value, error) {
	z, err := f32(inputs[0])
	if err != nil {
		return nil, err
	}
	y, err := f32(inputs[1])
	if err != nil {
		return nil, err
	}
	if len(z) != op.B*op.N || len(y) != op.B*op.N {
		return nil, fmt.Errorf("%v: inputs of %d and %d values", op, len(z), len(y))
	}
	if op.p == nil {
		op.p = make([]float32, op.B*op.N)
	}
	total := 0.0
	for r := 0; r < op.B; r++ {
		row, p, t := z[r*op.N:(r+1)*op.N], op.p[r*op.N:(r+1)*op.N], y[r*op.N:(r+1)*op.N]
		lse := LogSumExp(row)
		for j, v := range row {
			lp := float64(v) - lse
			p[j] = float32(math.Exp(lp))
			if t[j] != 0 {
				total -= float64(t[j]) * lp
			}
		}
	}
	return G.NewF32(float32(total / float64(op.B))), nil
}

// LogSumExp is log Σ exp(z_j) of a row of logits, in float64 and shifted
// by the row's maximum so that no exponential overflows.
func LogSumExp(row []float32) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	s := 0.0
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func (op *Loss) DiffWRT(int) []bool { return []bool{true, false} }

// SymDiff: d loss / d z = (softmax − y) · g / B.
func (op *Loss) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	gz, err := G.ApplyOp(&LossBack{fwd: op}, inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{gz, nil}, nil
}

// LossBack is the gradient of Loss with respect to the logits.
type LossBack struct {
	base
	fwd *Loss
	gz  buffer
}

func (op *LossBack) Arity() int    { return 2 }
func (op *LossBack) Type() hm.Type { return hm.NewFnType(tt(2), hm.TypeVariable('a'), tt(2)) }
func (op *LossBack) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.fwd.B, op.fwd.N}, nil
}
func (op *LossBack) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *LossBack) Hashcode() uint32      { return hashOf(op) }
func (op *LossBack) String() string        { return fmt.Sprintf("LossBack(%p)", op) }

// Do takes (y, g) and returns the logits' gradient.
func (op *LossBack) Do(inputs ...G.Value) (G.Value, error) {
	f := op.fwd
	y, err := f32(inputs[0])
	if err != nil {
		return nil, err
	}
	var g float32 = 1
	switch v := inputs[1].(type) {
	case *G.F32:
		g = float32(*v)
	case *tensor.Dense:
		switch d := v.Data().(type) {
		case []float32:
			g = d[0]
		case float32:
			g = d
		}
	}
	t, gz := op.gz.get(f.B, f.N)
	scale := g / float32(f.B)
	for i, p := range f.p {
		gz[i] = (p - y[i]) * scale
	}
	return t, nil
}
