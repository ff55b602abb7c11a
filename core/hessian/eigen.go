package hessian

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/basin-dev/basin/core/rng"
)

// Operator is a symmetric matrix applied to vectors.
type Operator interface {
	Dim() int
	Apply(ctx context.Context, v, hv []float64) error
}

// Tolerance and MaxIterations are PyHessian's stopping rule for power
// iteration: stop when the eigenvalue changes by less than Tolerance
// relative to its last value, or after MaxIterations products.
const (
	Tolerance     = 1e-3
	MaxIterations = 100
)

// Search says how a power iteration runs.
type Search struct {
	Tolerance     float64
	MaxIterations int
	Seed          uint64 // start vectors: rng.StreamHessian + index
	// Step, if not nil, is told the estimate after every product.
	Step func(Eigen)
	// Start, if not nil, is the first eigenvector's start instead of a
	// random vector: the last one found, when the matrix changed little
	// (sharpness tracked along training converges in a few products).
	Start []float64
}

// DefaultSearch is PyHessian's rule with seed 1.
func DefaultSearch() Search {
	return Search{Tolerance: Tolerance, MaxIterations: MaxIterations, Seed: 1}
}

// Eigen is one eigenvalue found by power iteration, with how it was found
// and its error bar: a symmetric matrix has an eigenvalue within Residual
// = ‖Hv − λv‖ (v of unit length) of Value.
type Eigen struct {
	Value      float64       `json:"value"`
	Residual   float64       `json:"residual"`
	Iterations int           `json:"iterations"`
	Converged  bool          `json:"converged"`
	Took       time.Duration `json:"took_ns"`
	Vector     []float64     `json:"-"`
}

// Top returns the k eigenvalues of largest magnitude, in the order found,
// by power iteration, each started from a seeded Gaussian vector and kept
// orthogonal to the eigenvectors already found (deflation, as PyHessian
// does). done, if not nil, is called after each one. On cancellation it
// returns what it has with the context's error.
func Top(ctx context.Context, op Operator, k int, s Search, done func(i int, e Eigen)) ([]Eigen, error) {
	if k < 1 || k > op.Dim() {
		return nil, fmt.Errorf("top eigenvalues: k = %d for a %d×%d matrix", k, op.Dim(), op.Dim())
	}
	var found []Eigen
	var basis [][]float64
	for i := 0; i < k; i++ {
		e, err := power(ctx, op, 0, basis, s, uint64(i), func(prev, cur, _ float64) bool {
			return math.Abs(cur-prev) < s.Tolerance*(math.Abs(prev)+1e-6) // PyHessian's rule
		})
		if err != nil {
			return found, err
		}
		found = append(found, e)
		basis = append(basis, e.Vector)
		if done != nil {
			done(i, e)
		}
	}
	return found, nil
}

// Bottom returns the other end of the spectrum from top: the dominant
// eigenvalue μ of H − λ1·I gives λ1 + μ, the smallest eigenvalue when λ1
// is the largest (Li et al. 2018 map min/max eigenvalue ratios this way).
// Its start vector comes from stream index 1000.
//
// It stops on the residual, not on the change of μ: μ is near −λ1 from the
// first product, so μ's relative change is tiny long before λmin is
// found. It stops once ‖Hv − λv‖ ≤ Tolerance·|λ1|, which puts an
// eigenvalue of H within Tolerance·|λ1| of the answer.
func Bottom(ctx context.Context, op Operator, top Eigen, s Search) (Eigen, error) {
	bound := s.Tolerance * math.Abs(top.Value)
	if step := s.Step; step != nil {
		s.Step = func(e Eigen) { e.Value += top.Value; step(e) }
	}
	e, err := power(ctx, op, top.Value, nil, s, 1000, func(_, _, residual float64) bool { return residual <= bound })
	if err != nil {
		return Eigen{}, err
	}
	e.Value += top.Value
	return e, nil
}

// power runs power iteration on H − shift·I, orthogonal to basis, until
// stop(previous, current, residual) or s.MaxIterations.
func power(ctx context.Context, op Operator, shift float64, basis [][]float64, s Search, index uint64, stop func(prev, cur, residual float64) bool) (Eigen, error) {
	start := time.Now()
	n := op.Dim()
	r := rng.New(s.Seed, rng.StreamHessian+index)
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Norm()
	}
	if index == 0 && len(s.Start) == n && dot(s.Start, s.Start) > 0 {
		copy(v, s.Start)
	}
	hv := make([]float64, n)
	e := Eigen{Value: math.NaN()}
	orthonormalize(v, basis)
	for it := 1; it <= s.MaxIterations; it++ {
		if err := op.Apply(ctx, v, hv); err != nil {
			return e, err
		}
		for i := range hv {
			hv[i] -= shift * v[i]
		}
		orthogonalize(hv, basis)
		lambda := dot(v, hv)
		res := 0.0
		for i := range hv {
			d := hv[i] - lambda*v[i]
			res += d * d
		}
		prev := e.Value
		e.Value, e.Residual, e.Iterations = lambda, math.Sqrt(res), it
		e.Vector = append(e.Vector[:0], v...)
		if s.Step != nil {
			s.Step(e)
		}
		if it > 1 && stop(prev, lambda, e.Residual) {
			e.Converged = true
			break
		}
		norm := math.Sqrt(dot(hv, hv))
		if norm == 0 { // v is in the null space: 0 is its eigenvalue
			e.Converged = true
			break
		}
		for i := range v {
			v[i] = hv[i] / norm
		}
		orthonormalize(v, basis)
	}
	e.Took = time.Since(start)
	return e, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// orthogonalize removes v's components along the (unit, orthogonal) basis.
func orthogonalize(v []float64, basis [][]float64) {
	for _, u := range basis {
		d := dot(v, u)
		for i := range v {
			v[i] -= d * u[i]
		}
	}
}

func orthonormalize(v []float64, basis [][]float64) {
	orthogonalize(v, basis)
	if norm := math.Sqrt(dot(v, v)); norm > 0 {
		for i := range v {
			v[i] /= norm
		}
	}
}
