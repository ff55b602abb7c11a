package hessian

import (
	"context"
	"math"
	"time"

	"github.com/basin-dev/basin/core/rng"
)

// Density is the Hessian's eigenvalue density by stochastic Lanczos
// quadrature (Ghorbani et al. 2019; PyHessian's density): each run's
// Rademacher start vector z gives Lanczos's Ritz values θ_j (the nodes)
// with weights τ_j² (the first entries of T's eigenvectors), a quadrature
// of the measure Σ_i (zᵀu_i)² δ(λ − λ_i) whose expectation is the
// spectral density (1/n) Σ_i δ(λ − λ_i); the runs are averaged, and the
// density is the nodes smoothed by a Gaussian of width Sigma.
type Density struct {
	Runs    int       `json:"runs"`
	Steps   int       `json:"steps"`   // Lanczos steps per run
	Nodes   []float64 `json:"nodes"`   // every run's Ritz values
	Weights []float64 `json:"weights"` // theirs, summing to 1
	Sigma   float64   `json:"sigma"`   // the smoothing's standard deviation
	Grid    []float64 `json:"grid"`    // λ where the density is given
	Values  []float64 `json:"density"` // there, integrating to 1
	// What the density says: its extreme nodes (λ1 ≈ Max), the interval
	// holding the middle 90 % of the weight (the bulk), and the weight of
	// the negative eigenvalues: of the nodes below −NegativeBelow·|λ|max
	// (a bulk at zero spreads a hair either side of it).
	Min          float64       `json:"min"`
	Max          float64       `json:"max"`
	Bulk         [2]float64    `json:"bulk"`
	NegativeMass float64       `json:"negative_mass"`
	Products     int           `json:"hessian_vector_products"`
	Took         time.Duration `json:"took_ns"`
}

// NegativeBelow is how far below zero, relative to the spectrum's extent,
// a node counts as a negative eigenvalue.
const NegativeBelow = 1e-3

// DensityBins is how many points the density is given at.
const DensityBins = 1000

// SpectralDensity estimates the density from runs start vectors of steps
// Lanczos steps each, seeded (stream rng.StreamHessian + 4000 + run).
// progress, if not nil, is told each run done.
func SpectralDensity(ctx context.Context, op Operator, runs, steps int, seed uint64, progress func(run int)) (Density, error) {
	start := time.Now()
	n := op.Dim()
	d := Density{Runs: runs, Steps: min(steps, n)}
	for run := 0; run < runs; run++ {
		r := rng.New(seed, rng.StreamHessian+4000+uint64(run))
		z := make([]float64, n)
		rademacher(r, z)
		t, _, err := lanczos(ctx, op, z, d.Steps, nil)
		d.Products += len(t.a)
		if err != nil {
			return d, err
		}
		vals, vecs, err := t.ritz()
		if err != nil {
			return d, err
		}
		for j, v := range vals {
			tau := vecs.At(0, j)
			d.Nodes = append(d.Nodes, v)
			d.Weights = append(d.Weights, tau*tau/float64(runs))
		}
		if progress != nil {
			progress(run + 1)
		}
	}
	d.summarize()
	d.Took = time.Since(start)
	return d, nil
}

// summarize sets the smoothed density and what it says.
func (d *Density) summarize() {
	if len(d.Nodes) == 0 {
		return
	}
	d.Min, d.Max = math.Inf(1), math.Inf(-1)
	for _, v := range d.Nodes {
		d.Min, d.Max = math.Min(d.Min, v), math.Max(d.Max, v)
	}
	scale := math.Max(math.Abs(d.Min), math.Abs(d.Max))
	for i, v := range d.Nodes {
		if v < -NegativeBelow*scale {
			d.NegativeMass += d.Weights[i]
		}
	}
	span := math.Max(d.Max-d.Min, 1e-12)
	// PyHessian's kernel width: σ² = 1e-5 · max(1, λmax − λmin).
	d.Sigma = math.Sqrt(1e-5 * math.Max(1, span))
	lo, hi := d.Min-0.01*span-3*d.Sigma, d.Max+0.01*span+3*d.Sigma
	d.Grid, d.Values = make([]float64, DensityBins), make([]float64, DensityBins)
	step := (hi - lo) / float64(DensityBins-1)
	for k := range d.Grid {
		x := lo + float64(k)*step
		d.Grid[k] = x
		s := 0.0
		for i, v := range d.Nodes {
			u := (x - v) / d.Sigma
			s += d.Weights[i] * math.Exp(-u*u/2)
		}
		d.Values[k] = s / (d.Sigma * math.Sqrt(2*math.Pi))
	}
	// The bulk from the smoothed density's cumulative weight: the nodes
	// are discrete, and one of them often carries most of the weight.
	cdf, total := make([]float64, len(d.Grid)), 0.0
	for k := 1; k < len(d.Grid); k++ {
		total += (d.Values[k] + d.Values[k-1]) / 2 * (d.Grid[k] - d.Grid[k-1])
		cdf[k] = total
	}
	d.Bulk = [2]float64{d.Grid[0], d.Grid[len(d.Grid)-1]}
	for k := range cdf {
		if cdf[k] < 0.05*total {
			d.Bulk[0] = d.Grid[k]
		}
		if cdf[k] <= 0.95*total {
			d.Bulk[1] = d.Grid[min(k+1, len(d.Grid)-1)]
		}
	}
}
