package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Kernel is one layer's maths on a whole batch of flat float32 values:
// the layers that need no fused fast path (batch norm, pooling with any
// stride, global average pooling, add, ReLU, dropout, strided conv) are a
// Kernel wrapped in a Layer op.
type Kernel interface {
	String() string
	// Out is the output's shape, batch first.
	Out() []int
	// Forward computes y from the inputs (in the order the op takes them).
	Forward(in [][]float32, y []float32)
	// Backward writes each input's gradient into gin (a nil entry needs
	// none) from the inputs, the output y and its gradient gy.
	Backward(in [][]float32, y, gy []float32, gin [][]float32)
}

// Layer is a gorgonia op of a Kernel with its inputs' shapes. Inputs
// marked in NoGrad get no gradient (the images; constant zero biases).
type Layer struct {
	base
	K      Kernel
	In     []tensor.Shape
	NoGrad []bool
	out    buffer
}

// NewLayer returns the op of k on inputs of the given shapes.
func NewLayer(k Kernel, in ...tensor.Shape) *Layer {
	return &Layer{K: k, In: in, NoGrad: make([]bool, len(in))}
}

func (op *Layer) Arity() int { return len(op.In) }
func (op *Layer) Type() hm.Type {
	ts := make([]hm.Type, 0, len(op.In)+1)
	for _, s := range op.In {
		ts = append(ts, tt(len(s)))
	}
	return hm.NewFnType(append(ts, tt(len(op.K.Out())))...)
}
func (op *Layer) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(op.K.Out()).Clone(), nil
}
func (op *Layer) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *Layer) Hashcode() uint32      { return hashOf(op) }
func (op *Layer) String() string        { return fmt.Sprintf("%v(%p)", op.K, op) }

// Do runs the kernel forward.
func (op *Layer) Do(inputs ...G.Value) (G.Value, error) {
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	for i, v := range vals {
		if len(v) != op.In[i].TotalSize() {
			return nil, fmt.Errorf("%v: input %d has %d values, want %v", op, i, len(v), op.In[i])
		}
	}
	t, y := op.out.get(op.K.Out()...)
	op.setPar()
	op.K.Forward(vals, y)
	return t, nil
}

// setPar passes the op's goroutine count to its kernel.
func (op *Layer) setPar() {
	if k, ok := op.K.(interface{ setPar(int) }); ok {
		k.setPar(op.par())
	}
}

func (op *Layer) DiffWRT(int) []bool {
	d := make([]bool, len(op.In))
	for i := range d {
		d[i] = !op.NoGrad[i]
	}
	return d
}

// SymDiff adds the backward node (it returns the first input's gradient)
// and Picks for the other inputs' gradients.
func (op *Layer) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	back := &LayerBack{fwd: op, gin: make([]buffer, len(op.In))}
	args := append(append(G.Nodes{}, inputs...), grad)
	g0, err := G.ApplyOp(back, args...)
	if err != nil {
		return nil, err
	}
	out := G.Nodes{g0}
	for i := 1; i < len(op.In); i++ {
		i := i
		p, err := pick(g0, fmt.Sprintf("%v.g%d", op.K, i), op.In[i], func() *tensor.Dense { return back.gin[i].t })
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// LayerBack runs a Kernel backward: inputs are the forward inputs and the
// output's gradient.
type LayerBack struct {
	base
	fwd *Layer
	gin []buffer
}

func (op *LayerBack) Arity() int { return len(op.fwd.In) + 1 }
func (op *LayerBack) Type() hm.Type {
	ts := make([]hm.Type, 0, len(op.fwd.In)+2)
	for _, s := range op.fwd.In {
		ts = append(ts, tt(len(s)))
	}
	ts = append(ts, tt(len(op.fwd.K.Out())))
	return hm.NewFnType(append(ts, tt(len(op.fwd.In[0])))...)
}
func (op *LayerBack) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.fwd.In[0].Clone(), nil
}
func (op *LayerBack) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *LayerBack) Hashcode() uint32      { return hashOf(op) }
func (op *LayerBack) String() string        { return fmt.Sprintf("%vBack(%p)", op.fwd.K, op) }

// Do computes every input's gradient and returns the first's.
func (op *LayerBack) Do(inputs ...G.Value) (G.Value, error) {
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	f := op.fwd
	n := len(f.In)
	_, y := f.out.get(f.K.Out()...)
	gin := make([][]float32, n)
	var first *tensor.Dense
	for i := range gin {
		t, g := op.gin[i].get(f.In[i]...)
		if i == 0 {
			first = t
		}
		if f.NoGrad[i] {
			clear(g)
			continue
		}
		gin[i] = g
	}
	f.setPar()
	f.K.Backward(vals[:n], y, vals[n], gin)
	return first, nil
}
