package direction

import (
	"math"
	"testing"

	"github.com/basin-dev/basin/core/model"
)

func theta(t *testing.T) model.Params {
	arch, err := model.Preset("small")
	if err != nil {
		t.Fatal(err)
	}
	return arch.Init(5)
}

func norm(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func close(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(math.Abs(a), math.Abs(b)) }

func TestFilterNormalization(t *testing.T) {
	t.Parallel()
	th := theta(t)
	d := New(th, Spec{Seed: 1, Norm: Filter})
	for i := range d {
		if d[i].IsBias() {
			continue
		}
		for f := 0; f < d[i].Filters(); f++ {
			if got, want := norm(d[i].Filter(f)), norm(th[i].Filter(f)); !close(got, want) {
				t.Fatalf("%s filter %d: ‖d_f‖ = %g, want ‖θ_f‖ = %g", d[i].Name, f, got, want)
			}
		}
	}
}

func TestLayerNormalization(t *testing.T) {
	t.Parallel()
	th := theta(t)
	d := New(th, Spec{Seed: 1, Norm: Layer})
	filterEqual := true
	for i := range d {
		if d[i].IsBias() {
			continue
		}
		if got, want := norm(d[i].Data), norm(th[i].Data); !close(got, want) {
			t.Fatalf("%s: ‖d‖ = %g, want ‖θ‖ = %g", d[i].Name, got, want)
		}
		if !close(norm(d[i].Filter(0)), norm(th[i].Filter(0))) {
			filterEqual = false
		}
	}
	if filterEqual {
		t.Fatal("layer normalization should not equalize every filter")
	}
}

func TestNoNormalizationIsRawGaussian(t *testing.T) {
	t.Parallel()
	th := theta(t)
	spec := Spec{Seed: 1, Norm: None}
	d, g := New(th, spec), Gaussian(th, spec, 0)
	for i := range d {
		for j := range d[i].Data {
			if d[i].Data[j] != g[i].Data[j] {
				t.Fatalf("%s[%d] changed by 'none' normalization", d[i].Name, j)
			}
		}
	}
}

func TestBiasDirections(t *testing.T) {
	t.Parallel()
	th := theta(t)
	for _, nm := range Norms {
		d := New(th, Spec{Seed: 2, Norm: nm})
		for _, tn := range d {
			if tn.IsBias() && norm(tn.Data) != 0 {
				t.Fatalf("%s: bias %s moves without --biases", nm, tn.Name)
			}
			if !tn.IsBias() && norm(tn.Data) == 0 {
				t.Fatalf("%s: weight %s does not move", nm, tn.Name)
			}
		}
		withBias := New(th, Spec{Seed: 2, Norm: nm, Biases: true})
		for _, tn := range withBias {
			if norm(tn.Data) == 0 {
				t.Fatalf("%s with biases: %s does not move", nm, tn.Name)
			}
		}
	}
}

func TestPlaneOrthogonalization(t *testing.T) {
	t.Parallel()
	th := theta(t)
	spec := Spec{Seed: 3, Norm: Filter}
	d, e := Gaussian(th, spec, 0), Gaussian(th, spec, 1)
	if c := math.Abs(Cosine(d, e)); c < 1e-5 {
		t.Fatalf("independent Gaussians already orthogonal (cos %g): test is vacuous", c)
	}
	Orthogonalize(e, d)
	if c := Cosine(d, e); math.Abs(c) > 1e-6 {
		t.Fatalf("after orthogonalization cos = %g", c)
	}
	pd, pe, cos := Plane(th, spec)
	if !close(cos, Cosine(pd, pe)) {
		t.Fatalf("reported cosine %g, actual %g", cos, Cosine(pd, pe))
	}
	if math.Abs(cos) > 0.05 {
		t.Fatalf("final directions far from orthogonal: cos %g", cos)
	}
}

func TestDirectionsReproducible(t *testing.T) {
	t.Parallel()
	th := theta(t)
	a1, b1, _ := Plane(th, Spec{Seed: 9, Norm: Filter})
	a2, b2, _ := Plane(th, Spec{Seed: 9, Norm: Filter})
	a3, _, _ := Plane(th, Spec{Seed: 10, Norm: Filter})
	if a1.Dot(a1) != a2.Dot(a1) || b1.Dot(b1) != b2.Dot(b1) {
		t.Fatal("same seed gave different directions")
	}
	if close(a1.Dot(a1), a3.Dot(a1)) {
		t.Fatal("another seed gave the same direction")
	}
	if one := New(th, Spec{Seed: 9, Norm: Filter}); one.Dot(a1) != a1.Dot(a1) {
		t.Fatal("the 1D direction should be the plane's first direction")
	}
}

func TestParseNorm(t *testing.T) {
	t.Parallel()
	if _, err := ParseNorm("filter"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseNorm("batch"); err == nil {
		t.Fatal("unknown normalization accepted")
	}
}
