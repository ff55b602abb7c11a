package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/ops"
)

// layerNodes builds a graph's layers in order. Each layer reads the nodes
// of the layers it names (the image for -1) and leaves its output in
// out[i]; a fused layer (a ReLU or pool folded into the conv before it)
// shares its predecessor's node.
type layerNodes struct {
	n         *Net
	shapes    []Shape
	inputs    [][]int
	consumers []int
	out       []*G.Node
	x         *G.Node
	pi        int // the next layer's first tensor in Params
}

func newLayerNodes(n *Net, x *G.Node) *layerNodes {
	a := n.Arch
	b := &layerNodes{n: n, shapes: a.Shapes(), inputs: a.Inputs(), out: make([]*G.Node, len(a.Layers)), x: x}
	b.consumers = make([]int, len(a.Layers))
	for _, in := range b.inputs {
		for _, j := range in {
			if j >= 0 {
				b.consumers[j]++
			}
		}
	}
	return b
}

// in returns layer i's k-th input node, and whether it is the image.
func (b *layerNodes) in(i, k int) (*G.Node, bool) {
	j := b.inputs[i][k]
	if j < 0 {
		return b.x, true
	}
	return b.out[j], false
}

// inShape is layer i's first input's shape, batch first.
func (b *layerNodes) inShape(i int) []int {
	j := b.inputs[i][0]
	s := Shape{b.n.Arch.Input.C, b.n.Arch.Input.H, b.n.Arch.Input.W}
	if j >= 0 {
		s = b.shapes[j]
	}
	return append([]int{b.n.Batch}, s...)
}

// chained reports whether layer i+1 exists, has kind k, reads only layer i
// and is its only reader: it can be fused into layer i.
func (b *layerNodes) chained(i int, k Kind) bool {
	layers := b.n.Arch.Layers
	return i+1 < len(layers) && layers[i+1].Kind == k && len(b.inputs[i+1]) == 1 &&
		b.inputs[i+1][0] == i && b.consumers[i] == 1
}

// weights returns the nodes of layer l's weight and bias (a constant zero
// bias for a layer without one) and moves past its tensors.
func (b *layerNodes) weights(l Layer) (w, bias *G.Node) {
	n := b.n
	w = n.param(b.pi)
	if l.NoBias {
		z := tensor.New(tensor.WithShape(l.Out), tensor.Of(tensor.Float32))
		bias = G.NodeFromAny(n.g, z, G.WithName(l.Name+".nobias"))
	} else {
		bias = n.param(b.pi + 1)
	}
	b.pi += len(l.tensors())
	return w, bias
}

// folded returns the weight and bias of conv layer i with the batch norm
// after it folded in, when this is an evaluation graph and nothing else
// reads the conv's output; bn is then how many layers it took in (the
// batch norm, and the ReLU after it when that can fuse too). Otherwise
// the conv's own weight and bias, and bn 0.
func (b *layerNodes) folded(i int, fuse bool) (w, bias *G.Node, bn int, relu bool, err error) {
	l := b.n.Arch.Layers[i]
	w, bias = b.weights(l)
	if !fuse || b.n.training || !b.chained(i, BatchNorm) {
		return w, bias, 0, false, nil
	}
	n := b.n
	g, beta := n.param(b.pi), n.param(b.pi+1)
	mean, variance := n.Params[b.pi+2].Data, n.Params[b.pi+3].Data
	b.pi += 4
	eps := b.n.Arch.Layers[i+1].BNEps()
	if w, bias, err = ops.FoldConvBatchNorm(w, bias, g, beta, mean, variance, eps); err != nil {
		return nil, nil, 0, false, err
	}
	if b.chained(i+1, ReLU) {
		return w, bias, 2, true, nil
	}
	return w, bias, 1, false, nil
}

