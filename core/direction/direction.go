// Package direction draws the random directions a loss landscape is
// plotted along (Li et al. 2018, "Visualizing the Loss Landscape of Neural
// Nets").
//
// Data flows: the trained weights θ* and a Spec (seed, normalization,
// whether biases move) → a Gaussian direction per axis, drawn from its own
// seeded stream → for a plane, the second made orthogonal to the first →
// each normalized against θ*: per output filter (filter normalization, the
// default: conv output channels and dense output neurons), per tensor
// (layer, the report's Eq. 1) or not at all. Biases and other 1-D tensors
// get a zero direction unless Spec.Biases is set; batch-norm layers (γ, β
// and their running statistics) always do, as in Li et al.'s code. The same (θ*, Spec)
// always gives the same directions.
package direction

import (
	"fmt"
	"math"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/rng"
)

// Norm is a normalization scheme.
type Norm string

// The normalizations.
const (
	Filter Norm = "filter"
	Layer  Norm = "layer"
	None   Norm = "none"
)

// Norms lists them in the order a viewer cycles through.
var Norms = []Norm{Filter, Layer, None}

// ParseNorm validates a normalization name.
func ParseNorm(s string) (Norm, error) {
	for _, n := range Norms {
		if string(n) == s {
			return n, nil
		}
	}
	return "", fmt.Errorf("unknown normalization %q: use filter, layer or none", s)
}

// Spec determines a set of directions.
type Spec struct {
	Seed   uint64
	Norm   Norm
	Biases bool // give 1-D tensors (biases) a direction too
}

// Gaussian draws an unnormalized direction: standard normal values in the
// tensors that move, zeros in the others. Axis selects an independent
// stream (0 for δ, 1 for η).
func Gaussian(theta model.Params, spec Spec, axis int) model.Params {
	d := theta.ZerosLike()
	r := rng.New(spec.Seed, rng.StreamDirection+uint64(axis)*1000)
	bn := theta.InBatchNorm()
	for i := range d {
		if bn[i] || d[i].IsBias() && !spec.Biases {
			continue // batch norm never moves (Li et al. 2018)
		}
		for j := range d[i].Data {
			d[i].Data[j] = float32(r.Norm())
		}
	}
	return d
}

// Normalize rescales d against theta in place, per filter or per tensor.
func Normalize(d, theta model.Params, norm Norm) {
	if norm == None {
		return
	}
	for i := range d {
		groups := 1
		if norm == Filter {
			groups = d[i].Filters()
		}
		n := len(d[i].Data) / groups
		for f := 0; f < groups; f++ {
			df := d[i].Data[f*n : (f+1)*n]
			tf := theta[i].Data[f*n : (f+1)*n]
			dn, tn := norm2(df), norm2(tf)
			if dn == 0 {
				continue
			}
			s := float32(tn / dn)
			for j := range df {
				df[j] *= s
			}
		}
	}
}

func norm2(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// New returns one normalized direction δ (for a 1D scan).
func New(theta model.Params, spec Spec) model.Params {
	d := Gaussian(theta, spec, 0)
	Normalize(d, theta, spec.Norm)
	return d
}

// Plane returns two normalized directions δ, η for a 2D scan. η is made
// orthogonal to δ before normalization; normalization rescales filters, so
// the final directions are only nearly orthogonal: cos is their cosine.
func Plane(theta model.Params, spec Spec) (d, e model.Params, cos float64) {
	d = Gaussian(theta, spec, 0)
	e = Gaussian(theta, spec, 1)
	Orthogonalize(e, d)
	Normalize(d, theta, spec.Norm)
	Normalize(e, theta, spec.Norm)
	return d, e, Cosine(d, e)
}

// Orthogonalize removes from e its component along d: e ← e − (e·d / d·d) d.
func Orthogonalize(e, d model.Params) {
	dd := d.Dot(d)
	if dd == 0 {
		return
	}
	k := e.Dot(d) / dd
	for i := range e {
		for j := range e[i].Data {
			e[i].Data[j] = float32(float64(e[i].Data[j]) - k*float64(d[i].Data[j]))
		}
	}
}

// Cosine is d·e / (‖d‖‖e‖), 0 when either is zero.
func Cosine(d, e model.Params) float64 {
	n := d.Norm() * e.Norm()
	if n == 0 {
		return 0
	}
	return d.Dot(e) / n
}
