package hessian

import (
	"context"
	"math"
	"testing"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/rng"
)

// withStatistics gives batch norm's γ, β and running statistics values
// away from their initial 1, 0, 0, 1, so each enters the products.
func withStatistics(arch model.Arch, seed uint64) model.Params {
	p := arch.Init(seed)
	r := rng.New(seed, 77)
	bn := p.InBatchNorm()
	for i := range p {
		if !bn[i] {
			continue
		}
		for j := range p[i].Data {
			v := float32(0.3 * r.Norm())
			if p[i].Name[len(p[i].Name)-4:] == "_var" {
				v = float32(0.5 + r.Float64())
			} else {
				v += p[i].Data[j]
			}
			p[i].Data[j] = v
		}
	}
	return p
}

// The R-operator through every layer kind (and through resnet, whose
// shortcut adds a value two layers read) matches differences of float64
// gradients, as TestProductMatchesFloat64Differences does for the presets.
func TestProductThroughEveryLayer(t *testing.T) {
	f, err := model.ReadArchFile("../model/testdata/every.arch")
	if err != nil {
		t.Fatal(err)
	}
	every, err := f.For(data.MNISTShape, 10, data.MNISTNorm())
	if err != nil {
		t.Fatal(err)
	}
	resnet, err := model.Preset("resnet")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arch   model.Arch
		images int
	}{{every, 3}, {resnet, 1}} {
		t.Run(tc.arch.Preset, func(t *testing.T) {
			params := withStatistics(tc.arch, 3)
			set := testImages(t, tc.images)
			p, err := NewProduct(tc.arch, params, set)
			if err != nil {
				t.Fatal(err)
			}
			ref := newRef64(tc.arch, params)
			theta := flatten(params)
			if len(theta) != p.Dim() {
				t.Fatalf("%d parameters, the reference has %d", p.Dim(), len(theta))
			}
			loss, _ := ref.grad(theta, set)
			v := gaussian(p.Dim(), 1)
			hv := make([]float64, p.Dim())
			if err := p.Apply(context.Background(), v, hv); err != nil {
				t.Fatal(err)
			}
			want := hvByDifferences(ref, theta, v, set)
			e := relErr(hv, want)
			t.Logf("relative error %.2e", e)
			if e > 1e-3 || math.IsNaN(e) {
				t.Errorf("‖Hv − differences‖/‖differences‖ = %.2e, want < 1e-3", e)
			}
			if math.Abs(p.Loss()-loss) > 1e-5*loss {
				t.Errorf("loss %v, float64 reference %v", p.Loss(), loss)
			}
			// Every block of the Hessian is a layer with parameters.
			blocks := p.Blocks()
			if blocks[0].Lo != 0 || blocks[len(blocks)-1].Hi != p.Dim() {
				t.Errorf("blocks %v do not cover %d parameters", blocks, p.Dim())
			}
		})
	}
}