// residual reports whether conv layer i, with its batch norm folded in (bn
// 1, no ReLU), feeds a two-input add as that add's only use of it, the
// add's other input built already: then the conv can add it itself.
// add is the layers the conv takes in after the batch norm (the add, and
// the ReLU after it: 2), other the add's other input.
func (b *layerNodes) residual(i, bn int, bnReLU bool) (other *G.Node, add int) {
	a := i + 2
	layers := b.n.Arch.Layers
	if bn != 1 || bnReLU || a >= len(layers) || layers[a].Kind != Add || len(b.inputs[a]) != 2 || b.consumers[i+1] != 1 {
		return nil, 0
	}
	in := b.inputs[a]
	j := in[0]
	if j == i+1 {
		j = in[1]
	} else if in[1] != i+1 {
		return nil, 0
	}
	if j >= i || j < 0 || b.out[j] == nil {
		return nil, 0
	}
	if b.chained(a, ReLU) {
		return b.out[j], 2
	}
	return b.out[j], 1
}

// bnResidual reports whether batch norm layer i feeds a two-input add
// as that add's only use of it, the add's other input built already
// (or the image): then the batch norm can add it itself. add is the
// layers it takes in (the add, and the ReLU after it: 2), other the add's
// other input and otherImage whether that is the image.
func (b *layerNodes) bnResidual(i int, fuse bool) (other *G.Node, otherImage bool, add int) {
	a := i + 1
	layers := b.n.Arch.Layers
	if !fuse || a >= len(layers) || layers[a].Kind != Add || len(b.inputs[a]) != 2 || b.consumers[i] != 1 {
		return nil, false, 0
	}
	in := b.inputs[a]
	k := 1
	if in[1] == i {
		k = 0
	} else if in[0] != i {
		return nil, false, 0
	}
	if j := in[k]; j == i || j >= a || (j >= 0 && b.out[j] == nil) {
		return nil, false, 0
	}
	other, otherImage = b.in(a, k)
	if b.chained(a, ReLU) {
		return other, otherImage, 2
	}
	return other, otherImage, 1
}

// shortcutConv returns, in a training graph, the conv that begins
// the residual block ending at batch norm layer i (which takes in the
// add after it, see bnResidual): the only other reader of the add's
// other input, a stride-1 conv built as an ops.Conv (not pooled) from
// which layer i descends. That conv can hand the batch norm the block's
// input and take back its gradient (ops.LinkShortcut). Else nil.
func (b *layerNodes) shortcutConv(i int) *ops.Conv {
	a := i + 1
	in := b.inputs[a]
	j := in[0]
	if j == i {
		j = in[1]
	}
	if !b.n.training || j < 0 || b.consumers[j] != 2 {
		return nil
	}
	for c := j + 1; c < i; c++ {
		if len(b.inputs[c]) != 1 || b.inputs[c][0] != j || b.out[c] == nil {
			continue
		}
		conv, ok := b.out[c].Op().(*ops.Conv)
		if !ok || conv.Pool || conv.First || conv.Residual || !b.descends(i, c) {
			return nil
		}
		return conv
	}
	return nil
}

// descends reports whether layer i reads layer c's output, directly or
// through other layers.
func (b *layerNodes) descends(i, c int) bool {
	seen := map[int]bool{}
	var walk func(k int) bool
	walk = func(k int) bool {
		if k == c {
			return true
		}
		if k < c || seen[k] {
			return false
		}
		seen[k] = true
		for _, j := range b.inputs[k] {
			if j >= 0 && walk(j) {
				return true
			}
		}
		return false
	}
	return walk(i)
}

// apply adds op on the inputs and records the node as layer i's output.
func (b *layerNodes) apply(i int, op G.Op, in ...*G.Node) error {
	if s, ok := op.(interface{ SetWorkers(int) }); ok {
		b.n.splitters = append(b.n.splitters, s)
	}
	node, err := G.ApplyOp(op, in...)
	if err != nil {
		return fmt.Errorf("%v: %w", layerErr(i, b.n.Arch.Layers[i], "build"), err)
	}
	b.out[i] = node
	return nil
}

