package app

import (
	"os"
	"testing"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
)

// scannedModel is an app in true colour whose 2D view holds a complete
// 81x81 scan of a quadratic bowl.
func scannedModel() (*Model, *planeView) {
	o := testOptions(&testing.T{})
	o.Profile = render.TrueColor
	m := newModel(o, nil, tiny, os.Stdout)
	v := find[*planeView](m)
	v.axes[0].N, v.axes[1].N = 81, 81
	v.begin(1)
	s := surface.New(v.alpha(), v.beta())
	for k := 0; k < s.Len(); k++ {
		a, bt := s.Coord(k)
		s.Set(k, 0.05+a*a+2*bt*bt, 0.9)
	}
	v.started(s)
	return m, v
}

// BenchmarkPlaneView measures one full redraw of the 2D view at 200x60 in
// true colour (heatmap, contours, colour bar) from a complete 81x81 scan.
func BenchmarkPlaneView(b *testing.B) {
	_, v := scannedModel()
	v.setCentre(model.Result{Loss: 0.05, Accuracy: 0.9})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.dirty = true
		_ = v.view(200, 57)
	}
}

// BenchmarkSurfaceView measures one frame of the 3D view at 200x60 in true
// colour from a complete 81x81 scan: sampling, the lit surface, the bar.
func BenchmarkSurfaceView(b *testing.B) {
	m, _ := scannedModel()
	sv := find[*surfaceView](m)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sv.frame()
		_ = sv.view(200, 57)
	}
}
