package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/basin-dev/basin/core/gemm"
	"github.com/basin-dev/basin/core/simd"
)

// Conv is a 2-D convolution (stride 1, square kernel, zero padding) with
// its bias, optionally followed by ReLU: y = relu(conv(x, w) + b), and
// optionally by 2×2 max pooling (Pool, fused for 3×3 filters with
// Winograd: each 2×2 output tile is one pooling window).
// Inputs: x [B,C,H,W], w [O,C,K,K], b [O]. Output [B,O,OH,OW], or
// [B,O,OH/2,OW/2] with Pool.
type Conv struct {
	base
	B, C, H, W int
	O, K, Pad  int
	ReLU       bool
	// Train allows the backward pass (which unfolds the input again).
	Train bool
	// First marks the network's input layer: its input needs no gradient.
	First bool
	// Pool fuses ReLU and 2×2 max pooling (see CanPool).
	Pool bool
	// Residual (evaluation only, not with Pool) takes a fourth input r of
	// the output's shape and gives y = conv(x, w) + b + r, then ReLU when
	// ReLU is set: a residual block's last conv, its add and its ReLU in
	// one op, the add done while each image's output is still in cache.
	Residual bool

	// shortcut, in training, is the batch norm that adds this conv's
	// input back at the end of its residual block (LinkShortcut): it
	// reads the input here, and the conv adds its gradient of the input
	// to the conv's own as that is written.
	shortcut *BatchNorm
	x        []float32 // the last forward pass's input
	stats    []float32 // where to gather the next batch norm's statistics (LinkStats)

	out    buffer
	arg    []uint8     // with Pool: which of the 4 tile values was the max
	cols   [][]float32 // per worker: an unfolded image
	full   [][]float32 // per worker: an unpooled output (im2col path with Pool)
	wino   *winograd   // for 3×3 filters
	wino4  *wino4      // for pooled 3×3 filters in evaluation, where it can run
	direct *direct     // for 3×3 filters on too few channels for wino
	taps   *tapConv    // for unpooled filters on enough channels (useTaps)

	prepared bool
}

// NewConv returns the op for the given input and filter sizes.
func NewConv(b, c, h, w, o, k, pad int, relu, train, first bool) *Conv {
	return &Conv{B: b, C: c, H: h, W: w, O: o, K: k, Pad: pad, ReLU: relu, Train: train, First: first}
}

// minWinogradChannels: below it (a first layer on grey images) the 16
// products have too short an inner dimension to pay for the transforms.
var minWinogradChannels = 4

// useTaps reports whether op runs on the tap kernel (tapConv): every
// unpooled conv on enough channels, in training and in evaluation. On
// resnet's layers (8 to 32 channels, 28×28 to 7×7) it ran 1.3–2.1x
// faster than Winograd F(2×2, 3×3) and the row-wise direct kernel, and
// as fast on 64 channels (BenchmarkConvPaths); pooled layers keep their
// fused paths. Without AVX-512 (simd.HasConvTaps) the Winograd and
// direct paths run instead.
func useTaps(op *Conv) bool {
	return UseWinograd && simd.HasConvTaps && !op.Pool && op.C >= minWinogradChannels
}

// CanPool reports whether a conv of this kernel, input channels and output
// size can fuse
// ReLU and 2×2 max pooling.
func CanPool(k, c, oh, ow int) bool { return oh%2 == 0 && ow%2 == 0 }

// NewConvPool returns a Conv with ReLU and 2×2 max pooling fused.
func NewConvPool(b, c, h, w, o, k, pad int, train, first bool) *Conv {
	return &Conv{B: b, C: c, H: h, W: w, O: o, K: k, Pad: pad, ReLU: true, Train: train, First: first, Pool: true}
}

// outShape is the op's output shape.
func (op *Conv) outShape() []int {
	if op.Pool {
		return []int{op.B, op.O, op.OH() / 2, op.OW() / 2}
	}
	return []int{op.B, op.O, op.OH(), op.OW()}
}

// OH and OW are the output's spatial size.
func (op *Conv) OH() int { return op.H + 2*op.Pad - op.K + 1 }

// OW is the output width.
func (op *Conv) OW() int { return op.W + 2*op.Pad - op.K + 1 }

func (op *Conv) rows() int   { return op.C * op.K * op.K }
func (op *Conv) pixels() int { return op.OH() * op.OW() }

