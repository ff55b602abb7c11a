package hessian

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/basin-dev/basin/core/rng"
)

// Lanczos builds, from one start vector, an orthonormal basis Q of the
// Krylov space of H and the tridiagonal T = QᵀHQ; T's eigenvalues (Ritz
// values) approach H's extreme eigenvalues at both ends at once, far
// sooner than power iteration approaches one, and its eigenvectors' first
// entries weigh each Ritz value for the spectral density (stochastic
// Lanczos quadrature). Every new basis vector is orthogonalised against
// all before it (full reorthogonalisation), so no eigenvalue comes back as
// a spurious copy; that costs the basis in memory (steps × parameters).

// tridiagonal is T: its diagonal a and off-diagonal b (len(b) = len(a)−1),
// and bNext = β after the last step, which bounds the Ritz residuals.
type tridiagonal struct {
	a, b  []float64
	bNext float64
}

// lanczos runs up to steps steps from v0 (normalised here), keeping the
// basis. It stops early when the Krylov space is exhausted (β ≈ 0: T's
// eigenvalues are then exact eigenvalues of H) or when stop, asked after
// each step with T so far, says so.
func lanczos(ctx context.Context, op Operator, v0 []float64, steps int, stop func(t tridiagonal) bool) (tridiagonal, [][]float64, error) {
	n := op.Dim()
	var t tridiagonal
	q := append([]float64(nil), v0...)
	if nv := math.Sqrt(dot(q, q)); nv > 0 {
		for i := range q {
			q[i] /= nv
		}
	}
	basis := [][]float64{q}
	w := make([]float64, n)
	for k := 0; k < steps; k++ {
		if err := op.Apply(ctx, basis[k], w); err != nil {
			return t, basis, err
		}
		alpha := dot(w, basis[k])
		t.a = append(t.a, alpha)
		for pass := 0; pass < 2; pass++ { // twice is enough (Kahan, Parlett)
			for _, qj := range basis {
				c := dot(w, qj)
				for i := range w {
					w[i] -= c * qj[i]
				}
			}
		}
		beta := math.Sqrt(dot(w, w))
		t.bNext = beta
		if stop != nil && stop(t) || beta <= 1e-10*math.Max(math.Abs(alpha), 1) || k == steps-1 || len(basis) == n {
			break
		}
		next := make([]float64, n)
		for i := range w {
			next[i] = w[i] / beta
		}
		t.b = append(t.b, beta)
		basis = append(basis, next)
	}
	return t, basis, nil
}

// ritz are T's eigenvalues, ascending, and eigenvectors (columns).
func (t tridiagonal) ritz() ([]float64, *mat.Dense, error) {
	m := len(t.a)
	sym := mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		sym.SetSym(i, i, t.a[i])
		if i+1 < m {
			sym.SetSym(i, i+1, t.b[i])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, nil, fmt.Errorf("the Lanczos tridiagonal's eigen-decomposition failed")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	return eig.Values(nil), &vecs, nil
}

// LanczosMemory bounds the Lanczos basis kept in memory (its vectors are
// as long as the model).
const LanczosMemory = 512 << 20

// LanczosSteps is the most Lanczos steps whose basis fits LanczosMemory
// for dim parameters (at least 10).
func LanczosSteps(dim int) int { return max(LanczosMemory/(8*max(dim, 1)), 10) }

// LanczosExtremes finds the k eigenvalues of largest magnitude and the
// smallest one (λmin) by Lanczos with full reorthogonalisation, from one
// seeded start vector, adding steps until every one's residual ‖Hu − θu‖
// is under s.Tolerance·|λ1| or s.MaxIterations products are spent. Each
// Eigen's Residual is that bound, exact for the Ritz pair returned;
// Iterations is the products spent (shared by all). done, if not nil, is
// told the estimates after every product.
func LanczosExtremes(ctx context.Context, op Operator, k int, s Search, done func(top []Eigen, bottom Eigen)) ([]Eigen, Eigen, error) {
	start := time.Now()
	n := op.Dim()
	if k < 1 || k > n {
		return nil, Eigen{}, fmt.Errorf("top eigenvalues: k = %d for a %d×%d matrix", k, n, n)
	}
	r := rng.New(s.Seed, rng.StreamHessian+3000)
	v0 := make([]float64, n)
	for i := range v0 {
		v0[i] = r.Norm()
	}
	var top []Eigen
	var bottom Eigen
	pairs := func(t tridiagonal) ([]Eigen, Eigen, error) {
		vals, vecs, err := t.ritz()
		if err != nil {
			return nil, Eigen{}, err
		}
		m := len(vals)
		order := make([]int, m) // by magnitude, largest first
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(x, y int) bool { return math.Abs(vals[order[x]]) > math.Abs(vals[order[y]]) })
		pair := func(i int) Eigen {
			return Eigen{Value: vals[i], Residual: math.Abs(t.bNext * vecs.At(m-1, i)), Iterations: m}
		}
		var tp []Eigen
		for _, i := range order[:min(k, m)] {
			tp = append(tp, pair(i))
		}
		return tp, pair(0), nil
	}
	converged := func(tp []Eigen, bt Eigen) bool {
		if len(tp) < k {
			return false
		}
		bound := s.Tolerance * math.Abs(tp[0].Value)
		for _, e := range append(tp, bt) {
			if e.Residual > bound {
				return false
			}
		}
		return true
	}
	var stepErr error
	t, basis, err := lanczos(ctx, op, v0, min(s.MaxIterations, n), func(t tridiagonal) bool {
		tp, bt, err := pairs(t)
		if err != nil {
			stepErr = err
			return true
		}
		top, bottom = tp, bt
		if done != nil {
			done(tp, bt)
		}
		return converged(tp, bt)
	})
	if err == nil {
		err = stepErr
	}
	if err != nil {
		return top, bottom, err
	}
	vals, vecs, err := t.ritz()
	if err != nil {
		return top, bottom, err
	}
	top, bottom, _ = pairs(t)
	ok := converged(top, bottom) || len(t.b)+1 == n || t.bNext <= 1e-10
	// The Ritz vectors u = Q·y, for what needs the eigenvectors (per-layer
	// start vectors, tracking).
	vector := func(value float64) []float64 {
		col := sort.SearchFloat64s(vals, value)
		for col < len(vals)-1 && vals[col] != value {
			col++
		}
		u := make([]float64, n)
		for j, q := range basis[:len(vals)] {
			c := vecs.At(j, col)
			for i := range u {
				u[i] += c * q[i]
			}
		}
		return u
	}
	took := time.Since(start)
	for i := range top {
		top[i].Converged, top[i].Took, top[i].Vector = ok, took, vector(top[i].Value)
	}
	bottom.Converged, bottom.Took, bottom.Vector = ok, took, vector(bottom.Value)
	return top, bottom, nil
}

