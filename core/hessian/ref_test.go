package hessian

import (
	"math"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
)

// ref64 is a plain float64 network with hand-written backpropagation, the
// yardstick for the R-operator: its gradients, differenced, give Hessian
// columns accurate to far better than float32. It walks the same graph
// (batch norm in evaluation mode, dropout the identity), one image and
// one scalar at a time, written independently of the stages.
type ref64 struct {
	arch   model.Arch
	shapes []model.Shape
	inputs [][]int
	stats  map[int][2][]float32 // batch norm layer → running mean, variance
	offs   []int                // each layer's first value in θ
}

// newRef64 reads the architecture and the batch-norm statistics of params
// (θ itself is given to grad, in Product's layout: trained tensors only).
func newRef64(a model.Arch, params model.Params) *ref64 {
	r := &ref64{arch: a, shapes: a.Shapes(), inputs: a.Inputs(), stats: map[int][2][]float32{}}
	off, k := 0, 0
	for i, l := range a.Layers {
		r.offs = append(r.offs, off)
		for n := 0; n < l.TensorCount(); n++ {
			t := params[k+n]
			if t.IsBuffer() {
				r.stats[i] = [2][]float32{params[k+n].Data, params[k+n+1].Data}
				break
			}
			off += len(t.Data)
		}
		k += l.TensorCount()
	}
	return r
}

// flatten is θ as Product's vectors lay it out: trained tensors only.
func flatten(p model.Params) []float64 {
	var out []float64
	for _, t := range p {
		if t.IsBuffer() {
			continue
		}
		for _, v := range t.Data {
			out = append(out, float64(v))
		}
	}
	return out
}

// grad returns the mean loss over the images of set at θ and its gradient.
func (r *ref64) grad(theta []float64, set *data.Dataset) (float64, []float64) {
	g := make([]float64, len(theta))
	loss := 0.0
	in := r.arch.Input
	x32 := make([]float32, in.Size())
	inputs := r.arch.Norm.Inputs()
	for i := 0; i < set.Len(); i++ {
		inputs.Image(set, i, x32)
		x := make([]float64, in.Size())
		for j, v := range x32 {
			x[j] = float64(v)
		}
		l, gi := r.one(theta, x, int(set.Labels[i]))
		loss += l
		for j := range g {
			g[j] += gi[j]
		}
	}
	n := float64(set.Len())
	for j := range g {
		g[j] /= n
	}
	return loss / n, g
}

// window is a conv's or pool's geometry for layer i.
func (r *ref64) window(i int) (c, h, w, k, stride, pad, d, oh, ow int) {
	s := r.inShape(i)
	l := r.arch.Layers[i]
	stride = l.Stride
	if stride == 0 {
		stride = 1
		if l.Kind != model.Conv {
			stride = l.Kernel
		}
	}
	c, h, w, k, pad, d = s[0], s[1], s[2], l.Kernel, l.Pad, max(l.Dilation, 1)
	span := d*(k-1) + 1
	return c, h, w, k, stride, pad, d, (h+2*pad-span)/stride + 1, (w+2*pad-span)/stride + 1
}

func (r *ref64) inShape(i int) model.Shape {
	if j := r.inputs[i][0]; j >= 0 {
		return r.shapes[j]
	}
	in := r.arch.Input
	return model.Shape{in.C, in.H, in.W}
}

// taps calls f(output index, input index, weight index) for every tap of
// a conv or pool window of layer i that falls inside the image.
func (r *ref64) taps(i, outC int, f func(o, x, w int)) {
	c, h, w, k, s, pad, d, oh, ow := r.window(i)
	conv := r.arch.Layers[i].Kind == model.Conv
	for o := 0; o < outC; o++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for ch := 0; ch < c; ch++ {
					if !conv && ch != o {
						continue
					}
					for ky := 0; ky < k; ky++ {
						iy := oy*s + ky*d - pad
						for kx := 0; kx < k; kx++ {
							ix := ox*s + kx*d - pad
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								f((o*oh+oy)*ow+ox, (ch*h+iy)*w+ix, ((o*c+ch)*k+ky)*k+kx)
							}
						}
					}
				}
			}
		}
	}
}

// one is the loss of one image and its gradient.
// poolArea is what average pool i divides each of its n outputs by: the
// kernel's area, or the taps inside the image when it excludes padding.
func (r *ref64) poolArea(i, n int) []float64 {
	l := r.arch.Layers[i]
	area := make([]float64, n)
	for o := range area {
		area[o] = float64(l.Kernel * l.Kernel)
	}
	if l.ExcludePad {
		clear(area)
		r.taps(i, r.inShape(i)[0], func(o, _, _ int) { area[o]++ })
	}
	return area
}

