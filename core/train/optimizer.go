package train

import (
	"fmt"
	"math"

	"github.com/basin-dev/basin/core/model"
)

// Optimizer updates parameters in place from their gradients.
type Optimizer interface {
	Step(p, grad model.Params)
}

// Optimizer names.
const (
	SGD  = "sgd"
	Adam = "adam"
)

// DefaultLR is the learning rate used when none is given.
func DefaultLR(optimizer string) float64 {
	if optimizer == Adam {
		return 0.001
	}
	return 0.05
}

// NewOptimizer returns the named optimizer for parameters laid out like p.
func NewOptimizer(name string, lr, momentum, weightDecay float64, p model.Params) (Optimizer, error) {
	switch name {
	case SGD:
		return &sgd{lr: lr, mu: momentum, wd: weightDecay, v: p.ZerosLike()}, nil
	case Adam:
		return &adam{lr: lr, b1: 0.9, b2: 0.999, eps: 1e-8, wd: weightDecay, m: p.ZerosLike(), v: p.ZerosLike()}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q: use sgd or adam", name)
}

// sgd is torch.optim.SGD: g += wd·w; v = μ·v + g; w -= lr·v.
type sgd struct {
	lr, mu, wd float64
	v          model.Params
}

func (o *sgd) Step(p, grad model.Params) {
	lr, mu, wd := float32(o.lr), float32(o.mu), float32(o.wd)
	for i := range p {
		if p[i].IsBuffer() {
			continue // batch norm's running statistics: training sets them
		}
		w, g, v := p[i].Data, grad[i].Data, o.v[i].Data
		for j := range w {
			gj := g[j] + wd*w[j]
			v[j] = mu*v[j] + gj
			w[j] -= lr * v[j]
		}
	}
}

// adam is torch.optim.Adam (L2 weight decay added to the gradient).
type adam struct {
	lr, b1, b2, eps, wd float64
	t                   int
	m, v                model.Params
}

func (o *adam) Step(p, grad model.Params) {
	o.t++
	c1 := 1 - math.Pow(o.b1, float64(o.t))
	c2 := 1 - math.Pow(o.b2, float64(o.t))
	b1, b2, wd := float32(o.b1), float32(o.b2), float32(o.wd)
	step := float32(o.lr / c1)
	sqrtC2 := float32(math.Sqrt(c2))
	eps := float32(o.eps)
	for i := range p {
		if p[i].IsBuffer() {
			continue
		}
		w, g, m, v := p[i].Data, grad[i].Data, o.m[i].Data, o.v[i].Data
		for j := range w {
			gj := g[j] + wd*w[j]
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			w[j] -= step * m[j] / (float32(math.Sqrt(float64(v[j])))/sqrtC2 + eps)
		}
	}
}
