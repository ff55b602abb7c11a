package model

import (
	"fmt"

	"github.com/basin-dev/basin/core/data"
)

// GradBatch is the batch size gradients over a data set are computed at:
// smaller than EvalBatch, since a training graph also keeps every
// activation's gradient.
const GradBatch = 100

// Gradient computes the mean loss of its Params over a whole data set and
// the gradient of that mean, with training graphs of GradBatch images
// (and one for the remainder). Not safe for concurrent use.
type Gradient struct {
	Arch   Arch
	Params Params // write weights here, then call Compute
	Grad   Params // the mean gradient after Compute
	nets   map[int]*Net
}

// NewGradient returns a gradient evaluator with zero weights of its own.
func NewGradient(arch Arch) *Gradient {
	p := arch.NewParams()
	return &Gradient{Arch: arch, Params: p, Grad: p.ZerosLike(), nets: map[int]*Net{}}
}

// Compute returns the mean loss over every image of d and leaves its
// gradient in Grad, summed over batches in float64.
func (g *Gradient) Compute(d *data.Dataset) (float64, error) {
	total := d.Len()
	if total == 0 {
		return 0, fmt.Errorf("gradient: no images")
	}
	acc := make([][]float64, len(g.Grad))
	for i, t := range g.Grad {
		acc[i] = make([]float64, len(t.Data))
	}
	idx := make([]int, 0, GradBatch)
	var loss float64
	for start := 0; start < total; start += GradBatch {
		end := min(start+GradBatch, total)
		idx = idx[:0]
		for i := start; i < end; i++ {
			idx = append(idx, i)
		}
		n, ok := g.nets[len(idx)]
		if !ok {
			var err error
			if n, err = NewNet(g.Arch, g.Params, len(idx), true); err != nil {
				return 0, err
			}
			g.nets[len(idx)] = n
		}
		l, _, err := n.Run(d, idx)
		if err != nil {
			return 0, err
		}
		loss += l
		w := float64(len(idx)) / float64(total) // the batch's share of the mean
		for i, t := range n.Grads {
			for j, v := range t.Data {
				acc[i][j] += w * float64(v)
			}
		}
	}
	for i, t := range g.Grad {
		for j := range t.Data {
			t.Data[j] = float32(acc[i][j])
		}
	}
	return loss / float64(total), nil
}

// Close releases the graphs.
func (g *Gradient) Close() {
	for b, n := range g.nets {
		n.Close()
		delete(g.nets, b)
	}
}