func (r *ref64) one(theta, x []float64, label int) (float64, []float64) {
	layers := r.arch.Layers
	outs := make([][]float64, len(layers))
	args := map[int][]int{}
	in := func(i, k int) []float64 {
		if j := r.inputs[i][k]; j >= 0 {
			return outs[j]
		}
		return x
	}
	for i, l := range layers {
		a, off := in(i, 0), r.offs[i]
		out := make([]float64, r.shapes[i].Size())
		switch l.Kind {
		case model.Conv:
			nw := l.Out * l.In * l.Kernel * l.Kernel
			r.taps(i, l.Out, func(o, xi, wi int) { out[o] += theta[off+wi] * a[xi] })
			if !l.NoBias {
				px := len(out) / l.Out
				for j := range out {
					out[j] += theta[off+nw+j/px]
				}
			}
		case model.Dense:
			for o := range out {
				s := 0.0
				if !l.NoBias {
					s = theta[off+l.Out*l.In+o]
				}
				for j, v := range a {
					s += theta[off+o*l.In+j] * v
				}
				out[o] = s
			}
		case model.ReLU:
			for j, v := range a {
				out[j] = math.Max(v, 0)
			}
		case model.LeakyReLU:
			for j, v := range a {
				out[j] = v
				if v < 0 {
					out[j] = v * l.Slope
				}
			}
		case model.MaxPool:
			arg := make([]int, len(out))
			for j := range arg {
				arg[j] = -1
			}
			r.taps(i, r.inShape(i)[0], func(o, xi, _ int) {
				if arg[o] < 0 || a[xi] > a[arg[o]] {
					arg[o] = xi
				}
			})
			for j, at := range arg {
				out[j] = a[at]
			}
			args[i] = arg
		case model.AvgPool:
			area := r.poolArea(i, len(out))
			r.taps(i, r.inShape(i)[0], func(o, xi, _ int) { out[o] += a[xi] / area[o] })
		case model.GlobalAvgPool:
			hw := len(a) / len(out)
			for j, v := range a {
				out[j/hw] += v / float64(hw)
			}
		case model.BatchNorm:
			st := r.stats[i]
			hw := len(a) / l.In
			for j, v := range a {
				c := j / hw
				out[j] = theta[off+c]*(v-float64(st[0][c]))/math.Sqrt(float64(st[1][c])+l.BNEps()) + theta[off+l.In+c]
			}
		case model.Add:
			for k := range r.inputs[i] {
				for j, v := range in(i, k) {
					out[j] += v
				}
			}
		case model.Flatten, model.Dropout:
			copy(out, a)
		}
		outs[i] = out
	}
	z := outs[len(outs)-1]
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	loss := lse - z[label]

	grads := make([][]float64, len(layers)) // ∂loss/∂ each layer's output
	for i := range grads {
		grads[i] = make([]float64, len(outs[i]))
	}
	last := grads[len(grads)-1]
	for j, v := range z {
		last[j] = math.Exp(v - lse)
	}
	last[label]--
	grad := make([]float64, len(theta))
	for i := len(layers) - 1; i >= 0; i-- {
		l, a, off, gy := layers[i], in(i, 0), r.offs[i], grads[i]
		gx := make([]float64, len(a)) // the first input's gradient
		switch l.Kind {
		case model.Dense:
			nw := l.Out * l.In
			for o, g := range gy {
				for j, v := range a {
					grad[off+o*l.In+j] += g * v
					gx[j] += g * theta[off+o*l.In+j]
				}
				if !l.NoBias {
					grad[off+nw+o] += g
				}
			}
		case model.Conv:
			r.taps(i, l.Out, func(o, xi, wi int) {
				grad[off+wi] += gy[o] * a[xi]
				gx[xi] += gy[o] * theta[off+wi]
			})
			if !l.NoBias {
				nw, px := l.Out*l.In*l.Kernel*l.Kernel, len(gy)/l.Out
				for j, g := range gy {
					grad[off+nw+j/px] += g
				}
			}
		case model.ReLU:
			for j, v := range a {
				if v > 0 {
					gx[j] = gy[j]
				}
			}
		case model.LeakyReLU:
			for j, v := range a {
				gx[j] = gy[j]
				if v < 0 {
					gx[j] *= l.Slope
				}
			}
		case model.MaxPool:
			for k, at := range args[i] {
				gx[at] += gy[k]
			}
		case model.AvgPool:
			area := r.poolArea(i, len(gy))
			r.taps(i, r.inShape(i)[0], func(o, xi, _ int) { gx[xi] += gy[o] / area[o] })
		case model.GlobalAvgPool:
			hw := len(a) / len(gy)
			for j := range gx {
				gx[j] = gy[j/hw] / float64(hw)
			}
		case model.BatchNorm:
			st := r.stats[i]
			hw := len(a) / l.In
			for j, v := range a {
				c := j / hw
				inv := 1 / math.Sqrt(float64(st[1][c])+l.BNEps())
				grad[off+c] += gy[j] * (v - float64(st[0][c])) * inv
				grad[off+l.In+c] += gy[j]
				gx[j] = gy[j] * theta[off+c] * inv
			}
		case model.Add, model.Flatten, model.Dropout:
			copy(gx, gy)
		}
		for k, j := range r.inputs[i] {
			if j < 0 {
				continue
			}
			src := gx
			if k > 0 { // an add's other inputs get the same gradient
				src = gy
			}
			for n, g := range src {
				grads[j][n] += g
			}
		}
	}
	return loss, grad
}
