package hessian

import (
	"context"
	"fmt"
	"math"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/ops"
)

// How many images one R-operator pass holds at a time: as many as fit
// batchBytes of activations, their R-values and both gradients (the
// standard net's pass is ~2 MB an image, small's ~0.3 MB), and at least
// minBatch, enough rows for the dense layers' products. Fewer, larger
// passes cost less in hand-offs between cores and in packing the dense
// layers' weights: standard's products ran 7 % faster at 64 than at 32
// (three interleaved pairs; peak RSS 197 MB against 172 MB), 8 % more at
// 128 (287 MB).
const (
	minBatch   = 64
	maxBatch   = 256
	batchBytes = 48 << 20
)

// Product applies the Hessian of a network's mean cross-entropy over a
// fixed set of images to vectors (Pearlmutter's R-operator, see the
// package doc). Vectors are flat, in the order of the Params' tensors.
// Not safe for concurrent use: one Product per goroutine.
type Product struct {
	Arch   model.Arch
	params model.Params
	set    *data.Dataset
	stages []*stage
	offset []int // where each parameter tensor starts in a flat vector
	dim    int

	batch   int          // images per pass
	x0      []float32    // the batch's images
	inputs  *data.Inputs // how an image becomes x0's values
	tangent model.Params // v as float32 tensors
	work    []*scratch   // per worker
	workers int

	// known: the stages hold this θ's values for the whole set, which is
	// one pass: the next Apply computes only the R-values forward (the
	// values do not depend on v; tracking on 128 images gains most).
	known bool

	loss     float64   // mean loss at θ, from the last Apply
	losses   []float64 // the pass's per-image losses
	Products int       // Hessian-vector products computed so far
}

// NewProduct returns the Hessian of arch at params over every image of set.
// The weights are copied: later changes to params do not affect it.
func NewProduct(arch model.Arch, params model.Params, set *data.Dataset) (*Product, error) {
	if err := arch.NewParams().SameLayout(params); err != nil {
		return nil, fmt.Errorf("hessian of %s: %w", arch.Preset, err)
	}
	if set.Len() == 0 {
		return nil, fmt.Errorf("hessian of %s: no images", arch.Preset)
	}
	if err := arch.Fits(set); err != nil {
		return nil, fmt.Errorf("hessian of %s: %w", arch.Preset, err)
	}
	p := &Product{Arch: arch, params: params.Clone(), set: set, workers: max(1, ops.Workers), inputs: arch.Norm.Inputs()}
	for _, t := range p.params {
		if t.IsBuffer() { // batch norm's statistics: not a parameter
			p.offset = append(p.offset, -1)
			continue
		}
		p.offset = append(p.offset, p.dim)
		p.dim += len(t.Data)
	}
	p.tangent = p.params.ZerosLike()
	if err := p.build(); err != nil {
		return nil, fmt.Errorf("hessian of %s: %w", arch.Preset, err)
	}
	return p, nil
}

// SetParams copies new weights in (same layout): the Hessian at another
// point of a training run, with no new buffers.
func (p *Product) SetParams(params model.Params) error {
	if err := p.params.SameLayout(params); err != nil {
		return fmt.Errorf("hessian of %s: %w", p.Arch.Preset, err)
	}
	p.params.CopyFrom(params)
	p.known = false
	return nil
}

// Dim is the number of parameters.
func (p *Product) Dim() int { return p.dim }

// Images is the number of images the loss is averaged over.
func (p *Product) Images() int { return p.set.Len() }

// Loss is the mean loss at θ, known after the first Apply.
func (p *Product) Loss() float64 { return p.loss }

// Apply writes Hv into hv.
func (p *Product) Apply(ctx context.Context, v, hv []float64) error {
	if len(v) != p.dim || len(hv) != p.dim {
		return fmt.Errorf("hessian-vector product: vectors of %d and %d values for %d parameters", len(v), len(hv), p.dim)
	}
	for i, t := range p.tangent {
		if p.offset[i] < 0 {
			continue // zero
		}
		for j := range t.Data {
			t.Data[j] = float32(v[p.offset[i]+j])
		}
	}
	for _, s := range p.stages {
		if s.fast != nil {
			w, v, bias, vb := p.weights(s)
			s.fast.SetWeights(w, v, bias, vb)
		}
	}
	clear(hv)
	total := p.set.Len()
	loss := 0.0
	for start := 0; start < total; start += p.batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		nb := min(p.batch, total-start)
		if !p.known {
			for b := 0; b < nb; b++ {
				p.inputs.Image(p.set, start+b, p.x0[b*p.Arch.Input.Size():])
			}
		}
		p.forward(nb, p.known)
		loss += p.lossBackward(start, nb, total)
		p.backward(nb)
	}
	p.known = total <= p.batch
	p.collect(hv)
	p.loss = loss / float64(total)
	p.Products++
	return nil
}

// collect adds R{∂L/∂θ} from every worker into hv (float32 sums over
// the images, as training's gradients are) and clears the workers' sums.
func (p *Product) collect(hv []float64) {
	for _, s := range p.stages {
		for k, t := range s.tensors {
			dst := hv[p.offset[t]:]
			for _, acc := range s.acc[k] {
				for j, x := range acc {
					dst[j] += float64(x)
				}
				clear(acc)
			}
		}
	}
}

// lossBackward computes the loss of the batch's logits and seeds the
// backward passes: for image i with softmax p and label y, the gradient of
// the mean loss over all total images is (p − e_y)/total, and its R-value
// p ⊙ (R{z} − ⟨p, R{z}⟩)/total. Returns the batch's summed loss.
func (p *Product) lossBackward(start, nb, total int) float64 {
	last := p.stages[len(p.stages)-1]
	classes := last.out
	if cap(p.losses) < nb {
		p.losses = make([]float64, p.batch)
	}
	losses := p.losses[:nb] // per image, summed in order below: the same bits every time
	inv := 1 / float64(total)
	ops.ForEach(nb, func(_, i int) {
		z := last.y[i*classes : (i+1)*classes]
		zd := last.yd[i*classes : (i+1)*classes]
		g := last.gy[i*classes : (i+1)*classes]
		r := last.ry[i*classes : (i+1)*classes]
		label := int(p.set.Labels[start+i])
		lse := ops.LogSumExp(z)
		s := 0.0
		for j, v := range z {
			pj := math.Exp(float64(v) - lse)
			g[j] = float32(pj * inv)
			s += pj * float64(zd[j])
		}
		g[label] -= float32(inv)
		for j, v := range z {
			pj := math.Exp(float64(v) - lse)
			r[j] = float32(pj * (float64(zd[j]) - s) * inv)
		}
		losses[i] = lse - float64(z[label])
	})
	sum := 0.0
	for _, l := range losses {
		sum += l
	}
	return sum
}
