package model

import (
	G "gorgonia.org/gorgonia"

	"github.com/basin-dev/basin/core/ops"
)

// An evaluation graph runs the longest run of layers it can as one
// ops.Chain, image by image with the activations in cache: convs (any
// stride; pooled ones keep their fused path) with the batch norm, add
// and ReLU they take in, sums, ReLUs and dropout (the identity), where
// only the run's last layer is read from outside it and the run reads
// nothing from before it but its one input. On resnet that is every
// layer from the stem to the last block.

// chainEnd returns the end (exclusive) of the run of layers from i0 a
// chain can take, or i0 when it cannot take at least two convs.
func (b *layerNodes) chainEnd(i0 int) int {
	layers := b.n.Arch.Layers
	input := b.inputs[i0][0]
	end := i0
	for i := i0; i < len(layers); i++ {
		ok := false
		switch layers[i].Kind {
		case Conv:
			ok = !(b.chained(i, ReLU) && b.chained(i+1, MaxPool)) // a pooled conv keeps its fused path
		case BatchNorm:
			ok = i > i0 && layers[i-1].Kind == Conv && b.chained(i-1, BatchNorm) // folded into its conv
		case ReLU, Add, Dropout:
			ok = true
		}
		for _, j := range b.inputs[i] {
			if j < i0 && j != input {
				ok = false
			}
		}
		if !ok {
			break
		}
		end = i + 1
	}
	// Only the last layer may be read after the chain.
	for changed := true; changed; {
		changed = false
		for j := i0; j < end-1 && !changed; j++ {
			for k := end; k < len(layers) && !changed; k++ {
				for _, in := range b.inputs[k] {
					if in == j {
						end, changed = j+1, true
					}
				}
			}
		}
	}
	for end > i0 && layers[end-1].Kind == Dropout { // the output is the last step's
		end--
	}
	convs := 0
	for i := i0; i < end; i++ {
		if layers[i].Kind == Conv {
			convs++
		}
	}
	if convs < 2 {
		return i0
	}
	return end
}

// chain builds layers [i0, end) as one ops.Chain and returns how many
// layers after i0 it took (0: none, the layers are built one by one).
func (b *layerNodes) chain(i0 int) (int, error) {
	end := b.chainEnd(i0)
	if end == i0 {
		return 0, nil
	}
	n, layers := b.n, b.n.Arch.Layers
	x, _ := b.in(i0, 0)
	slot := map[int]int{b.inputs[i0][0]: 0} // a layer's output slot
	var steps []ops.ChainStep
	nodes := []*G.Node{x}
	for i := i0; i < end; {
		l := layers[i]
		in := b.inputs[i]
		step := ops.ChainStep{In: []int{slot[in[0]]}}
		more := 0
		switch l.Kind {
		case Conv:
			w, bias, bn, bnReLU, err := b.folded(i, i+1 < end)
			if err != nil {
				return 0, err
			}
			step.Kind, step.Window, step.O, step.ReLU, more = ops.ChainConv, l.Window(Shape(b.inShape(i)[1:])), l.Out, bnReLU, bn
			if a := i + 2; bn == 1 && !bnReLU && a < end && layers[a].Kind == Add && len(b.inputs[a]) == 2 && b.consumers[i+1] == 1 {
				other := b.inputs[a][0]
				if other == i+1 {
					other = b.inputs[a][1]
				}
				if s, ok := slot[other]; ok && other != i+1 {
					step.Res, more = []int{s}, 2
					if a+1 < end && b.chained(a, ReLU) {
						step.ReLU, more = true, 3
					}
				}
			}
			if bn == 0 && i+1 < end && b.chained(i, ReLU) {
				step.ReLU, more = true, 1
			}
			nodes = append(nodes, w, bias)
		case Add:
			step.Kind, step.In = ops.ChainSum, nil
			for _, j := range in {
				step.In = append(step.In, slot[j])
			}
			if i+1 < end && b.chained(i, ReLU) {
				step.ReLU, more = true, 1
			}
		case ReLU:
			step.Kind = ops.ChainReLU
		case Dropout: // the identity in evaluation
			slot[i] = slot[in[0]]
			i++
			continue
		}
		steps = append(steps, step)
		for k := 0; k <= more; k++ {
			slot[i+k] = len(steps)
		}
		i += more + 1
	}
	op, err := ops.NewChain(n.Batch, b.inShape(i0)[1:], steps)
	if err != nil {
		return 0, layerErr(i0, layers[i0], "build a chain from it: %v", err)
	}
	if err := b.apply(end-1, op, nodes...); err != nil {
		return 0, err
	}
	for i := i0; i < end-1; i++ {
		b.out[i] = b.out[end-1]
	}
	return end - i0 - 1, nil
}
