package hessian

import (
	"math"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
)

// ref64 is a plain float64 network with hand-written backpropagation, the
// yardstick for the R-operator: its gradients, differenced, give Hessian
// columns accurate to far better than float32.
type ref64 struct {
	arch   model.Arch
	shapes []model.Shape
}

func newRef64(a model.Arch) *ref64 {
	return &ref64{arch: a, shapes: a.Shapes()}
}

func flatten(p model.Params) []float64 {
	var out []float64
	for _, t := range p {
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
	x32 := make([]float32, data.Pixels)
	inputs := data.MNISTNorm().Inputs()
	for i := 0; i < set.Len(); i++ {
		inputs.Image(set, i, x32)
		x := make([]float64, data.Pixels)
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

// one is the loss of one image and its gradient.
func (r *ref64) one(theta, x []float64, label int) (float64, []float64) {
	layers := r.arch.Layers
	acts := [][]float64{x} // acts[i] is layer i's input
	inShape := model.Shape{1, data.Side, data.Side}
	inShapes := []model.Shape{}
	offs := []int{}
	off := 0
	args := map[int][]int{}
	for i, l := range layers {
		in := acts[len(acts)-1]
		inShapes = append(inShapes, inShape)
		offs = append(offs, off)
		var out []float64
		switch l.Kind {
		case model.Conv:
			out = r.conv(theta, off, l, inShape, in)
		case model.Dense:
			w, b := theta[off:off+l.Out*l.In], theta[off+l.Out*l.In:off+l.Out*l.In+l.Out]
			out = make([]float64, l.Out)
			for o := range out {
				s := b[o]
				for j, v := range in {
					s += w[o*l.In+j] * v
				}
				out[o] = s
			}
		case model.ReLU:
			out = make([]float64, len(in))
			for j, v := range in {
				out[j] = math.Max(v, 0)
			}
		case model.MaxPool:
			c, h, w := inShape[0], inShape[1], inShape[2]
			oh, ow := h/l.Kernel, w/l.Kernel
			out = make([]float64, c*oh*ow)
			arg := make([]int, len(out))
			for ch := 0; ch < c; ch++ {
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						best := ch*h*w + oy*l.Kernel*w + ox*l.Kernel
						for dy := 0; dy < l.Kernel; dy++ {
							for dx := 0; dx < l.Kernel; dx++ {
								at := ch*h*w + (oy*l.Kernel+dy)*w + ox*l.Kernel + dx
								if in[at] > in[best] {
									best = at
								}
							}
						}
						k := (ch*oh+oy)*ow + ox
						out[k], arg[k] = in[best], best
					}
				}
			}
			args[i] = arg
		case model.Flatten:
			out = in
		}
		if l.Kind == model.Conv || l.Kind == model.Dense {
			off += paramSize(l)
		}
		acts = append(acts, out)
		inShape = r.shapes[i]
	}
	z := acts[len(acts)-1]
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
	gy := make([]float64, len(z))
	for j, v := range z {
		gy[j] = math.Exp(v - lse)
	}
	gy[label]--

	grad := make([]float64, len(theta))
	for i := len(layers) - 1; i >= 0; i-- {
		l, in, off := layers[i], acts[i], offs[i]
		gx := make([]float64, len(in))
		switch l.Kind {
		case model.Dense:
			nw := l.Out * l.In
			for o, g := range gy {
				for j, v := range in {
					grad[off+o*l.In+j] += g * v
					gx[j] += g * theta[off+o*l.In+j]
				}
				grad[off+nw+o] += g
			}
		case model.Conv:
			r.convBack(theta, grad, off, l, inShapes[i], in, gy, gx)
		case model.ReLU:
			for j, v := range in {
				if v > 0 {
					gx[j] = gy[j]
				}
			}
		case model.MaxPool:
			for k, a := range args[i] {
				gx[a] += gy[k]
			}
		case model.Flatten:
			copy(gx, gy)
		}
		gy = gx
	}
	return loss, grad
}

func paramSize(l model.Layer) int {
	if l.Kind == model.Conv {
		return l.Out*l.In*l.Kernel*l.Kernel + l.Out
	}
	return l.Out*l.In + l.Out
}

func (r *ref64) conv(theta []float64, off int, l model.Layer, s model.Shape, in []float64) []float64 {
	c, h, w, k := s[0], s[1], s[2], l.Kernel
	oh, ow := h+2*l.Pad-k+1, w+2*l.Pad-k+1
	out := make([]float64, l.Out*oh*ow)
	nw := l.Out * c * k * k
	for o := 0; o < l.Out; o++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				sum := theta[off+nw+o]
				for ch := 0; ch < c; ch++ {
					for ky := 0; ky < k; ky++ {
						iy := oy + ky - l.Pad
						if iy < 0 || iy >= h {
							continue
						}
						for kx := 0; kx < k; kx++ {
							ix := ox + kx - l.Pad
							if ix < 0 || ix >= w {
								continue
							}
							sum += theta[off+((o*c+ch)*k+ky)*k+kx] * in[(ch*h+iy)*w+ix]
						}
					}
				}
				out[(o*oh+oy)*ow+ox] = sum
			}
		}
	}
	return out
}

func (r *ref64) convBack(theta, grad []float64, off int, l model.Layer, s model.Shape, in, gy, gx []float64) {
	c, h, w, k := s[0], s[1], s[2], l.Kernel
	oh, ow := h+2*l.Pad-k+1, w+2*l.Pad-k+1
	nw := l.Out * c * k * k
	for o := 0; o < l.Out; o++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				g := gy[(o*oh+oy)*ow+ox]
				grad[off+nw+o] += g
				for ch := 0; ch < c; ch++ {
					for ky := 0; ky < k; ky++ {
						iy := oy + ky - l.Pad
						if iy < 0 || iy >= h {
							continue
						}
						for kx := 0; kx < k; kx++ {
							ix := ox + kx - l.Pad
							if ix < 0 || ix >= w {
								continue
							}
							wi := off + ((o*c+ch)*k+ky)*k + kx
							grad[wi] += g * in[(ch*h+iy)*w+ix]
							gx[(ch*h+iy)*w+ix] += g * theta[wi]
						}
					}
				}
			}
		}
	}
}
