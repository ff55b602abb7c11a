package ops

import (
	"github.com/basin-dev/basin/core/simd"

	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func randn(r *rand.Rand, shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// run builds out = layer(inputs) in a fresh graph, reduces it to a scalar
// with fixed random weights r (so every output gets its own gradient),
// and returns the output and the gradients of the inputs.
func run(t *testing.T, inputs []*tensor.Dense, r *tensor.Dense, layer func(g *G.ExprGraph, in G.Nodes) (*G.Node, error)) ([]float32, [][]float32) {
	return runWRT(t, inputs, len(inputs), r, layer)
}

// runWRT is run with gradients of only the first wrt inputs.
func runWRT(t *testing.T, inputs []*tensor.Dense, wrt int, r *tensor.Dense, layer func(g *G.ExprGraph, in G.Nodes) (*G.Node, error)) ([]float32, [][]float32) {
	t.Helper()
	g := G.NewGraph()
	var in G.Nodes
	for i, v := range inputs {
		c := tensor.New(tensor.WithShape(v.Shape().Clone()...), tensor.WithBacking(append([]float32(nil), v.Data().([]float32)...)))
		in = append(in, G.NodeFromAny(g, c, G.WithName(fmt.Sprint("in", i))))
	}
	out, err := layer(g, in)
	if err != nil {
		t.Fatal(err)
	}
	var outVal G.Value
	G.Read(out, &outVal)
	cost := out
	if r != nil {
		rn := G.NodeFromAny(g, r, G.WithName("r"))
		prod, err := G.HadamardProd(out, rn)
		if err != nil {
			t.Fatal(err)
		}
		if cost, err = G.Sum(prod); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := G.Grad(cost, in[:wrt]...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(in[:wrt]...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	var grads [][]float32
	for _, n := range in[:wrt] {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads = append(grads, append([]float32(nil), gv.Data().([]float32)...))
	}
	var o []float32
	switch d := outVal.Data().(type) {
	case []float32:
		o = append(o, d...)
	case float32:
		o = []float32{d}
	}
	return o, grads
}

// close checks a and b agree to 1e-4 relative to the larger norm.
func close(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values vs %d", what, len(a), len(b))
	}
	var diff, norm float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		diff += d * d
		norm = math.Max(norm, math.Max(math.Abs(float64(a[i])), math.Abs(float64(b[i]))))
	}
	diff = math.Sqrt(diff / float64(len(a)))
	if diff > 1e-4*math.Max(norm, 1e-6) {
		t.Fatalf("%s: rms difference %g, largest value %g", what, diff, norm)
	}
}

func TestConvMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	type shape struct{ b, c, h, o, k, pad int }
	var shapes []shape
	for trial := 0; trial < 6; trial++ {
		// few channels (direct, im2col) and enough for the tap kernel
		k := []int{1, 3, 5}[r.IntN(3)]
		shapes = append(shapes, shape{1 + r.IntN(3), []int{1, 3, 4, 8, 5, 16}[trial], 5 + r.IntN(8), 1 + r.IntN(10), k, r.IntN(k/2 + 1)})
	}
	// Batches of several groups of images for the tap kernel's filter
	// gradient (tapsGradImages: 16 of 7×7, 7 of 14×14), the last group of
	// a worker short after a full one.
	shapes = append(shapes, shape{53, 8, 7, 8, 3, 1}, shape{27, 4, 14, 5, 3, 1})
	for _, sh := range shapes {
		b, c, h, o, k, pad := sh.b, sh.c, sh.h, sh.o, sh.k, sh.pad
		relu := r.IntN(2) == 0
		x, w, bias := randn(r, b, c, h, h), randn(r, o, c, k, k), randn(r, o)
		oh := h + 2*pad - k + 1
		rr := randn(r, b, o, oh, oh)
		name := fmt.Sprintf("conv b%d c%d h%d o%d k%d p%d relu=%v", b, c, h, o, k, pad, relu)
		fastOut, fastG := run(t, []*tensor.Dense{x, w, bias}, rr, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return G.ApplyOp(NewConv(b, c, h, h, o, k, pad, relu, true, false), in[0], in[1], in[2])
		})
		stockOut, stockG := run(t, []*tensor.Dense{x, w, bias}, rr, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			y, err := G.Conv2d(in[0], in[1], tensor.Shape{k, k}, []int{pad, pad}, []int{1, 1}, []int{1, 1})
			if err != nil {
				return nil, err
			}
			if y, err = G.BroadcastAdd(y, in[2], nil, []byte{0, 2, 3}); err != nil || !relu {
				return y, err
			}
			return G.Rectify(y)
		})
		close(t, name+" forward", fastOut, stockOut)
		for i, what := range []string{"x", "w", "b"} {
			close(t, name+" grad "+what, fastG[i], stockG[i])
		}
	}
}

func TestDenseMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 6; trial++ {
		b, i, o := 1+r.IntN(70), 1+r.IntN(300), 1+r.IntN(130)
		relu := r.IntN(2) == 0
		x, w, bias, rr := randn(r, b, i), randn(r, o, i), randn(r, o), randn(r, b, o)
		name := fmt.Sprintf("dense b%d i%d o%d relu=%v", b, i, o, relu)
		fastOut, fastG := run(t, []*tensor.Dense{x, w, bias}, rr, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return G.ApplyOp(NewDense(b, i, o, 2, relu, false), in[0], in[1], in[2])
		})
		stockOut, stockG := run(t, []*tensor.Dense{x, w, bias}, rr, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			wt, err := G.Transpose(in[1])
			if err != nil {
				return nil, err
			}
			y, err := G.Mul(in[0], wt)
			if err != nil {
				return nil, err
			}
			if y, err = G.BroadcastAdd(y, in[2], nil, []byte{0}); err != nil || !relu {
				return y, err
			}
			return G.Rectify(y)
		})
		close(t, name+" forward", fastOut, stockOut)
		for k, what := range []string{"x", "w", "b"} {
			close(t, name+" grad "+what, fastG[k], stockG[k])
		}
	}
}

func TestMaxPoolMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 6; trial++ {
		b, c, h := 1+r.IntN(3), 1+r.IntN(5), 2+2*r.IntN(8)
		x, rr := randn(r, b, c, h, h), randn(r, b, c, h/2, h/2)
		name := fmt.Sprintf("maxpool b%d c%d h%d", b, c, h)
		fastOut, fastG := run(t, []*tensor.Dense{x}, rr, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return G.ApplyOp(NewMaxPool(b, c, h, h, 2), in[0])
		})
		stockOut, stockG := run(t, []*tensor.Dense{x}, rr, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return G.MaxPool2D(in[0], tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
		})
		close(t, name+" forward", fastOut, stockOut)
		close(t, name+" grad", fastG[0], stockG[0])
	}
}

func TestLossMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 4; trial++ {
		b := 1 + r.IntN(40)
		z := randn(r, b, 10)
		y := tensor.New(tensor.WithShape(b, 10), tensor.Of(tensor.Float32))
		for i := 0; i < b; i++ {
			y.Data().([]float32)[i*10+r.IntN(10)] = 1
		}
		fastOut, fastG := runWRT(t, []*tensor.Dense{z, y}, 1, nil, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return G.ApplyOp(NewLoss(b, 10), in[0], in[1])
		})
		stockOut, stockG := runWRT(t, []*tensor.Dense{z, y}, 1, nil, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			lp, err := G.LogSoftMax(in[0])
			if err != nil {
				return nil, err
			}
			p, err := G.HadamardProd(lp, in[1])
			if err != nil {
				return nil, err
			}
			s, err := G.Sum(p)
			if err != nil {
				return nil, err
			}
			return G.HadamardProd(s, G.NewConstant(float32(-1)/float32(b)))
		})
		close(t, fmt.Sprintf("loss b%d", b), fastOut, stockOut)
		close(t, fmt.Sprintf("loss b%d grad", b), fastG[0], stockG[0])
	}
}

