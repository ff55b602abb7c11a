package hessian

import (
	"context"
	"math"
	"testing"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/rng"
)

func testImages(t testing.TB, n int) *data.Dataset {
	t.Helper()
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := data.SampleIndices(src.Train.Len(), n, 11)
	if err != nil {
		t.Fatal(err)
	}
	return src.Train.Subset(idx)
}

func gaussian(n int, seed uint64) []float64 {
	r := rng.New(seed, 99)
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Norm()
	}
	orthonormalize(v, nil)
	return v
}

func relErr(got, want []float64) float64 {
	var d, w float64
	for i := range got {
		d += (got[i] - want[i]) * (got[i] - want[i])
		w += want[i] * want[i]
	}
	return math.Sqrt(d / w)
}

// fdStep is the step of the central differences of float64 gradients:
// truncation error ~h² and rounding ~1e-16/h are both far below 1e-3 at
// 1e-5, and a step this small crosses a ReLU kink or changes a pooling
// window's maximum only if a pre-activation sits within ~1e-5 of a tie.
const fdStep = 1e-5

// hvByDifferences is (∇L(θ+hv) − ∇L(θ−hv)) / 2h in float64.
func hvByDifferences(r *ref64, theta, v []float64, set *data.Dataset) []float64 {
	plus, minus := make([]float64, len(theta)), make([]float64, len(theta))
	for i := range theta {
		plus[i] = theta[i] + fdStep*v[i]
		minus[i] = theta[i] - fdStep*v[i]
	}
	_, gp := r.grad(plus, set)
	_, gm := r.grad(minus, set)
	out := make([]float64, len(theta))
	for i := range out {
		out[i] = (gp[i] - gm[i]) / (2 * fdStep)
	}
	return out
}

// The R-operator's Hv, in float32, must match differences of float64
// gradients along random directions to 1e-3, for every layer kind of every
// preset (conv with and without padding, max pooling, dense, ReLU).
func TestProductMatchesFloat64Differences(t *testing.T) {
	for _, tc := range []struct {
		preset string
		images int
	}{{"mlp", 4}, {"small", 3}, {"standard", 1}} {
		t.Run(tc.preset, func(t *testing.T) {
			arch, _ := model.Preset(tc.preset)
			params := arch.Init(3)
			set := testImages(t, tc.images)
			p, err := NewProduct(arch, params, set)
			if err != nil {
				t.Fatal(err)
			}
			ref := newRef64(arch, params)
			theta := flatten(params)
			loss, _ := ref.grad(theta, set)
			for k := uint64(0); k < 2; k++ {
				v := gaussian(p.Dim(), k)
				hv := make([]float64, p.Dim())
				if err := p.Apply(context.Background(), v, hv); err != nil {
					t.Fatal(err)
				}
				want := hvByDifferences(ref, theta, v, set)
				e := relErr(hv, want)
				t.Logf("direction %d: relative error %.2e", k, e)
				if e > 1e-3 || math.IsNaN(e) {
					t.Errorf("direction %d: ‖Hv − differences‖/‖differences‖ = %.2e, want < 1e-3", k, e)
				}
			}
			if math.Abs(p.Loss()-loss) > 1e-5*loss {
				t.Errorf("loss %v, float64 reference %v", p.Loss(), loss)
			}
		})
	}
}

// explicitColumns differences float64 gradients along each unit vector of
// cols: column j of the Hessian, every row of it.
func explicitColumns(r *ref64, theta []float64, cols []int, set *data.Dataset) [][]float64 {
	out := make([][]float64, len(cols))
	for c, j := range cols {
		e := make([]float64, len(theta))
		e[j] = 1
		out[c] = hvByDifferences(r, theta, e, set)
	}
	return out
}

