package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Workers is how many goroutines an op splits its batch across.
var Workers = runtime.GOMAXPROCS(0)

// ForEach is forEach for passes outside gorgonia's graph (core/hessian).
func ForEach(n int, f func(w, i int)) { forEach(n, f) }

// forEach runs f(worker, i) for i in [0, n), split into contiguous chunks
// across Workers goroutines (inline when n or Workers is 1).
func forEach(n int, f func(w, i int)) { forEachOn(Workers, n, f) }

// forEachOn is forEach on at most w goroutines.
func forEachOn(w, n int, f func(w, i int)) {
	w = min(w, n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	if theCrew.run(w, n, f) {
		return
	}
	var wg sync.WaitGroup // the crew is busy: goroutines of their own
	chunk := (n + w - 1) / w
	for k := 0; k < w; k++ {
		lo, hi := k*chunk, min((k+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(k, i)
			}
		}()
	}
	wg.Wait()
}

// f32 returns the float32 data of a gorgonia value.
func f32(v G.Value) ([]float32, error) {
	t, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("want a dense tensor, got %T", v)
	}
	d, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("want float32 data, got %T", t.Data())
	}
	return d, nil
}

// f32s returns the float32 data of every input value.
func f32s(inputs []G.Value) ([][]float32, error) {
	out := make([][]float32, len(inputs))
	for i, v := range inputs {
		d, err := f32(v)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}

// layerGrads adds the backward node of a layer with weights and bias —
// back(x, w, gy) returns the input's gradient — and Picks for the weight
// and bias gradients it keeps.
func layerGrads(name string, back G.Op, gw, gb func() *tensor.Dense, inputs G.Nodes, grad *G.Node) (G.Nodes, error) {
	gx, err := G.ApplyOp(back, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	w, err := pick(gx, name+".gw", inputs[1].Shape(), gw)
	if err != nil {
		return nil, err
	}
	b, err := pick(gx, name+".gb", inputs[2].Shape(), gb)
	if err != nil {
		return nil, err
	}
	return G.Nodes{gx, w, b}, nil
}

// buffer is an op-owned output tensor, allocated on first use.
type buffer struct {
	t *tensor.Dense
}

func (b *buffer) get(shape ...int) (*tensor.Dense, []float32) {
	if b.t == nil {
		b.t = tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
	}
	return b.t, b.t.Data().([]float32)
}

func tt(dims int) G.TensorType { return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

func hashOf(s fmt.Stringer) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s.String()))
	return h.Sum32()
}

// base holds the methods every op here shares, and how many goroutines
// the op may use.
type base struct {
	workers int // 0: Workers
}

// SetWorkers limits the goroutines the op splits its work across (0: one
// per core, Workers). A scan that evaluates a point per core sets 1: the
// cores are busy already, and splitting only costs (each part of a GEMM
// packs the whole weight matrix).
func (b *base) SetWorkers(n int) { b.workers = n }

// par is the op's goroutine count.
func (b *base) par() int {
	if b.workers <= 0 {
		return Workers
	}
	return min(b.workers, Workers)
}

// each is forEach on the op's goroutines.
func (b *base) each(n int, f func(w, i int)) { forEachOn(b.par(), n, f) }

func (base) ReturnsPtr() bool     { return false }
func (base) CallsExtern() bool    { return false }
func (base) OverwritesInput() int { return -1 }

func writeHash(h hash.Hash, s fmt.Stringer) { fmt.Fprint(h, s.String()) }

// Pick hands out a tensor a backward op computed besides its result (a
// weight or bias gradient). Its one input is the backward node, so it runs
// after it.
type Pick struct {
	base
	name   string
	inDims int
	shape  tensor.Shape
	src    func() *tensor.Dense
}

func (p *Pick) Arity() int                                     { return 1 }
func (p *Pick) Type() hm.Type                                  { return hm.NewFnType(tt(p.inDims), tt(len(p.shape))) }
func (p *Pick) InferShape(...G.DimSizer) (tensor.Shape, error) { return p.shape.Clone(), nil }
func (p *Pick) Do(...G.Value) (G.Value, error)                 { return p.src(), nil }
func (p *Pick) WriteHash(h hash.Hash)                          { writeHash(h, p) }
func (p *Pick) Hashcode() uint32                               { return hashOf(p) }
func (p *Pick) String() string                                 { return fmt.Sprintf("Pick(%s %p)", p.name, p) }

// pick adds a Pick node reading src after the node after.
func pick(after *G.Node, name string, shape tensor.Shape, src func() *tensor.Dense) (*G.Node, error) {
	return G.ApplyOp(&Pick{name: name, inDims: after.Dims(), shape: shape, src: src}, after)
}
