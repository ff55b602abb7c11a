package hessian

import (
	"context"
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/basin-dev/basin/core/rng"
)

// matrixOp is an explicit symmetric matrix.
type matrixOp struct {
	n int
	a []float64
}

func (m *matrixOp) Dim() int { return m.n }
func (m *matrixOp) Apply(_ context.Context, v, hv []float64) error {
	for i := 0; i < m.n; i++ {
		hv[i] = dot(m.a[i*m.n:(i+1)*m.n], v)
	}
	return nil
}

// eigenvalues of a symmetric n×n matrix, ascending (gonum's LAPACK port).
func eigenvalues(t *testing.T, a []float64, n int) []float64 {
	t.Helper()
	var e mat.EigenSym
	if !e.Factorize(mat.NewSymDense(n, append([]float64(nil), a...)), false) {
		t.Fatal("eigen decomposition failed")
	}
	v := e.Values(nil)
	sort.Float64s(v)
	return v
}

// dominant is the eigenvalue of largest magnitude.
func dominant(vals []float64) float64 {
	if math.Abs(vals[0]) > math.Abs(vals[len(vals)-1]) {
		return vals[0]
	}
	return vals[len(vals)-1]
}

// quadratic is the Hessian Q·diag(d)·Qᵀ of f(x) = ½xᵀHx, with Q a random
// orthogonal matrix (a product of Householder reflections), so the
// eigenvalues are d and the eigenvectors are not the coordinate axes.
func quadratic(d []float64, seed uint64) *matrixOp {
	n := len(d)
	q := make([]float64, n*n)
	for i := 0; i < n; i++ {
		q[i*n+i] = 1
	}
	r := rng.New(seed, 7)
	for range 3 {
		u := make([]float64, n)
		for i := range u {
			u[i] = r.Norm()
		}
		orthonormalize(u, nil)
		for row := 0; row < n; row++ { // q ← q·(I − 2uuᵀ)
			s := dot(q[row*n:(row+1)*n], u)
			for j := range u {
				q[row*n+j] -= 2 * s * u[j]
			}
		}
	}
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			for k, dk := range d {
				a[i*n+j] += q[i*n+k] * dk * q[j*n+k]
			}
		}
	}
	return &matrixOp{n: n, a: a}
}

func TestTopAndBottomOfAKnownQuadratic(t *testing.T) {
	d := []float64{10, 6, 3, 1, 0.5, 0.25, 0, 0, -0.2, -1.5}
	op := quadratic(d, 1)
	ctx := context.Background()
	tight := Search{Tolerance: 1e-12, MaxIterations: 5000, Seed: 1}
	top, err := Top(ctx, op, 3, tight, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{10, 6, 3} {
		if math.Abs(top[i].Value-want) > 1e-6 || !top[i].Converged {
			t.Errorf("λ%d = %v (converged %v), want %v", i+1, top[i].Value, top[i].Converged, want)
		}
	}
	bottom, err := Bottom(ctx, op, top[0], tight)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(bottom.Value+1.5) > 1e-6 {
		t.Errorf("λmin = %v, want -1.5", bottom.Value)
	}

	// PyHessian's rule stops early; the residual bounds the error.
	def, err := Top(ctx, op, 1, DefaultSearch(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := def[0]
	if !e.Converged || e.Iterations >= MaxIterations || math.Abs(e.Value-10) > e.Residual+1e-12 {
		t.Errorf("default search: %v after %d iterations, residual %v", e.Value, e.Iterations, e.Residual)
	}
	if _, err := Top(ctx, op, 11, tight, nil); err == nil {
		t.Error("11 eigenvalues of a 10×10 matrix accepted")
	}
}

// Hutchinson's estimator: exact on a diagonal matrix (zᵀDz = tr D for
// every ±1 vector), and on a rotated one within a few standard errors of
// the true trace, with the standard error close to the theoretical
// √(2 Σ_{i≠j} H_ij² / n).
func TestTraceOfAKnownQuadratic(t *testing.T) {
	ctx := context.Background()
	diag := &matrixOp{n: 4, a: []float64{2, 0, 0, 0, 0, -1, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0.5}}
	est, err := Trace(ctx, diag, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if est.Value != 6.5 || est.SE != 0 || est.Probes != MinProbes || !est.Converged {
		t.Errorf("diagonal: %+v, want exactly 6.5 after %d probes", est, MinProbes)
	}

	d := []float64{10, 6, 3, 1, 0.5, 0.25, 0, 0, -0.2, -1.5}
	op := quadratic(d, 2)
	est, err = Trace(ctx, op, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := 19.05
	if math.Abs(est.Value-want) > 4*est.SE {
		t.Errorf("trace %v ± %v, want %v", est.Value, est.SE, want)
	}
	off := 0.0
	for i := 0; i < op.n; i++ {
		for j := 0; j < op.n; j++ {
			if i != j {
				off += op.a[i*op.n+j] * op.a[i*op.n+j]
			}
		}
	}
	theory := math.Sqrt(2 * off / float64(est.Probes))
	if est.SE < theory/2 || est.SE > theory*2 {
		t.Errorf("standard error %v after %d probes, theory %v", est.SE, est.Probes, theory)
	}
}

func TestRestrictIsTheDiagonalBlock(t *testing.T) {
	op := quadratic([]float64{4, 3, 2, 1, 0}, 5)
	sub, err := Restrict(op, Block{Name: "b", Lo: 1, Hi: 4})
	if err != nil {
		t.Fatal(err)
	}
	v := []float64{1, -2, 0.5}
	hv := make([]float64, 3)
	if err := sub.Apply(context.Background(), v, hv); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		want := 0.0
		for j := 0; j < 3; j++ {
			want += op.a[(i+1)*5+j+1] * v[j]
		}
		if math.Abs(hv[i]-want) > 1e-12 {
			t.Errorf("row %d: %v, want %v", i, hv[i], want)
		}
	}
	if _, err := Restrict(op, Block{Lo: 3, Hi: 9}); err == nil {
		t.Error("a block past the end accepted")
	}
}

// Hutch++ on a spectrum with outliers (as a Hessian's): within a few
// standard errors of the true trace, and to 1 % with fewer products than
// Hutchinson's estimator needs.
func TestHutchPlusPlusNeedsFewerProducts(t *testing.T) {
	d := make([]float64, 120)
	for i := range d {
		d[i] = 0.05 * math.Cos(float64(i)) // a bulk around 0
	}
	d[0], d[1], d[2], d[3] = 40, 25, 12, 6
	op := quadratic(d, 9)
	want := 0.0
	for _, x := range d {
		want += x
	}
	ctx := context.Background()
	pp, err := TracePlusPlus(ctx, op, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	hu, err := Trace(ctx, op, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(pp.Value-want) > 4*pp.SE+1e-9 || !pp.Converged {
		t.Errorf("Hutch++ %v ± %v (converged %v), true %v", pp.Value, pp.SE, pp.Converged, want)
	}
	if pp.Probes >= hu.Probes && hu.Converged || pp.SE >= hu.SE {
		t.Errorf("Hutch++ took %d products to ± %v, Hutchinson %d to ± %v (converged %v)", pp.Probes, pp.SE, hu.Probes, hu.SE, hu.Converged)
	}
	t.Logf("true %v: Hutch++ %v ± %v in %d products; Hutchinson %v ± %v in %d", want, pp.Value, pp.SE, pp.Probes, hu.Value, hu.SE, hu.Probes)
}
