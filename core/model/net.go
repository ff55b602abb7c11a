package model

import (
	"fmt"
	"math"
	"os"
	"runtime"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/ops"
)

// Net is a gorgonia graph of an architecture for one batch size. Its
// parameter nodes share memory with Params: writing into Params moves the
// network, and a training net's optimizer updates Params in place.
type Net struct {
	Arch   Arch
	Batch  int
	Params Params // the weights the graph reads
	Grads  Params // gradients after Run (training nets only)
	// SumSquares is Σ ℓ_i² over the images of the last Run, ℓ_i each
	// image's own cross-entropy: with the summed loss it gives the
	// spread of the per-image losses, so a mean comes with its error.
	SumSquares float64

	g      *G.ExprGraph
	vm     G.VM
	x, y   *tensor.Dense
	xs, ys []float32
	inputs *data.Inputs // the arch's normalization, ready
	nodes  G.Nodes
	// nodeParam is the index in Params of each node in nodes (the
	// batch-norm buffers have none: no gradient moves them).
	nodeParam []int
	dropouts  []*ops.Dropout
	loss      *G.Node
	lossVal   G.Value
	outVal    G.Value // log-probabilities or logits: their argmax is the class
	training  bool
	// outputOnly: the graph ends at the last layer's output, with no
	// loss (Forward).
	outputOnly bool
	ops        Ops
	// splitters are the forward ops that split their work across cores.
	splitters []interface{ SetWorkers(int) }
}

// SetWorkers limits how many goroutines each of the net's forward layers
// splits a batch across (0: one per core). Callers that already run one
// evaluation per core set 1.
func (n *Net) SetWorkers(k int) {
	for _, op := range n.splitters {
		op.SetWorkers(k)
	}
}

// Ops selects the layer implementations of a graph.
type Ops int

const (
	// FastOps are basin's own gorgonia ops (package ops): the default.
	FastOps Ops = iota
	// StockOps are gorgonia's generic ops, kept as the reference the fast
	// ones are tested against (BASIN_OPS=stock selects them).
	StockOps
)

// DefaultOps is what NewNet builds with.
var DefaultOps = func() Ops {
	if os.Getenv("BASIN_OPS") == "stock" {
		return StockOps
	}
	return FastOps
}()

// NewNet builds the graph of arch for batches of the given size, reading
// its weights from params (which must have the arch's layout). With
// training set, the graph also computes gradients of the loss.
func NewNet(arch Arch, params Params, batch int, training bool) (*Net, error) {
	return NewNetWith(arch, params, batch, training, DefaultOps)
}

// NewNetWith is NewNet with a choice of layer implementations.
func NewNetWith(arch Arch, params Params, batch int, training bool, impl Ops) (*Net, error) {
	return newNet(arch, params, batch, training, impl, false)
}

func newNet(arch Arch, params Params, batch int, training bool, impl Ops, outputOnly bool) (*Net, error) {
	if batch < 1 {
		return nil, fmt.Errorf("batch size must be at least 1, got %d", batch)
	}
	if err := arch.NewParams().SameLayout(params); err != nil {
		return nil, fmt.Errorf("parameters do not fit preset %s: %w", arch.Preset, err)
	}
	n := &Net{Arch: arch, Batch: batch, Params: params, training: training, g: G.NewGraph(), ops: impl, outputOnly: outputOnly}
	in := arch.Input
	n.inputs = arch.Norm.Inputs()
	n.xs = make([]float32, batch*in.Size())
	n.ys = make([]float32, batch*arch.Classes)
	n.x = tensor.New(tensor.WithShape(batch, in.C, in.H, in.W), tensor.WithBacking(n.xs))
	n.y = tensor.New(tensor.WithShape(batch, arch.Classes), tensor.WithBacking(n.ys))
	if err := n.build(); err != nil {
		return nil, fmt.Errorf("build %s graph: %w", arch.Preset, err)
	}
	return n, nil
}

// param returns the node of tensor i of Params, a value the gradients
// are taken with respect to.
func (n *Net) param(i int) *G.Node {
	t := n.Params[i]
	v := tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data))
	node := G.NodeFromAny(n.g, v, G.WithName(t.Name))
	n.nodes = append(n.nodes, node)
	n.nodeParam = append(n.nodeParam, i)
	return node
}

// SeedDropout fixes the masks of the net's dropout layers: layer k draws
// from seed's dropout stream k, so a training run is reproducible.
func (n *Net) SeedDropout(seed uint64) {
	for k, d := range n.dropouts {
		d.Seed(seed, uint64(k))
	}
}

func (n *Net) build() (err error) {
	h := G.NodeFromAny(n.g, n.x, G.WithName("x"))
	y := G.NodeFromAny(n.g, n.y, G.WithName("y"))
	if n.ops == FastOps {
		if n.loss, err = n.buildFast(h, y); err != nil {
			return err
		}
		return n.finish()
	}
	h, err = n.buildStock(h)
	if err != nil {
		return err
	}
	logp, err := G.LogSoftMax(h)
	if err != nil {
		return err
	}
	G.Read(logp, &n.outVal)
	// Loss = mean negative log-likelihood = -sum(logp ⊙ onehot) / batch,
	// PyTorch's CrossEntropyLoss.
	picked, err := G.HadamardProd(logp, y)
	if err != nil {
		return err
	}
	sum, err := G.Sum(picked)
	if err != nil {
		return err
	}
	if n.loss, err = G.HadamardProd(sum, G.NewConstant(float32(-1)/float32(n.Batch))); err != nil {
		return err
	}
	return n.finish()
}