func (op *Conv) Arity() int {
	if op.Residual {
		return 4
	}
	return 3
}
func (op *Conv) Type() hm.Type {
	if op.Residual {
		return hm.NewFnType(tt(4), tt(4), tt(1), tt(4), tt(4))
	}
	return hm.NewFnType(tt(4), tt(4), tt(1), tt(4))
}
func (op *Conv) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape(op.outShape()), nil
}
func (op *Conv) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *Conv) Hashcode() uint32      { return hashOf(op) }
func (op *Conv) String() string {
	return fmt.Sprintf("Conv{%dx%dx%dx%d→%d k%d p%d relu=%v pool=%v res=%v}(%p)", op.B, op.C, op.H, op.W, op.O, op.K, op.Pad, op.ReLU, op.Pool, op.Residual, op)
}

// prepare allocates the per-worker buffers before any goroutine needs them.
func (op *Conv) prepare() {
	if op.prepared {
		return
	}
	op.prepared = true
	op.full = make([][]float32, Workers)
	for i := range op.full {
		if op.Pool {
			op.full[i] = make([]float32, op.O*op.pixels()+32) // slack for simd.Pool2x2Arg
		}
	}
	switch {
	case UseWinograd && op.C >= minWinogradChannels && canWino4(op):
		op.wino4 = newWino4(op.C, op.H, op.W, op.O, op.Pad)
		for i := 0; i < Workers; i++ {
			op.wino4.buffers(i)
		}
	case useTaps(op):
		op.taps = newTapConv(Window{C: op.C, H: op.H, W: op.W, K: op.K, Stride: 1, Pad: op.Pad}, op.O)
		for i := 0; i < Workers; i++ {
			op.taps.buffers(i)
		}
	case op.K == 3 && UseWinograd && op.C >= minWinogradChannels:
		op.wino = newWinograd(op.C, op.H, op.W, op.O, op.Pad)
		for i := 0; i < Workers; i++ {
			op.wino.buffers(i)
		}
	case op.K == 3 && UseWinograd:
		op.direct = newDirect(op.C, op.H, op.W, op.O, op.Pad)
		for i := 0; i < Workers; i++ {
			op.direct.buffers(i)
		}
	default:
		op.cols = make([][]float32, Workers)
		for i := range op.cols {
			op.cols[i] = make([]float32, op.rows()*op.pixels())
		}
	}
}

