package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/basin-dev/basin/core/ops"
)

// buildFast builds the graph from basin's own ops, fusing each ReLU into
// the conv or dense layer before it, and returns the loss node.
func (n *Net) buildFast(x, y *G.Node) (*G.Node, error) {
	h := x
	c, hh, ww := n.Arch.Input.C, n.Arch.Input.H, n.Arch.Input.W
	features := 0 // > 0 once flattened
	first := true
	pi := 0
	layers := n.Arch.Layers
	var err error
	for i := 0; i < len(layers); i++ {
		l := layers[i]
		relu := i+1 < len(layers) && layers[i+1].Kind == ReLU
		switch l.Kind {
		case Conv:
			op := ops.NewConv(n.Batch, c, hh, ww, l.Out, l.Kernel, l.Pad, relu, n.training, first)
			pool := relu && i+2 < len(layers) && layers[i+2].Kind == MaxPool && layers[i+2].Kernel == 2 &&
				ops.CanPool(l.Kernel, c, op.OH(), op.OW())
			if pool { // conv → ReLU → max-pool 2 in one pass
				op = ops.NewConvPool(n.Batch, c, hh, ww, l.Out, l.Kernel, l.Pad, n.training, first)
			}
			w, b := n.param(pi), n.param(pi+1)
			n.splitters = append(n.splitters, op)
			if h, err = G.ApplyOp(op, h, w, b); err != nil {
				return nil, err
			}
			pi += 2
			c, hh, ww = l.Out, op.OH(), op.OW()
			if pool {
				hh, ww = hh/2, ww/2
				i++ // the ReLU; the pool is skipped below
			}
		case MaxPool:
			mp := ops.NewMaxPool(n.Batch, c, hh, ww, l.Kernel)
			n.splitters = append(n.splitters, mp)
			if h, err = G.ApplyOp(mp, h); err != nil {
				return nil, err
			}
			hh, ww = hh/l.Kernel, ww/l.Kernel
		case Flatten:
			features = c * hh * ww
			continue
		case Dense:
			if features == 0 {
				features = c * hh * ww
			}
			op := ops.NewDense(n.Batch, features, l.Out, h.Dims(), relu, first)
			w, b := n.param(pi), n.param(pi+1)
			n.splitters = append(n.splitters, op)
			if h, err = G.ApplyOp(op, h, w, b); err != nil {
				return nil, err
			}
			pi += 2
			features = l.Out
		case ReLU:
			return nil, fmt.Errorf("layer %d: a ReLU must follow a conv or dense layer", i)
		}
		if relu {
			i++ // fused
		}
		first = false
	}
	G.Read(h, &n.outVal)
	return G.ApplyOp(ops.NewLoss(n.Batch, n.Arch.Classes), h, y)
}
