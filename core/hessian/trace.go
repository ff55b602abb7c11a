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
	start := time.Now()
	n := op.Dim()
	r := rng.New(seed, rng.StreamHessian+2000)
	z := make([]float64, n)
	hz := make([]float64, n)
	var est TraceEstimate
	var mean, m2 float64 // Welford's running mean and sum of squared deviations
	for k := 1; k <= MaxProbes; k++ {
		for i := range z {
			if r.Uint64()&1 == 0 {
				z[i] = 1
			} else {
				z[i] = -1
			}
		}
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
		est = TraceEstimate{Value: mean, SE: se, Probes: k, Took: time.Since(start)}
		if k >= MinProbes && se <= TraceTolerance*math.Abs(mean) {
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