// TopLanczos finds λ1, the eigenvalue of largest magnitude, by Lanczos
// from s.Start (when given: the last λ1's vector, for sharpness tracked
// along training) or a seeded vector, stopping as Top does (PyHessian's
// rule: the estimate moved by less than s.Tolerance, relatively) but on
// the largest Ritz value, which after k products is the best estimate in
// the whole k-dimensional Krylov space where power iteration has its
// last vector: it never needs more products than Top, and on close top
// eigenvalues far fewer. The basis is kept within LanczosMemory.
func TopLanczos(ctx context.Context, op Operator, s Search) (Eigen, error) {
	start := time.Now()
	n := op.Dim()
	v0 := make([]float64, n)
	if len(s.Start) == n && dot(s.Start, s.Start) > 0 {
		copy(v0, s.Start)
	} else {
		r := rng.New(s.Seed, rng.StreamHessian)
		for i := range v0 {
			v0[i] = r.Norm()
		}
	}
	var best Eigen
	prev, converged := math.NaN(), false
	var stepErr error
	largest := func(t tridiagonal) (Eigen, int, []float64, *mat.Dense, error) {
		vals, vecs, err := t.ritz()
		if err != nil {
			return Eigen{}, 0, nil, nil, err
		}
		at := 0
		for i, v := range vals {
			if math.Abs(v) > math.Abs(vals[at]) {
				at = i
			}
		}
		m := len(vals)
		return Eigen{Value: vals[at], Residual: math.Abs(t.bNext * vecs.At(m-1, at)), Iterations: m}, at, vals, vecs, nil
	}
	t, basis, err := lanczos(ctx, op, v0, min(s.MaxIterations, n, LanczosSteps(n)), func(t tridiagonal) bool {
		e, _, _, _, err := largest(t)
		if err != nil {
			stepErr = err
			return true
		}
		best = e
		if s.Step != nil {
			s.Step(e)
		}
		converged = math.Abs(e.Value-prev) < s.Tolerance*(math.Abs(prev)+1e-6)
		prev = e.Value
		return converged
	})
	if err == nil {
		err = stepErr
	}
	if err != nil {
		return best, err
	}
	e, at, vals, vecs, err := largest(t)
	if err != nil {
		return best, err
	}
	u := make([]float64, n) // the Ritz vector Q·y
	for j, q := range basis[:len(vals)] {
		c := vecs.At(j, at)
		for i := range u {
			u[i] += c * q[i]
		}
	}
	e.Converged = converged || t.bNext <= 1e-10 || len(vals) == n // or the Krylov space is exhausted: T's values are exact
	e.Took, e.Vector = time.Since(start), u
	return e, nil
}