// The mlp on a few images: columns of the explicit Hessian for all of fc2,
// fc1's bias and a sample of fc1's weights. Hv of each unit vector must be
// that column, the explicit block must be symmetric, and power iteration on
// the fc2 block (what --per-layer runs) must find the block's top
// eigenvalue.
func TestProductMatchesExplicitHessian(t *testing.T) {
	arch, _ := model.Preset("mlp")
	params := arch.Init(5)
	set := testImages(t, 4)
	p, err := NewProduct(arch, params, set)
	if err != nil {
		t.Fatal(err)
	}
	blocks := p.Blocks()
	if len(blocks) != 2 || blocks[0].Name != "fc1" || blocks[1].Name != "fc2" || blocks[1].Hi != p.Dim() {
		t.Fatalf("blocks %+v", blocks)
	}
	fc1, fc2 := blocks[0], blocks[1]
	var cols []int
	for j := fc2.Lo; j < fc2.Hi; j++ {
		cols = append(cols, j)
	}
	for j := fc1.Hi - 32; j < fc1.Hi; j++ { // fc1.bias
		cols = append(cols, j)
	}
	r := rng.New(1, 98)
	for range 48 {
		cols = append(cols, r.IntN(784*32))
	}
	explicit := explicitColumns(newRef64(arch, params), flatten(params), cols, set)

	var diff, norm float64
	hv := make([]float64, p.Dim())
	for c, j := range cols {
		e := make([]float64, p.Dim())
		e[j] = 1
		if err := p.Apply(context.Background(), e, hv); err != nil {
			t.Fatal(err)
		}
		for i := range hv {
			d := hv[i] - explicit[c][i]
			diff += d * d
			norm += explicit[c][i] * explicit[c][i]
		}
	}
	e := math.Sqrt(diff / norm)
	t.Logf("%d explicit columns: relative error %.2e", len(cols), e)
	if e > 1e-3 || norm == 0 {
		t.Errorf("Hv of unit vectors against %d explicit columns: relative error %.2e, want < 1e-3", len(cols), e)
	}
	asym, scale := 0.0, 0.0
	for a, i := range cols {
		for b, j := range cols {
			asym = math.Max(asym, math.Abs(explicit[a][j]-explicit[b][i]))
			scale = math.Max(scale, math.Abs(explicit[a][j]))
		}
	}
	if asym > 1e-6*scale {
		t.Errorf("explicit block not symmetric: %g of %g", asym, scale)
	}

	n := fc2.Hi - fc2.Lo
	block := make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			block[a*n+b] = explicit[a][fc2.Lo+b] // cols begin with fc2, in order
		}
	}
	want := eigenvalues(t, block, n)
	op, err := Restrict(p, fc2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Top(context.Background(), op, 1, Search{Tolerance: 1e-9, MaxIterations: 2000, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	top := dominant(want)
	if math.Abs(got[0].Value-top) > 1e-3*math.Abs(top) {
		t.Errorf("fc2 block: power iteration λ = %v, explicit %v", got[0].Value, top)
	}
}

// A net small enough for its whole Hessian (784→2→10, 1,600 parameters)
// on four images: Top, Bottom and Trace on the R-operator against the
// explicit matrix's eigenvalues and trace.
func TestSpectrumMatchesExplicitHessian(t *testing.T) {
	arch := model.Arch{Preset: "narrow", Input: data.MNISTShape, Classes: 10, Layers: []model.Layer{
		{Kind: model.Flatten},
		{Kind: model.Dense, Name: "fc1", In: 784, Out: 2}, {Kind: model.ReLU},
		{Kind: model.Dense, Name: "fc2", In: 2, Out: 10},
	}}
	params := arch.Init(2)
	set := testImages(t, 4)
	p, err := NewProduct(arch, params, set)
	if err != nil {
		t.Fatal(err)
	}
	n := p.Dim()
	cols := make([]int, n)
	for i := range cols {
		cols[i] = i
	}
	explicit := explicitColumns(newRef64(arch, params), flatten(params), cols, set)
	h := make([]float64, n*n)
	trace := 0.0
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			h[a*n+b] = (explicit[a][b] + explicit[b][a]) / 2
		}
		trace += h[a*n+a]
	}
	vals := eigenvalues(t, h, n)
	explicitZ := make([]float64, n)
	tight := Search{Tolerance: 1e-10, MaxIterations: 3000, Seed: 4}
	ctx := context.Background()
	top, err := Top(ctx, p, 1, tight, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := dominant(vals); math.Abs(top[0].Value-want) > 1e-3*math.Abs(want) {
		t.Errorf("λmax %v, explicit %v", top[0].Value, want)
	}
	bottom, err := Bottom(ctx, p, top[0], tight)
	if err != nil {
		t.Fatal(err)
	}
	if want := vals[0]; math.Abs(bottom.Value-want) > 1e-3*math.Abs(top[0].Value) {
		t.Errorf("λmin %v, explicit %v (λmax %v)", bottom.Value, want, top[0].Value)
	}
	// Lanczos: both ends at once.
	ltop, lbottom, err := LanczosExtremes(ctx, p, 1, Search{Tolerance: 1e-6, MaxIterations: 300, Seed: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := dominant(vals); math.Abs(ltop[0].Value-want) > 1e-4*math.Abs(want) || !ltop[0].Converged {
		t.Errorf("Lanczos λmax %v, explicit %v", ltop[0].Value, want)
	}
	if want := vals[0]; math.Abs(lbottom.Value-want) > 1e-4*math.Abs(ltop[0].Value) || !lbottom.Converged {
		t.Errorf("Lanczos λmin %v, explicit %v", lbottom.Value, want)
	}
	// The density's extreme nodes are the extreme eigenvalues, and one
	// run's weighted mean is its start vector's zᵀHz/n exactly (the
	// quadrature is exact for a linear function).
	dens, err := SpectralDensity(ctx, p, 1, 60, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	mean := 0.0
	for i, w := range dens.Weights {
		mean += w * dens.Nodes[i]
	}
	if tol := 1e-3 * math.Abs(vals[n-1]); math.Abs(dens.Max-vals[n-1]) > tol || math.Abs(dens.Min-vals[0]) > tol {
		t.Errorf("density from %v to %v, explicit eigenvalues from %v to %v", dens.Min, dens.Max, vals[0], vals[n-1])
	}
	r := rng.New(1, rng.StreamHessian+4000)
	zhz := 0.0
	rademacher(r, explicitZ) // the run's start vector; zᵀHz by the explicit H
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			zhz += explicitZ[a] * h[a*n+b] * explicitZ[b]
		}
	}
	if want := zhz / float64(n); math.Abs(mean-want) > 1e-4*math.Abs(want)+1e-9 {
		t.Errorf("one run's weighted mean %v, its zᵀHz/n %v", mean, want)
	}
	tr, err := Trace(ctx, p, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tr.Value-trace) > 4*tr.SE || tr.SE <= 0 {
		t.Errorf("trace %v ± %v, explicit %v", tr.Value, tr.SE, trace)
	}
}

// Same weights, same images, same vector: the same bits, every time.
func TestProductIsDeterministic(t *testing.T) {
	arch, _ := model.Preset("small")
	params := arch.Init(1)
	set := testImages(t, 2*maxBatch+5) // full batches and a remainder
	a, _ := NewProduct(arch, params, set)
	b, _ := NewProduct(arch, params, set)
	v := gaussian(a.Dim(), 9)
	h1, h2, h3 := make([]float64, a.Dim()), make([]float64, a.Dim()), make([]float64, a.Dim())
	ctx := context.Background()
	for _, run := range []struct {
		p  *Product
		hv []float64
	}{{a, h1}, {a, h2}, {b, h3}} {
		if err := run.p.Apply(ctx, v, run.hv); err != nil {
			t.Fatal(err)
		}
	}
	for i := range h1 {
		if h1[i] != h2[i] || h1[i] != h3[i] {
			t.Fatalf("value %d: %v, %v, %v", i, h1[i], h2[i], h3[i])
		}
	}
	if a.Products != 2 {
		t.Errorf("Products = %d, want 2", a.Products)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := a.Apply(cancelled, v, h1); err == nil {
		t.Error("a cancelled product returned no error")
	}
}

// A set that is one pass keeps its values between products (only the
// R-values are computed again): the same bits as a fresh product, for a
// new vector and, after SetParams, for new weights.
func TestOnePassKeepsItsValues(t *testing.T) {
	for _, preset := range []string{"small", "standard"} {
		arch, _ := model.Preset(preset)
		set := testImages(t, 24)
		p, _ := NewProduct(arch, arch.Init(1), set)
		ctx := context.Background()
		v1, v2 := gaussian(p.Dim(), 1), gaussian(p.Dim(), 2)
		got, want := make([]float64, p.Dim()), make([]float64, p.Dim())
		check := func(what string, params model.Params, v []float64) {
			t.Helper()
			if err := p.Apply(ctx, v, got); err != nil {
				t.Fatal(err)
			}
			fresh, _ := NewProduct(arch, params, set)
			if err := fresh.Apply(ctx, v, want); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s %s: value %d is %v, a fresh product's %v", preset, what, i, got[i], want[i])
				}
			}
			if p.Loss() != fresh.Loss() {
				t.Fatalf("%s %s: loss %v, fresh %v", preset, what, p.Loss(), fresh.Loss())
			}
		}
		check("first vector", arch.Init(1), v1)
		if !p.known {
			t.Fatalf("%s: 24 images in passes of %d, values not kept", preset, p.batch)
		}
		check("second vector", arch.Init(1), v2)
		other := arch.Init(5)
		if err := p.SetParams(other); err != nil {
			t.Fatal(err)
		}
		check("new weights", other, v2)
	}
}

func TestNewProductRefusesMismatchedWeights(t *testing.T) {
	small, _ := model.Preset("small")
	mlp, _ := model.Preset("mlp")
	if _, err := NewProduct(small, mlp.Init(1), testImages(t, 1)); err == nil {
		t.Error("mlp weights accepted for the small net")
	}
	if _, err := NewProduct(small, small.Init(1), &data.Dataset{}); err == nil {
		t.Error("no images accepted")
	}
}

// go test -bench Product -benchtime 3x ./core/hessian
func BenchmarkProduct(b *testing.B) {
	for _, preset := range []string{"small", "standard"} {
		b.Run(preset, func(b *testing.B) {
			arch, _ := model.Preset(preset)
			p, err := NewProduct(arch, arch.Init(1), testImages(b, 1000))
			if err != nil {
				b.Fatal(err)
			}
			v := gaussian(p.Dim(), 1)
			hv := make([]float64, p.Dim())
			b.ResetTimer()
			for range b.N {
				if err := p.Apply(context.Background(), v, hv); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "Hv/s")
		})
	}
}
