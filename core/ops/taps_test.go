package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// floats returns n standard normal values.
func floats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// naiveConv is the definition, in float64: w ⋆ x + b (+ res), then ReLU.
func naiveConv(g Window, o int, x, w, b, res []float32, relu bool) []float64 {
	oh, ow := g.OH(), g.OW()
	y := make([]float64, o*oh*ow)
	for oc := 0; oc < o; oc++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				s := float64(b[oc])
				for c := 0; c < g.C; c++ {
					for ky := 0; ky < g.K; ky++ {
						for kx := 0; kx < g.K; kx++ {
							iy, ix := oy*g.Stride+ky*g.D()-g.Pad, ox*g.Stride+kx*g.D()-g.Pad
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								s += float64(w[((oc*g.C+c)*g.K+ky)*g.K+kx]) * float64(x[(c*g.H+iy)*g.W+ix])
							}
						}
					}
				}
				i := (oc*oh+oy)*ow + ox
				if res != nil {
					s += float64(res[i])
				}
				if relu {
					s = math.Max(s, 0)
				}
				y[i] = s
			}
		}
	}
	return y
}

// The tap convolution is the definition for every geometry it takes:
// strides (phase planes), dilation, 1×1 and wider kernels, output
// channels not a multiple of eight, with a residual input and ReLU.
func TestTapConvMatchesNaive(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for i, c := range []struct {
		g   Window
		o   int
		res bool
	}{
		{Window{C: 8, H: 28, W: 28, K: 3, Stride: 1, Pad: 1}, 8, true},
		{Window{C: 8, H: 28, W: 28, K: 3, Stride: 2, Pad: 1}, 16, false},
		{Window{C: 8, H: 28, W: 28, K: 1, Stride: 2}, 16, false},
		{Window{C: 16, H: 7, W: 7, K: 3, Stride: 1, Pad: 1}, 32, true},
		{Window{C: 3, H: 9, W: 11, K: 3, Stride: 3, Pad: 2, Dilation: 2}, 5, false},
		{Window{C: 2, H: 11, W: 10, K: 7, Stride: 2, Pad: 3}, 12, true},
		{Window{C: 1, H: 5, W: 6, K: 3, Stride: 1}, 3, false},
	} {
		for _, relu := range []bool{false, true} {
			x, w, b := floats(r, c.g.C*c.g.H*c.g.W), floats(r, c.o*c.g.Rows()), floats(r, c.o)
			var res []float32
			if c.res {
				res = floats(r, c.o*c.g.Pixels())
			}
			tc := newTapConv(c.g, c.o)
			tc.buffers(1)
			tc.filters(w, b)
			y := floats(r, c.o*c.g.Pixels()) // every output must be written
			for rep := 0; rep < 2; rep++ {   // the planes' padding stays zero
				tc.forward(1, x, y, res, relu)
			}
			want := naiveConv(c.g, c.o, x, w, b, res, relu)
			for j, v := range want {
				if !(math.Abs(float64(y[j])-v) <= 1e-4*math.Max(1, math.Abs(v))) { // a NaN fails
					t.Fatalf("case %d %+v relu=%v: y[%d] = %v, want %v", i, c.g, relu, j, y[j], v)
				}
			}
		}
	}
}

// BenchmarkConvPaths times one worker's forward pass over 64 images on
// resnet's layer shapes, by the tap kernel and by the path Conv or
// StridedConv takes otherwise.
func BenchmarkConvPaths(b *testing.B) {
	const n = 64
	for _, c := range []struct {
		name string
		g    Window
		o    int
	}{
		{"c8-28", Window{C: 8, H: 28, W: 28, K: 3, Stride: 1, Pad: 1}, 8},
		{"c16-14", Window{C: 16, H: 14, W: 14, K: 3, Stride: 1, Pad: 1}, 16},
		{"c32-7", Window{C: 32, H: 7, W: 7, K: 3, Stride: 1, Pad: 1}, 32},
		{"c8-28-s2", Window{C: 8, H: 28, W: 28, K: 3, Stride: 2, Pad: 1}, 16},
		{"c16-14-s2", Window{C: 16, H: 14, W: 14, K: 3, Stride: 2, Pad: 1}, 32},
		{"c8-28-1x1s2", Window{C: 8, H: 28, W: 28, K: 1, Stride: 2}, 16},
		{"c64-14", Window{C: 64, H: 14, W: 14, K: 3, Stride: 1, Pad: 1}, 64},
		{"c1-28", Window{C: 1, H: 28, W: 28, K: 3, Stride: 1, Pad: 1}, 32},
		{"c32-28", Window{C: 32, H: 28, W: 28, K: 3, Stride: 1, Pad: 1}, 32},
	} {
		r := rand.New(rand.NewPCG(1, 2))
		x, w, bias := make([]float32, n*c.g.C*c.g.H*c.g.W), make([]float32, c.o*c.g.Rows()), make([]float32, c.o)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		y := make([]float32, n*c.o*c.g.Pixels())
		in, out := c.g.C*c.g.H*c.g.W, c.o*c.g.Pixels()
		flops := float64(2*n*c.o*c.g.Rows()*c.g.Pixels()) * 1e-9
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
		}
		b.Run(c.name+"/taps", func(b *testing.B) {
			tc := newTapConv(c.g, c.o)
			tc.buffers(0)
			tc.filters(w, bias)
			for b.Loop() {
				for i := 0; i < n; i++ {
					tc.forward(0, x[i*in:(i+1)*in], y[i*out:(i+1)*out], nil, true)
				}
			}
			report(b)
		})
		b.Run(c.name+"/now", func(b *testing.B) {
			switch {
			case c.g.Stride > 1:
				k := &StridedConv{Window: c.g, B: n, O: c.o, ReLU: true}
				k.par = 1
				for b.Loop() {
					k.Forward([][]float32{x, w, bias}, y)
				}
			case c.g.C < minWinogradChannels || c.g.C <= 8: // before the tap kernel, resnet's 8-channel stage was direct
				d := newDirect(c.g.C, c.g.H, c.g.W, c.o, c.g.Pad)
				d.buffers(0)
				d.filters(w, bias)
				for b.Loop() {
					for i := 0; i < n; i++ {
						d.forward(0, x[i*in:(i+1)*in], y[i*out:(i+1)*out], false, true)
					}
				}
			default:
				g := newWinograd(c.g.C, c.g.H, c.g.W, c.o, c.g.Pad)
				g.buffers(0)
				g.filters(w)
				for b.Loop() {
					for i := 0; i < n; i += g.images {
						m := min(g.images, n-i)
						g.forward(0, x[i*in:(i+m)*in], y[i*out:(i+m)*out], bias, m, true, false, nil, nil)
					}
				}
			}
			report(b)
		})
	}
}
