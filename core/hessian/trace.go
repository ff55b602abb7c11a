package hessian

import (
	"context"
	"math"
	"time"

	"github.com/basin-dev/basin/core/rng"
)

// Hutchinson's stopping rule: stop once the standard error is under
// TraceTolerance of the estimate (after at least MinProbes vectors, so the
// error itself is estimated from enough samples), or at MaxProbes.
const (
	TraceTolerance = 0.01
	MinProbes      = 10
	MaxProbes      = 100
)

// TraceEstimate is Hutchinson's estimate of tr H: the mean of zᵀHz over
// Rademacher vectors z (entries ±1, E[zzᵀ] = I), with its standard error
// sd/√n.
type TraceEstimate struct {
	Value     float64       `json:"value"`
	SE        float64       `json:"se"`
	Probes    int           `json:"probes"`
	Converged bool          `json:"converged"`
	Took      time.Duration `json:"took_ns"`
}

// Trace estimates tr H with vectors drawn from seed (stream
// rng.StreamHessian + 2000). progress, if not nil, is called after every
// vector. On cancellation it returns the estimate so far with the
// context's error.
func Trace(ctx context.Context, op Operator, seed uint64, progress func(TraceEstimate)) (TraceEstimate, error) {
	return probe(ctx, op, rng.New(seed, rng.StreamHessian+2000), nil, 0, 0, time.Now(), progress)
}

// rademacher fills z with ±1 from r.
func rademacher(r *rng.Source, z []float64) {
	for i := range z {
		if r.Uint64()&1 == 0 {
			z[i] = 1
		} else {
			z[i] = -1
		}
	}
}

// probe is Hutchinson's estimator on (I − QQᵀ)H(I − QQᵀ) (on H for no
// q), added to exact, the part of the trace already known: the running
// mean of zᵀHz over Rademacher z (Welford's update) and its standard
// error, stopping at TraceTolerance after MinProbes or at MaxProbes.
// spent counts the products already taken, for Probes.
func probe(ctx context.Context, op Operator, r *rng.Source, q [][]float64, exact float64, spent int, start time.Time, progress func(TraceEstimate)) (TraceEstimate, error) {
	n := op.Dim()
	z, hz := make([]float64, n), make([]float64, n)
	var est TraceEstimate
	var mean, m2 float64 // Welford's running mean and sum of squared deviations
	for k := 1; k <= MaxProbes; k++ {
		rademacher(r, z)
		orthogonalize(z, q)
		if err := op.Apply(ctx, z, hz); err != nil {
			est.Took = time.Since(start)
			return est, err
		}
		x := dot(z, hz)
		d := x - mean
		mean += d / float64(k)
		m2 += d * (x - mean)
		se := 0.0
		if k > 1 {
			se = math.Sqrt(m2 / float64(k-1) / float64(k))
		}
		est = TraceEstimate{Value: exact + mean, SE: se, Probes: spent + k, Took: time.Since(start)}
		if k >= MinProbes && se <= TraceTolerance*math.Abs(est.Value) {
			est.Converged = true
		}
		if progress != nil {
			progress(est)
		}
		if est.Converged {
			break
		}
	}
	return est, nil
}

// SketchSize is how many vectors Hutch++ sketches H's dominant subspace
// with.
const SketchSize = 10

// TracePlusPlus estimates tr H by Hutch++ (Meyer, Musco, Musco and
// Woodruff 2021): H applied to SketchSize Rademacher vectors spans
// (nearly) its dominant eigenvectors Q; tr(QᵀHQ) is computed exactly, and
// Hutchinson's estimator runs on the rest, (I − QQᵀ)H(I − QQᵀ), whose
// variance no longer holds the outlying eigenvalues that dominate a
// Hessian's. It stops as Trace does, on the rest's standard error (the
// sketched part has none), after 2·SketchSize + probes products; Probes
// counts all of them. progress, if not nil, is told after every probe.
func TracePlusPlus(ctx context.Context, op Operator, seed uint64, progress func(TraceEstimate)) (TraceEstimate, error) {
	start := time.Now()
	n := op.Dim()
	k := min(SketchSize, n)
	r := rng.New(seed, rng.StreamHessian+2500)
	var est TraceEstimate
	var q [][]float64
	z := make([]float64, n)
	for j := 0; j < k; j++ {
		rademacher(r, z)
		hz := make([]float64, n)
		if err := op.Apply(ctx, z, hz); err != nil {
			return est, err
		}
		before := math.Sqrt(dot(hz, hz))
		orthogonalize(hz, q)
		orthogonalize(hz, q)                                                // twice: Gram–Schmidt loses orthogonality once
		if norm := math.Sqrt(dot(hz, hz)); norm > 1e-8*before && norm > 0 { // not already in the span
			for i := range hz {
				hz[i] /= norm
			}
			q = append(q, hz)
		}
	}
	exact := 0.0
	hq := make([]float64, n)
	for _, v := range q {
		if err := op.Apply(ctx, v, hq); err != nil {
			return est, err
		}
		exact += dot(v, hq)
	}
	return probe(ctx, op, r, q, exact, k+len(q), start, progress)
}