// 3×3 convolutions take the Winograd path (with and without padding, odd
// and even sizes) and, fused with ReLU and 2×2 pooling, must still match
// gorgonia's conv → ReLU → max-pool.
// Winograd (4 or more input channels) and direct convolution (fewer), with
// and without the fused pooling, on the presets' shapes and odd ones.
func TestWinogradAndFusedPoolMatchStock(t *testing.T) {
	if !UseWinograd {
		t.Skip("BASIN_CONV=im2col")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct{ b, c, h, o, pad int }{{2, 4, 28, 8, 1}, {3, 8, 14, 16, 1}, {2, 32, 26, 64, 0}, {1, 3, 9, 5, 0}, {2, 2, 7, 3, 1},
		{2, 1, 28, 32, 0}, {2, 1, 28, 8, 1}, {1, 3, 20, 6, 1}, {1, 2, 17, 5, 0}, {2, 12, 10, 8, 0}, {2, 20, 12, 8, 1}} {
		oh := tc.h + 2*tc.pad - 2
		x, w, bias := randn(r, tc.b, tc.c, tc.h, tc.h), randn(r, tc.o, tc.c, 3, 3), randn(r, tc.o)
		stock := func(pool bool) func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
				y, err := G.Conv2d(in[0], in[1], tensor.Shape{3, 3}, []int{tc.pad, tc.pad}, []int{1, 1}, []int{1, 1})
				if err != nil {
					return nil, err
				}
				if y, err = G.BroadcastAdd(y, in[2], nil, []byte{0, 2, 3}); err != nil {
					return nil, err
				}
				if y, err = G.Rectify(y); err != nil || !pool {
					return y, err
				}
				return G.MaxPool2D(y, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
			}
		}
		name := fmt.Sprintf("winograd %+v", tc)
		rr := randn(r, tc.b, tc.o, oh, oh)
		fo, fg := run(t, []*tensor.Dense{x, w, bias}, rr, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return G.ApplyOp(NewConv(tc.b, tc.c, tc.h, tc.h, tc.o, 3, tc.pad, true, true, false), in[0], in[1], in[2])
		})
		so, sg := run(t, []*tensor.Dense{x, w, bias}, rr, stock(false))
		close(t, name+" forward", fo, so)
		for i, what := range []string{"x", "w", "b"} {
			close(t, name+" grad "+what, fg[i], sg[i])
		}
		if !CanPool(3, tc.c, oh, oh) {
			continue
		}
		rp := randn(r, tc.b, tc.o, oh/2, oh/2)
		fo, fg = run(t, []*tensor.Dense{x, w, bias}, rp, func(g *G.ExprGraph, in G.Nodes) (*G.Node, error) {
			return G.ApplyOp(NewConvPool(tc.b, tc.c, tc.h, tc.h, tc.o, 3, tc.pad, true, false), in[0], in[1], in[2])
		})
		so, sg = run(t, []*tensor.Dense{x, w, bias}, rp, stock(true))
		close(t, name+" pooled forward", fo, so)
		for i, what := range []string{"x", "w", "b"} {
			close(t, name+" pooled grad "+what, fg[i], sg[i])
		}
	}
}

// naivePooled is conv (3×3, pad) + bias, ReLU and 2×2 max pooling in
// float64, the reference for the evaluation-only paths.
func naivePooled(x, w, bias []float32, b, c, h, o, pad int) []float64 {
	oh := h + 2*pad - 2
	ph := oh / 2
	out := make([]float64, b*o*ph*ph)
	for n := 0; n < b; n++ {
		for oc := 0; oc < o; oc++ {
			full := make([]float64, oh*oh)
			for y := 0; y < oh; y++ {
				for xx := 0; xx < oh; xx++ {
					s := float64(bias[oc])
					for ic := 0; ic < c; ic++ {
						for ky := 0; ky < 3; ky++ {
							for kx := 0; kx < 3; kx++ {
								iy, ix := y+ky-pad, xx+kx-pad
								if iy < 0 || iy >= h || ix < 0 || ix >= h {
									continue
								}
								s += float64(w[((oc*c+ic)*3+ky)*3+kx]) * float64(x[((n*c+ic)*h+iy)*h+ix])
							}
						}
					}
					full[y*oh+xx] = max(s, 0)
				}
			}
			for py := 0; py < ph; py++ {
				for px := 0; px < ph; px++ {
					out[((n*o+oc)*ph+py)*ph+px] = max(full[2*py*oh+2*px], full[2*py*oh+2*px+1], full[(2*py+1)*oh+2*px], full[(2*py+1)*oh+2*px+1])
				}
			}
		}
	}
	return out
}