// took records that layer i's op took in the next more layers (a fused
// batch norm, add, ReLU or pool): they share its output node.
func (b *layerNodes) took(i, more int) int {
	for k := 1; k <= more; k++ {
		b.out[i+k] = b.out[i]
	}
	return more
}

// shared builds the layers both implementations compute with basin's
// kernels (batch norm, average pooling, global pooling, add, dropout,
// strided conv), or reports false for a kind it leaves to the caller.
// With fuse, a batch norm or add takes in the ReLU after it (when nothing
// else reads between them), and in an evaluation graph a strided conv the
// batch norm (and ReLU) after it (see folded); more is how many layers
// after i that took.
func (b *layerNodes) shared(i int, fuse bool) (bool, int, error) {
	relu := fuse && b.chained(i, ReLU)
	fused := 0
	if relu {
		fused = 1
	}
	l, n := b.n.Arch.Layers[i], b.n
	x, image := b.in(i, 0)
	s := b.inShape(i)
	var op *ops.Layer
	switch l.Kind {
	case BatchNorm:
		more, err := b.batchNorm(i, fuse, relu)
		return true, more, err
	case AvgPool:
		op = ops.NewPool(n.Batch, l.Window(Shape(s[1:])), true)
	case GlobalAvgPool:
		op = ops.NewGlobalAvgPool(n.Batch, s[1], s[2], s[3])
	case Add:
		op = ops.NewSum(len(b.inputs[i]), s, relu)
		nodes := make([]*G.Node, len(b.inputs[i]))
		for k := range nodes {
			nodes[k], op.NoGrad[k] = b.in(i, k)
		}
		err := b.apply(i, op, nodes...)
		return true, b.took(i, fused), err
	case Dropout:
		if !n.training || l.Rate == 0 {
			b.out[i] = x // evaluation: identity
			return true, 0, nil
		}
		op = ops.NewDropout(s, l.Rate, 0)
		n.dropouts = append(n.dropouts, op.K.(*ops.Dropout))
	case Conv:
		if l.stride() == 1 && l.Dilation <= 1 { // conv: Winograd, direct
			return false, 0, nil
		}
		w, bias, bn, relu, err := b.folded(i, fuse)
		if err != nil {
			return true, 0, err
		}
		op = ops.NewStridedConv(n.Batch, l.Window(Shape(s[1:])), l.Out, relu)
		op.NoGrad[0], op.NoGrad[2] = image, l.NoBias
		err = b.apply(i, op, x, w, bias)
		return true, b.took(i, bn), err
	default:
		return false, 0, nil
	}
	op.NoGrad[0] = image
	return true, 0, b.apply(i, op, x)
}

// batchNorm builds batch norm layer i, with the ReLU after it (relu), or
// with fuse the add after it and that add's ReLU (bnResidual); in
// training its statistics come from the conv before it where that can
// gather them (ops.LinkStats). It returns how many layers after i it
// took.
func (b *layerNodes) batchNorm(i int, fuse, relu bool) (int, error) {
	n, l := b.n, b.n.Arch.Layers[i]
	x, image := b.in(i, 0)
	s := b.inShape(i)
	g, beta := n.param(b.pi), n.param(b.pi+1)
	mean, variance := n.Params[b.pi+2].Data, n.Params[b.pi+3].Data
	b.pi += 4
	more, in := 0, []*G.Node{x, g, beta}
	var op *ops.Layer
	other, otherImage, add := b.bnResidual(i, fuse)
	var conv *ops.Conv
	if add > 0 {
		conv = b.shortcutConv(i)
	}
	switch {
	case add > 0 && conv != nil:
		// batch norm → add (→ ReLU), the block's input read through the
		// conv that begins the block
		op = ops.NewBatchNorm(s, n.training, add == 2, false, mean, variance, l.BNEps())
		if err := ops.LinkShortcut(conv, op); err != nil {
			return 0, fmt.Errorf("%v: %w", layerErr(i, l, "build"), err)
		}
		more = add
	case add > 0: // batch norm → add (→ ReLU): one pass each way
		op = ops.NewBatchNorm(s, n.training, add == 2, true, mean, variance, l.BNEps())
		op.NoGrad[3] = otherImage
		in, more = append(in, other), add
	default:
		op = ops.NewBatchNorm(s, n.training, relu, false, mean, variance, l.BNEps())
		if relu {
			more = 1
		}
	}
	op.NoGrad[0] = image
	if !image && n.training {
		ops.LinkStats(x.Op(), op)
	}
	err := b.apply(i, op, in...)
	return b.took(i, more), err
}

