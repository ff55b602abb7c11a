package sharpness

import (
	"context"
	"math"
	"time"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/rng"
)

// Objective is a loss over parameters with its gradient: the network on
// its evaluation images, or a function with a known answer in tests.
type Objective interface {
	// LossGrad returns the loss at p and writes its gradient into grad
	// (laid out like p).
	LossGrad(p, grad model.Params) (float64, error)
}

// NetObjective is the mean cross-entropy of a network on a fixed set of
// images.
type NetObjective struct {
	g    *model.Gradient
	Eval *data.Dataset
}

// NewNetObjective returns the objective of arch on the images; Close it.
func NewNetObjective(arch model.Arch, eval *data.Dataset) *NetObjective {
	return &NetObjective{g: model.NewGradient(arch), Eval: eval}
}

// LossGrad implements Objective.
func (o *NetObjective) LossGrad(p, grad model.Params) (float64, error) {
	o.g.Params.CopyFrom(p)
	l, err := o.g.Compute(o.Eval)
	if err != nil {
		return 0, err
	}
	grad.CopyFrom(o.g.Grad)
	return l, nil
}

// Close releases the graphs.
func (o *NetObjective) Close() { o.g.Close() }

// Epsilon is ε-sharpness (Keskar et al. 2017, eq. 4): the largest relative
// rise of the loss within a box around θ*,
//
//	100 · (max_{Δ ∈ C} L(θ* + Δ) − L(θ*)) / (1 + L(θ*)),  C = {|Δ_i| ≤ ε(|θ*_i| + 1)},
//
// found by projected sign-gradient ascent (the ℓ∞ ascent that fits a box)
// from a seeded random point of the box. Like Keskar et al.'s L-BFGS-B it
// finds a local maximum, so the value is a lower bound of the true one.
type Epsilon struct {
	Epsilon    float64       `json:"epsilon"`
	Sharpness  float64       `json:"sharpness"` // the percentage above
	Centre     float64       `json:"centre_loss"`
	Max        float64       `json:"max_loss"`
	Iterations int           `json:"iterations"`
	Took       time.Duration `json:"took_ns"`
}

// EpsilonIterations is how many ascent steps EpsilonSharpness takes: the
// step is a quarter of the box, so the walls are reached in four and the
// rest refine the corner.
const EpsilonIterations = 20

// EpsilonSharpness measures ε-sharpness of obj around theta (not
// modified). Cancelled, it returns what it has found so far with ctx's
// error.
func EpsilonSharpness(ctx context.Context, obj Objective, theta model.Params, eps float64, seed uint64) (Epsilon, error) {
	start := time.Now()
	res := Epsilon{Epsilon: eps}
	grad := theta.ZerosLike()
	centre, err := obj.LossGrad(theta, grad)
	if err != nil {
		return res, err
	}
	res.Centre, res.Max = centre, centre
	// Box half-widths, and a start inside the box so that a zero gradient
	// at θ* (an exact minimum) cannot stall the ascent.
	r := theta.ZerosLike()
	delta := theta.ZerosLike()
	u := rng.New(seed, rng.StreamSharpness)
	for i, t := range theta {
		for j, v := range t.Data {
			r[i].Data[j] = float32(eps * (math.Abs(float64(v)) + 1))
			delta[i].Data[j] = float32((2*u.Float64() - 1) * float64(r[i].Data[j]))
		}
	}
	p := theta.Clone()
	for it := 0; it < EpsilonIterations; it++ {
		if err := ctx.Err(); err != nil {
			res.finish(start)
			return res, err
		}
		for i, t := range p {
			for j := range t.Data {
				t.Data[j] = theta[i].Data[j] + delta[i].Data[j]
			}
		}
		l, err := obj.LossGrad(p, grad)
		if err != nil {
			return res, err
		}
		res.Iterations = it + 1
		res.Max = math.Max(res.Max, l)
		for i, t := range delta {
			for j, d := range t.Data {
				g, w := grad[i].Data[j], r[i].Data[j]
				switch {
				case g > 0:
					d += w / 4
				case g < 0:
					d -= w / 4
				}
				t.Data[j] = min(max(d, -w), w)
			}
		}
	}
	res.finish(start)
	return res, nil
}

func (e *Epsilon) finish(start time.Time) {
	e.Sharpness = 100 * (e.Max - e.Centre) / (1 + e.Centre)
	e.Took = time.Since(start)
}