// The evaluation pass of pooled convolutions — F(4×4, 3×3) Winograd where
// the sides allow it and the machine has AVX-512 — against the float64
// reference, on the standard net's conv2 and odd shapes, with batches
// that leave a partial chunk.
func TestPooledEvaluationMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct{ b, c, h, o, pad int }{{9, 32, 26, 64, 0}, {3, 8, 16, 16, 1}, {2, 5, 18, 7, 0},
		{5, 4, 34, 9, 1}, {2, 4, 28, 8, 1}, {2, 1, 28, 8, 1}, {2, 4, 38, 5, 0}} {
		x, w, bias := randn(r, tc.b, tc.c, tc.h, tc.h), randn(r, tc.o, tc.c, 3, 3), randn(r, tc.o)
		op := NewConvPool(tc.b, tc.c, tc.h, tc.h, tc.o, 3, tc.pad, false, false)
		got, err := op.Do(x, w, bias)
		if err != nil {
			t.Fatal(err)
		}
		want := naivePooled(x.Data().([]float32), w.Data().([]float32), bias.Data().([]float32), tc.b, tc.c, tc.h, tc.o, tc.pad)
		g := got.Data().([]float32)
		w32 := make([]float32, len(want))
		for i, v := range want {
			w32[i] = float32(v)
		}
		what := fmt.Sprintf("pooled eval %+v (wino4 %v)", tc, op.wino4 != nil)
		if simd.HasWino4 && UseWinograd && tc.c >= minWinogradChannels && (tc.h+2*tc.pad-2)%4 == 0 && op.wino4 == nil {
			t.Fatalf("%s: F(4×4, 3×3) was not used", what)
		}
		close(t, what, g, w32)
	}
}

// SetWorkers limits an op's goroutines (and 0 restores one per core);
// the outputs do not depend on it.
func TestSetWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	x, w, b := randn(r, 40, 50), randn(r, 7, 50), randn(r, 7)
	op := NewDense(40, 50, 7, 2, true, false)
	want, err := op.Do(x, w, b)
	if err != nil {
		t.Fatal(err)
	}
	want = want.(*tensor.Dense).Clone().(*tensor.Dense)
	op.SetWorkers(1)
	if op.par() != 1 {
		t.Fatalf("par() = %d after SetWorkers(1)", op.par())
	}
	got, err := op.Do(x, w, b)
	if err != nil {
		t.Fatal(err)
	}
	g, wv := got.Data().([]float32), want.(*tensor.Dense).Data().([]float32)
	for i := range g {
		if g[i] != wv[i] {
			t.Fatalf("output [%d] = %v on one goroutine, %v on %d", i, g[i], wv[i], Workers)
		}
	}
	op.SetWorkers(0)
	if op.par() != Workers {
		t.Fatalf("par() = %d after SetWorkers(0), want %d", op.par(), Workers)
	}
}

// An unpooled evaluation conv — a residual block's, with its shortcut
// added and the ReLU after — against the float64 reference: on 8 input
// channels or more it runs on the tap kernel.
func TestResidualEvaluationMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct{ b, c, h, o int }{{3, 8, 14, 8}, {2, 5, 9, 6}, {3, 16, 7, 16}} {
		x, w, bias := randn(r, tc.b, tc.c, tc.h, tc.h), randn(r, tc.o, tc.c, 3, 3), randn(r, tc.o)
		short := randn(r, tc.b, tc.o, tc.h, tc.h)
		op := &Conv{B: tc.b, C: tc.c, H: tc.h, W: tc.h, O: tc.o, K: 3, Pad: 1, ReLU: true, Residual: true}
		got, err := op.Do(x, w, bias, short)
		if err != nil {
			t.Fatal(err)
		}
		xs, ws, bs, ss := x.Data().([]float32), w.Data().([]float32), bias.Data().([]float32), short.Data().([]float32)
		want := make([]float32, tc.b*tc.o*tc.h*tc.h)
		for n := 0; n < tc.b; n++ {
			for oc := 0; oc < tc.o; oc++ {
				for y := 0; y < tc.h; y++ {
					for xx := 0; xx < tc.h; xx++ {
						s := float64(bs[oc])
						for ic := 0; ic < tc.c; ic++ {
							for ky := 0; ky < 3; ky++ {
								for kx := 0; kx < 3; kx++ {
									iy, ix := y+ky-1, xx+kx-1
									if iy >= 0 && iy < tc.h && ix >= 0 && ix < tc.h {
										s += float64(ws[((oc*tc.c+ic)*3+ky)*3+kx]) * float64(xs[((n*tc.c+ic)*tc.h+iy)*tc.h+ix])
									}
								}
							}
						}
						at := ((n*tc.o+oc)*tc.h+y)*tc.h + xx
						want[at] = float32(max(s+float64(ss[at]), 0))
					}
				}
			}
		}
		what := fmt.Sprintf("residual eval %+v (taps %v)", tc, op.taps != nil)
		if UseWinograd && simd.HasConvTaps && op.taps == nil {
			t.Fatalf("%s: an unpooled conv on %d channels runs on the tap kernel", what, tc.c)
		}
		close(t, what, got.Data().([]float32), want)
	}
}