// finish reads the loss and, for training, adds the gradients.
func (n *Net) finish() (err error) {
	if n.loss != nil {
		G.Read(n.loss, &n.lossVal)
	}
	if n.training {
		if _, err = G.Grad(n.loss, n.nodes...); err != nil {
			return err
		}
		n.vm = G.NewTapeMachine(n.g, G.BindDualValues(n.nodes...))
		n.Grads = n.Params.ZerosLike()
	} else {
		n.vm = G.NewTapeMachine(n.g)
	}
	// The tape machine sets a finalizer (for CUDA, unused here) on itself,
	// and it sits in a reference cycle with its graph: Go never collects a
	// cycle holding a finalizer, so every dropped Net would leak its whole
	// graph and buffers. Clearing the finalizer lets the collector free it.
	runtime.SetFinalizer(n.vm, nil)
	return nil
}

// Forward runs the architecture in evaluation, on basin's fast ops, over
// batch inputs given as they enter the first layer (batch×C×H×W values,
// normalized already) and returns the last layer's output, batch×its
// shape, whatever that layer is: how an imported model is checked
// against the outputs its own tests expect.
func Forward(arch Arch, params Params, x []float32, batch int) ([]float32, error) {
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	if len(x) != batch*arch.Input.Size() {
		return nil, fmt.Errorf("forward %s: %d input values for %d images of %v", arch.Preset, len(x), batch, arch.Input)
	}
	if arch.Classes < 1 {
		arch.Classes = 1 // no labels are read
	}
	n, err := newNet(arch, params, batch, false, FastOps, true)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	copy(n.xs, x)
	defer n.vm.Reset()
	if err := n.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("run %s graph: %w", arch.Preset, err)
	}
	return append([]float32(nil), n.outVal.Data().([]float32)...), nil
}

// Close releases the graph, its machine and its buffers. The Net cannot
// run afterwards; Params are the caller's and stay untouched.
func (n *Net) Close() {
	if n.vm != nil {
		n.vm.Close()
	}
	n.vm, n.g, n.nodes, n.loss, n.lossVal, n.outVal = nil, nil, nil, nil, nil, nil
	n.x, n.y, n.xs, n.ys, n.Grads = nil, nil, nil, nil, nil
}

// Run evaluates one batch of images (Batch of them, from the dataset at
// the given indices) and returns the summed loss and the number classified
// correctly. A training net also leaves the mean-loss gradients in Grads.
func (n *Net) Run(d *data.Dataset, idx []int) (lossSum float64, correct int, err error) {
	if n.vm == nil {
		return 0, 0, fmt.Errorf("run %s graph: the net is closed", n.Arch.Preset)
	}
	if len(idx) != n.Batch {
		return 0, 0, fmt.Errorf("batch of %d images for a net of batch %d", len(idx), n.Batch)
	}
	if err := n.Arch.Fits(d); err != nil {
		return 0, 0, fmt.Errorf("run %s graph: %w", n.Arch.Preset, err)
	}
	clear(n.ys)
	size, classes := n.Arch.Input.Size(), n.Arch.Classes
	for b, i := range idx {
		n.inputs.Image(d, i, n.xs[b*size:])
		n.ys[b*classes+int(d.Labels[i])] = 1
	}
	defer n.vm.Reset()
	if err := n.vm.RunAll(); err != nil {
		return 0, 0, fmt.Errorf("run %s graph: %w", n.Arch.Preset, err)
	}
	out := n.outVal.Data().([]float32)
	n.SumSquares = 0
	for b, i := range idx {
		row := out[b*classes : (b+1)*classes]
		if argmax(row) == int(d.Labels[i]) {
			correct++
		}
		l := imageLoss(row, int(d.Labels[i]))
		n.SumSquares += l * l
	}
	lossSum = float64(scalar(n.lossVal)) * float64(n.Batch)
	if n.training {
		for i, node := range n.nodes {
			g, err := node.Grad()
			if err != nil {
				return 0, 0, fmt.Errorf("read gradient of %s: %w", node.Name(), err)
			}
			gd := g.Data().([]float32)
			copy(n.Grads[n.nodeParam[i]].Data, gd)
			clear(gd) // gorgonia accumulates gradients across runs

		}
	}
	return lossSum, correct, nil
}

// imageLoss is one image's cross-entropy from its row of logits (fast
// ops) or log-probabilities (stock ops): log Σ exp(z) − z_label, in
// float64. For log-probabilities the first term is log 1 = 0, so one
// formula serves both.
func imageLoss(row []float32, label int) float64 {
	return ops.LogSumExp(row) - float64(row[label])
}

func scalar(v G.Value) float32 {
	switch d := v.Data().(type) {
	case float32:
		return d
	case []float32:
		return d[0]
	}
	return float32(math.NaN())
}

func argmax(v []float32) int {
	best, bi := float32(math.Inf(-1)), 0
	for i, x := range v {
		if x > best || (math.IsNaN(float64(best)) && !math.IsNaN(float64(x))) {
			best, bi = x, i
		}
	}
	return bi
}