// conv builds stride-1 conv layer i on the fast paths, with what it can
// take in after it: in evaluation the folded batch norm and then a ReLU,
// or the residual add (and its ReLU); else a ReLU (relu) and a 2×2 max
// pool. It returns how many layers after i it took.
func (b *layerNodes) conv(i int, relu bool) (int, error) {
	n, l := b.n, b.n.Arch.Layers[i]
	h, image := b.in(i, 0)
	s := b.inShape(i)
	w, bias, bn, bnReLU, err := b.folded(i, true)
	if err != nil {
		return 0, err
	}
	if other, add := b.residual(i, bn, bnReLU); add > 0 {
		// conv → bn → add (→ relu): one op, the add in cache
		op := ops.NewConv(n.Batch, s[1], s[2], s[3], l.Out, l.Kernel, l.Pad, add == 2, false, image)
		op.Residual = true
		err := b.apply(i, op, h, w, bias, other)
		return b.took(i, bn+add), err
	}
	if bn > 0 { // batch norm folded in (evaluation), and its ReLU
		op := ops.NewConv(n.Batch, s[1], s[2], s[3], l.Out, l.Kernel, l.Pad, bnReLU, n.training, image)
		err := b.apply(i, op, h, w, bias)
		return b.took(i, bn), err
	}
	layers := n.Arch.Layers
	op := ops.NewConv(n.Batch, s[1], s[2], s[3], l.Out, l.Kernel, l.Pad, relu, n.training, image)
	pool := relu && b.chained(i+1, MaxPool) && layers[i+2].Kernel == 2 && layers[i+2].stride() == 2 &&
		layers[i+2].Pad == 0 && layers[i+2].Dilation <= 1 && ops.CanPool(l.Kernel, s[1], op.OH(), op.OW())
	more := 0
	switch {
	case pool: // conv → ReLU → max-pool 2 in one pass
		op = ops.NewConvPool(n.Batch, s[1], s[2], s[3], l.Out, l.Kernel, l.Pad, n.training, image)
		more = 2
	case relu:
		more = 1
	}
	err = b.apply(i, op, h, w, bias)
	return b.took(i, more), err
}