// Do computes the forward pass.
func (op *Conv) Do(inputs ...G.Value) (G.Value, error) {
	vals, err := f32s(inputs)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	x, w, b := vals[0], vals[1], vals[2]
	if len(x) != op.B*op.C*op.H*op.W || len(w) != op.O*op.rows() || len(b) != op.O {
		return nil, fmt.Errorf("%v: inputs of %d, %d, %d values", op, len(x), len(w), len(b))
	}
	t, y := op.out.get(op.outShape()...)
	op.x = x
	in, out, px := op.C*op.H*op.W, op.O*op.pixels(), op.pixels()
	relu := op.ReLU
	var res []float32
	if op.Residual {
		if len(vals) != 4 || len(vals[3]) != len(y) || op.Pool || op.Train {
			return nil, fmt.Errorf("%v: a residual conv takes an input of its output's shape, in evaluation, without pooling", op)
		}
		res, relu = vals[3], false // the ReLU comes after the add
	}
	// residual adds r to images [i0, i0+n) of y and applies the ReLU.
	residual := func(i0, n int) {
		if res != nil {
			dst := y[i0*out : (i0+n)*out]
			simd.Add2(dst, dst, res[i0*out:(i0+n)*out], op.ReLU)
		}
	}
	op.prepare()
	if g := op.wino4; g != nil {
		g.filters(w)
		out /= 4
		chunks := (op.B + g.images - 1) / g.images
		op.each(chunks, func(wk, ch int) {
			i0 := ch * g.images
			n := min(g.images, op.B-i0)
			g.forward(wk, x[i0*in:(i0+n)*in], y[i0*out:(i0+n)*out], b, n)
		})
		return t, nil
	}
	if tc := op.taps; tc != nil {
		tc.filters(w, b)
		op.each(op.B, func(wk, i int) {
			var r []float32
			if res != nil {
				r = res[i*out : (i+1)*out]
			}
			tc.forward(wk, x[i*in:(i+1)*in], y[i*out:(i+1)*out], r, op.ReLU)
			if op.stats != nil { // the image's output is still in cache
				imageStats(op.stats[3*i*op.O:], y[i*out:(i+1)*out], op.O, px)
			}
		})
		return t, nil
	}
	if g := op.wino; g != nil {
		g.filters(w)
		if op.Pool && op.Train && op.arg == nil { // the maxima matter only for the backward pass
			op.arg = make([]uint8, len(y))
		}
		if op.Pool {
			out /= 4
		}
		chunks := (op.B + g.images - 1) / g.images
		op.each(chunks, func(wk, ch int) {
			i0 := ch * g.images
			n := min(g.images, op.B-i0)
			var arg []uint8
			if op.arg != nil {
				arg = op.arg[i0*out : (i0+n)*out]
			}
			if res != nil { // the add and its ReLU in the output transform
				g.forward(wk, x[i0*in:(i0+n)*in], y[i0*out:(i0+n)*out], b, n, op.ReLU, false, nil, res[i0*out:(i0+n)*out])
				return
			}
			g.forward(wk, x[i0*in:(i0+n)*in], y[i0*out:(i0+n)*out], b, n, relu, op.Pool, arg, nil)
		})
		return t, nil
	}
	if op.Pool && op.arg == nil {
		op.arg = make([]uint8, len(y))
	}
	if d := op.direct; d != nil {
		d.filters(w, b)
		op.each(op.B, func(wk, i int) {
			if !op.Pool {
				d.forward(wk, x[i*in:(i+1)*in], y[i*out:(i+1)*out], false, relu)
				residual(i, 1)
				return
			}
			full := op.full[wk] // pooled below, with the bias and ReLU
			d.forward(wk, x[i*in:(i+1)*in], full, true, false)
			op.pool(full, b, y[i*out/4:(i+1)*out/4], op.arg[i*out/4:(i+1)*out/4])
		})
		return t, nil
	}
	op.each(op.B, func(wk, i int) {
		col := op.cols[wk]
		op.im2col(x[i*in:(i+1)*in], col)
		var yi []float32
		if op.Pool { // the full output goes to scratch, then is pooled into y
			yi = op.full[wk]
		} else {
			yi = y[i*out : (i+1)*out]
		}
		gemm.Mul(yi, px, gemm.Matrix{Data: w, Stride: op.rows()}, gemm.Matrix{Data: col, Stride: px}, op.O, px, op.rows(), false)
		if op.Pool {
			op.pool(yi, b, y[i*out/4:(i+1)*out/4], op.arg[i*out/4:(i+1)*out/4])
			return
		}
		for o := 0; o < op.O; o++ {
			row := yi[o*px : (o+1)*px]
			bo := b[o]
			if relu {
				simd.Max4ReLU(row, row, row, row, row, bo) // max(v+b, 0)
			} else {
				for j := range row {
					row[j] += bo
				}
			}
		}
		residual(i, 1)
	})
	return t, nil
}

// im2col unfolds one image [C,H,W] into col [C*K*K, OH*OW]: row
// (c,ky,kx) holds the input pixel each output pixel sees through that tap.
func (op *Conv) im2col(x, col []float32) {
	oh, ow, px := op.OH(), op.OW(), op.pixels()
	r := 0
	for c := 0; c < op.C; c++ {
		plane := x[c*op.H*op.W : (c+1)*op.H*op.W]
		for ky := 0; ky < op.K; ky++ {
			for kx := 0; kx < op.K; kx++ {
				dst := col[r*px : (r+1)*px]
				r++
				for oy := 0; oy < oh; oy++ {
					iy := oy + ky - op.Pad
					line := dst[oy*ow : (oy+1)*ow]
					if iy < 0 || iy >= op.H {
						clear(line)
						continue
					}
					// Output columns whose input column ox+kx-pad is inside.
					lo := max(0, op.Pad-kx)
					hi := min(ow, op.W+op.Pad-kx)
					clear(line[:lo])
					if hi > lo {
						copy(line[lo:hi], plane[iy*op.W+lo+kx-op.Pad:])
					}
					if hi < ow {
						clear(line[max(hi, lo):])
					}
				}
			}
		}
	}
}

// pool adds the bias to one image's full output [O,OH,OW], applies ReLU
// and 2×2 max pooling into out [O,OH/2,OW/2], recording the maxima.
func (op *Conv) pool(full, bias, out []float32, arg []uint8) {
	oh, ow := op.OH(), op.OW()
	ph, pw := oh/2, ow/2
	for o := 0; o < op.O; o++ {
		simd.Pool2x2Arg(out[o*ph*pw:(o+1)*ph*pw], arg[o*ph*pw:(o+1)*ph*pw], full[o*oh*ow:], ow, pw, ph, bias[o])
	}
}
