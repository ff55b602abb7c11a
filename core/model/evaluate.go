package model

import (
	"fmt"

	"github.com/basin-dev/basin/core/data"
)

// Result is a mean loss and accuracy over a set of images.
type Result struct {
	Loss     float64 // mean cross-entropy
	Accuracy float64 // fraction classified correctly, 0..1
}

// EvalBatch is the batch size evaluations run at.
const EvalBatch = 500

// Evaluator computes the loss of its Params over whole data sets, with one
// graph for full batches and one for the remainder. It is not safe for
// concurrent use: a scan gives each worker its own.
type Evaluator struct {
	Arch   Arch
	Params Params // write weights here, then call Evaluate
	nets   map[int]*Net
}

// NewEvaluator returns an evaluator that reads the given weights (shared,
// not copied); with nil params it gets zero weights of its own.
func NewEvaluator(arch Arch, params Params) *Evaluator {
	if params == nil {
		params = arch.NewParams()
	}
	return &Evaluator{Arch: arch, Params: params, nets: map[int]*Net{}}
}

func (e *Evaluator) net(batch int) (*Net, error) {
	if n, ok := e.nets[batch]; ok {
		return n, nil
	}
	n, err := NewNet(e.Arch, e.Params, batch, false)
	if err != nil {
		return nil, err
	}
	e.nets[batch] = n
	return n, nil
}

// Evaluate returns the mean loss and accuracy of the current Params over
// every image of d, in a fixed order (so the result is deterministic).
func (e *Evaluator) Evaluate(d *data.Dataset) (Result, error) {
	total := d.Len()
	if total == 0 {
		return Result{}, fmt.Errorf("evaluate: no images")
	}
	idx := make([]int, 0, EvalBatch)
	var loss float64
	var correct int
	for start := 0; start < total; start += EvalBatch {
		end := min(start+EvalBatch, total)
		idx = idx[:0]
		for i := start; i < end; i++ {
			idx = append(idx, i)
		}
		n, err := e.net(len(idx))
		if err != nil {
			return Result{}, err
		}
		l, c, err := n.Run(d, idx)
		if err != nil {
			return Result{}, err
		}
		loss += l
		correct += c
	}
	return Result{Loss: loss / float64(total), Accuracy: float64(correct) / float64(total)}, nil
}

// Close releases the evaluator's graphs. Params are left as they are.
func (e *Evaluator) Close() {
	for b, n := range e.nets {
		n.Close()
		delete(e.nets, b)
	}
}
