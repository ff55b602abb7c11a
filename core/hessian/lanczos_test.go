package hessian

import (
	"context"
	"math"
	"testing"
)

// Lanczos finds both ends of a known spectrum at once, and converges where
// power iteration, on two nearly equal top eigenvalues, has not after as
// many products.
func TestLanczosFindsBothEnds(t *testing.T) {
	d := make([]float64, 60)
	for i := range d {
		d[i] = 0.5 * math.Sin(float64(i)) // a bulk in [−0.5, 0.5]
	}
	d[0], d[1], d[2], d[59] = 10, 9.9, 6, -3
	op := quadratic(d, 3)
	ctx := context.Background()
	s := Search{Tolerance: 1e-6, MaxIterations: 60, Seed: 2}
	top, bottom, err := LanczosExtremes(ctx, op, 3, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{10, 9.9, 6} {
		if math.Abs(top[i].Value-want) > 1e-6 || !top[i].Converged || top[i].Residual > 1e-5 {
			t.Errorf("λ%d = %v ± %v (converged %v), want %v", i+1, top[i].Value, top[i].Residual, top[i].Converged, want)
		}
	}
	if math.Abs(bottom.Value+3) > 1e-6 || !bottom.Converged {
		t.Errorf("λmin = %v ± %v, want -3", bottom.Value, bottom.Residual)
	}
	// The Ritz vector is an eigenvector: Hu = λu.
	hu := make([]float64, op.n)
	op.Apply(ctx, top[0].Vector, hu)
	res := 0.0
	for i := range hu {
		res += (hu[i] - top[0].Value*top[0].Vector[i]) * (hu[i] - top[0].Value*top[0].Vector[i])
	}
	if math.Sqrt(res) > 1e-5 {
		t.Errorf("‖Hu − λu‖ = %v", math.Sqrt(res))
	}
	pw, err := Top(ctx, op, 1, Search{Tolerance: 1e-9, MaxIterations: top[0].Iterations, Seed: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(pw[0].Value-10) < 1e-3 {
		t.Errorf("power iteration found λ1 in the %d products Lanczos took: the test shows nothing", top[0].Iterations)
	}
}

// Stochastic Lanczos quadrature: the weights sum to 1, their mean is the
// trace over n, the negative mass is the share of negative eigenvalues,
// and the density integrates to 1.
func TestSpectralDensityOfAKnownSpectrum(t *testing.T) {
	n := 200
	d := make([]float64, n)
	for i := range d {
		d[i] = -1 + 3*float64(i)/float64(n-1) // uniform in [−1, 2]: a third negative
	}
	op := quadratic(d, 5)
	dens, err := SpectralDensity(context.Background(), op, 8, 40, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, mean := 0.0, 0.0
	for i, w := range dens.Weights {
		sum += w
		mean += w * dens.Nodes[i]
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("weights sum to %v", sum)
	}
	if math.Abs(mean-0.5) > 0.05 { // tr H / n = 0.5
		t.Errorf("the weighted mean of the nodes is %v, want 0.5", mean)
	}
	if math.Abs(dens.NegativeMass-1.0/3) > 0.06 {
		t.Errorf("negative mass %v, want 1/3", dens.NegativeMass)
	}
	if math.Abs(dens.Max-2) > 1e-3 || math.Abs(dens.Min+1) > 1e-3 {
		t.Errorf("the extreme nodes %v and %v, want -1 and 2", dens.Min, dens.Max)
	}
	integral := 0.0
	for k := 1; k < len(dens.Grid); k++ {
		integral += (dens.Values[k] + dens.Values[k-1]) / 2 * (dens.Grid[k] - dens.Grid[k-1])
	}
	if math.Abs(integral-1) > 0.01 {
		t.Errorf("the density integrates to %v", integral)
	}
	if dens.Bulk[0] > -0.7 || dens.Bulk[1] < 1.7 {
		t.Errorf("bulk %v of a uniform [-1, 2]", dens.Bulk)
	}
}

// TopLanczos stops by Top's rule but on the Krylov space's best estimate:
// on two close top eigenvalues it finds λ1 in fewer products than power
// iteration at the same tolerance, as close; from λ1's own vector it stops
// after two products.
func TestTopLanczosNeedsFewerProducts(t *testing.T) {
	d := make([]float64, 80)
	for i := range d {
		d[i] = 0.5 * math.Sin(float64(i))
	}
	d[0], d[1], d[2] = 10, 9.5, 9
	op := quadratic(d, 5)
	ctx := context.Background()
	s := Search{Tolerance: 1e-3, MaxIterations: 100, Seed: 4}
	lz, err := TopLanczos(ctx, op, s)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := Top(ctx, op, 1, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !lz.Converged || lz.Iterations >= pw[0].Iterations || math.Abs(lz.Value-10) > math.Abs(pw[0].Value-10)+1e-9 {
		t.Errorf("Lanczos λ1 %v in %d products, power iteration %v in %d", lz.Value, lz.Iterations, pw[0].Value, pw[0].Iterations)
	}
	hu := make([]float64, op.n)
	op.Apply(ctx, lz.Vector, hu)
	res := 0.0
	for i := range hu {
		res += (hu[i] - lz.Value*lz.Vector[i]) * (hu[i] - lz.Value*lz.Vector[i])
	}
	if math.Abs(math.Sqrt(res)-lz.Residual) > 1e-6*lz.Value {
		t.Errorf("residual %v, reported %v", math.Sqrt(res), lz.Residual)
	}
	s.Start = lz.Vector
	again, err := TopLanczos(ctx, op, s)
	if err != nil {
		t.Fatal(err)
	}
	if again.Iterations != 2 || math.Abs(again.Value-lz.Value) > 1e-3*lz.Value {
		t.Errorf("from λ1's vector: %v in %d products", again.Value, again.Iterations)
	}
}