// buildFast builds the graph from basin's own ops, fusing a ReLU (and a
// 2×2 max pool after it) into the conv or dense layer before it when
// nothing else reads between them, and returns the loss node.
func (n *Net) buildFast(x, y *G.Node) (*G.Node, error) {
	b := newLayerNodes(n, x)
	layers := n.Arch.Layers
	for i := 0; i < len(layers); i++ {
		l := layers[i]
		if !n.training && ops.CanChain() {
			more, err := b.chain(i)
			if err != nil {
				return nil, err
			}
			if more > 0 {
				i += more
				continue
			}
		}
		if done, more, err := b.shared(i, true); done || err != nil {
			if err != nil {
				return nil, err
			}
			i += more
			continue
		}
		h, image := b.in(i, 0)
		s := b.inShape(i)
		relu := b.chained(i, ReLU)
		switch l.Kind {
		case Conv:
			more, err := b.conv(i, relu)
			if err != nil {
				return nil, err
			}
			i += more
			continue
		case MaxPool:
			var op G.Op = ops.NewMaxPool(n.Batch, s[1], s[2], s[3], l.Kernel)
			if l.stride() != l.Kernel || l.Pad != 0 || l.Dilation > 1 {
				p := ops.NewPool(n.Batch, l.Window(Shape(s[1:])), false)
				p.NoGrad[0] = image
				op = p
			}
			if err := b.apply(i, op, h); err != nil {
				return nil, err
			}
		case Flatten:
			b.out[i] = h // a dense layer reads any shape in NCHW order
		case Dense:
			op := ops.NewDense(n.Batch, Shape(s[1:]).Size(), l.Out, h.Dims(), relu, image)
			w, bias := b.weights(l)
			if err := b.apply(i, op, h, w, bias); err != nil {
				return nil, err
			}
		case ReLU:
			op := ops.NewReLU(s)
			op.NoGrad[0] = image
			if err := b.apply(i, op, h); err != nil {
				return nil, err
			}
		case LeakyReLU:
			op := ops.NewLeakyReLU(s, l.Slope)
			op.NoGrad[0] = image
			if err := b.apply(i, op, h); err != nil {
				return nil, err
			}
		}
		if relu && l.Kind == Dense {
			i += b.took(i, 1)
		}
	}
	h := b.out[len(layers)-1]
	G.Read(h, &n.outVal)
	if n.outputOnly {
		return nil, nil
	}
	return G.ApplyOp(ops.NewLoss(n.Batch, n.Arch.Classes), h, y)
}

// buildStock builds the graph from gorgonia's generic ops (basin's
// kernels where gorgonia has none) and returns the logits node.
func (n *Net) buildStock(x *G.Node) (h *G.Node, err error) {
	b := newLayerNodes(n, x)
	for i, l := range n.Arch.Layers {
		if done, _, err := b.shared(i, false); done || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		h, _ = b.in(i, 0)
		switch l.Kind {
		case Conv:
			w, bias := b.weights(l)
			k := tensor.Shape{l.Kernel, l.Kernel}
			if h, err = G.Conv2d(h, w, k, []int{l.Pad, l.Pad}, []int{1, 1}, []int{1, 1}); err != nil {
				return nil, err
			}
			if !l.NoBias {
				if h, err = G.BroadcastAdd(h, bias, nil, []byte{0, 2, 3}); err != nil {
					return nil, err
				}
			}
		case ReLU:
			if h, err = G.Rectify(h); err != nil {
				return nil, err
			}
		case LeakyReLU:
			if h, err = G.LeakyRelu(h, l.Slope); err != nil {
				return nil, err
			}
		case MaxPool:
			if l.Dilation > 1 { // gorgonia's has no dilation: the kernel's
				p := ops.NewPool(n.Batch, l.Window(Shape(h.Shape()[1:])), false)
				if h, err = G.ApplyOp(p, h); err != nil {
					return nil, err
				}
				break
			}
			k := tensor.Shape{l.Kernel, l.Kernel}
			if h, err = G.MaxPool2D(h, k, []int{l.Pad, l.Pad}, []int{l.stride(), l.stride()}); err != nil {
				return nil, err
			}
		case Flatten:
			if h, err = G.Reshape(h, tensor.Shape{n.Batch, h.Shape().TotalSize() / n.Batch}); err != nil {
				return nil, err
			}
		case Dense:
			w, bias := b.weights(l)
			if h.Dims() != 2 {
				if h, err = G.Reshape(h, tensor.Shape{n.Batch, h.Shape().TotalSize() / n.Batch}); err != nil {
					return nil, err
				}
			}
			wt, err := G.Transpose(w)
			if err != nil {
				return nil, err
			}
			if h, err = G.Mul(h, wt); err != nil {
				return nil, err
			}
			if !l.NoBias {
				if h, err = G.BroadcastAdd(h, bias, nil, []byte{0}); err != nil {
					return nil, err
				}
			}
		}
		b.out[i] = h
	}
	return b.out[len(n.Arch.Layers)-1], nil
}
