package model

import (
	"fmt"
	"math"

	"github.com/basin-dev/basin/core/data"
)

// Result is a mean loss and accuracy over a set of images.
type Result struct {
	Loss     float64 // mean cross-entropy
	Accuracy float64 // fraction classified correctly, 0..1
	// LossSE is the standard error of Loss as an estimate from this sample
	// of images: the sample standard deviation of the per-image losses
	// over √n (0 for one image).
	LossSE float64
}

// standardError is s/√n from a sum and a sum of squares of n values.
func standardError(sum, sumSq float64, n int) float64 {
	if n < 2 {
		return 0
	}
	mean := sum / float64(n)
	v := (sumSq - float64(n)*mean*mean) / float64(n-1)
	return math.Sqrt(max(v, 0) / float64(n))
}

// EvalBatch is the largest batch evaluations run at.
const EvalBatch = 500

// evalBudget bounds the activations one evaluation graph holds: a deep
// net evaluates in smaller batches (resnet at about 130 images, where 500
// would hold 600 MB per graph and a scan keeps two per core). Measured on
// the 2-core AMD machine, a resnet scan took 28.1 s at a 160 MB budget,
// 23.9 s at 96 MB and 22.7 s at 48 MB (its layers' activations stay in
// cache), while the standard net's scan slowed from 21.1 to 23.5 s at 48
// MB (its dense layer's products want the large batch) and kept 21.4 s at
// 96 MB.
const evalBudget = 96 << 20

// EvalBatch is the batch the architecture's evaluations run at: EvalBatch
// images, fewer when their activations would pass evalBudget.
func (a Arch) EvalBatch() int {
	per := 0 // float32 values an image leaves in the graph's buffers
	shapes := a.Shapes()
	pooled := false // the last conv's ReLU and 2×2 max pool were fused into it
	for i, s := range shapes {
		switch l := a.Layers[i]; {
		case l.Kind == ReLU || l.Kind == Flatten || l.Kind == Dropout: // fused or in place
		case l.Kind == MaxPool && pooled:
		case l.Kind == Conv && a.poolsAfter(i):
			per += shapes[i+2].Size() // the fast graph's conv pools as it writes (model/fast.go)
			pooled = true
			continue
		default:
			per += s.Size()
		}
		if l := a.Layers[i]; l.Kind != ReLU {
			pooled = false
		}
	}
	return min(EvalBatch, max(32, evalBudget/(4*max(per, 1))))
}

// poolsAfter reports whether layer i, a conv, is followed by a ReLU and a
// 2×2 max pool of stride 2 without padding over an even output: the
// layers the fast graph folds into the conv's output transform.
func (a Arch) poolsAfter(i int) bool {
	if i+2 >= len(a.Layers) || a.Layers[i+1].Kind != ReLU || a.Layers[i+2].Kind != MaxPool {
		return false
	}
	p, s := a.Layers[i+2], a.Shapes()[i]
	return p.Kernel == 2 && p.stride() == 2 && p.Pad == 0 && p.Dilation <= 1 && len(s) == 3 && s[1]%2 == 0 && s[2]%2 == 0
}

// Evaluator computes the loss of its Params over whole data sets, with one
// graph for full batches and one for the remainder. It is not safe for
// concurrent use: a scan gives each worker its own.
type Evaluator struct {
	Arch    Arch
	Params  Params // write weights here, then call Evaluate
	nets    map[int]*Net
	workers int
	batch   int // Arch.EvalBatch, once
}

// SetWorkers limits the goroutines each layer of an evaluation uses (0:
// one per core, the default). A scan running an evaluation per core sets
// 1 (see ops.SetWorkers).
func (e *Evaluator) SetWorkers(k int) {
	e.workers = k
	for _, n := range e.nets {
		n.SetWorkers(k)
	}
}

// NewEvaluator returns an evaluator that reads the given weights (shared,
// not copied); with nil params it gets zero weights of its own.
func NewEvaluator(arch Arch, params Params) *Evaluator {
	if params == nil {
		params = arch.NewParams()
	}
	return &Evaluator{Arch: arch, Params: params, nets: map[int]*Net{}, batch: arch.EvalBatch()}
}

func (e *Evaluator) net(batch int) (*Net, error) {
	if n, ok := e.nets[batch]; ok {
		return n, nil
	}
	n, err := NewNet(e.Arch, e.Params, batch, false)
	if err != nil {
		return nil, err
	}
	n.SetWorkers(e.workers)
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
	batch := e.batch
	idx := make([]int, 0, batch)
	var loss, sumSq float64
	var correct int
	for start := 0; start < total; start += batch {
		end := min(start+batch, total)
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
		sumSq += n.SumSquares
		correct += c
	}
	return Result{Loss: loss / float64(total), Accuracy: float64(correct) / float64(total),
		LossSE: standardError(loss, sumSq, total)}, nil
}

// Close releases the evaluator's graphs. Params are left as they are.
func (e *Evaluator) Close() {
	for b, n := range e.nets {
		n.Close()
		delete(e.nets, b)
	}
}
