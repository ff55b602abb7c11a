package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Tensor is one named parameter tensor in PyTorch's layout.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Filters is the number of output filters: the first dimension (a conv
// output channel, a dense output neuron). A 1-D tensor has one per value.
func (t *Tensor) Filters() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[0]
}

// Filter returns the values of output filter f.
func (t *Tensor) Filter(f int) []float32 {
	n := len(t.Data) / t.Filters()
	return t.Data[f*n : (f+1)*n]
}

// IsBias reports whether the tensor is 1-D (biases and similar).
func (t *Tensor) IsBias() bool { return len(t.Shape) <= 1 }

// IsBuffer reports whether the tensor is state a layer keeps rather than a
// parameter trained by gradients: batch norm's running mean and variance.
func (t *Tensor) IsBuffer() bool {
	return strings.HasSuffix(t.Name, ".running_mean") || strings.HasSuffix(t.Name, ".running_var")
}

// Params is an ordered set of tensors: a model's state_dict, a direction,
// or a gradient.
type Params []Tensor

// Len is the total number of values.
func (p Params) Len() int {
	n := 0
	for _, t := range p {
		n += len(t.Data)
	}
	return n
}

// Clone returns a deep copy.
func (p Params) Clone() Params {
	out := make(Params, len(p))
	for i, t := range p {
		out[i] = Tensor{Name: t.Name, Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
	}
	return out
}

// ZerosLike returns zero tensors of the same names and shapes.
func (p Params) ZerosLike() Params {
	out := make(Params, len(p))
	for i, t := range p {
		out[i] = Tensor{Name: t.Name, Shape: append([]int(nil), t.Shape...), Data: make([]float32, len(t.Data))}
	}
	return out
}

// CopyFrom copies values from q, which must have the same layout.
func (p Params) CopyFrom(q Params) {
	for i := range p {
		copy(p[i].Data, q[i].Data)
	}
}

// Combine writes base + a·d + b·e into p (d or e may be nil). It is how a
// scan moves the weights: in place, no allocation.
func (p Params) Combine(base Params, a float64, d Params, b float64, e Params) {
	for i := range p {
		dst, src := p[i].Data, base[i].Data
		switch {
		case d != nil && e != nil:
			dd, ee := d[i].Data, e[i].Data
			for j := range dst {
				dst[j] = float32(float64(src[j]) + a*float64(dd[j]) + b*float64(ee[j]))
			}
		case d != nil:
			dd := d[i].Data
			for j := range dst {
				dst[j] = float32(float64(src[j]) + a*float64(dd[j]))
			}
		default:
			copy(dst, src)
		}
	}
}

// Dot is the inner product over all values, in float64.
func (p Params) Dot(q Params) float64 {
	s := 0.0
	for i := range p {
		qd := q[i].Data
		for j, v := range p[i].Data {
			s += float64(v) * float64(qd[j])
		}
	}
	return s
}

// Norm is the Euclidean norm over all values.
func (p Params) Norm() float64 { return math.Sqrt(p.Dot(p)) }

// SameLayout reports the first tensor whose name or shape differs from q,
// or nil when p and q have the same layout.
func (p Params) SameLayout(q Params) error {
	for i := range p {
		if i >= len(q) {
			return fmt.Errorf("tensor %s is missing", p[i].Name)
		}
		if p[i].Name != q[i].Name || !slices.Equal(p[i].Shape, q[i].Shape) {
			return fmt.Errorf("tensor %d is %s %v, want %s %v", i, q[i].Name, q[i].Shape, p[i].Name, p[i].Shape)
		}
	}
	if len(q) > len(p) {
		return fmt.Errorf("unexpected extra tensor %s", q[len(p)].Name)
	}
	return nil
}

// InBatchNorm marks the tensors of batch-norm layers: their scale and
// shift (γ, β: the 1-D ".weight" and ".bias" of a layer that keeps
// running statistics) and the statistics themselves.
func (p Params) InBatchNorm() []bool {
	bn := map[string]bool{}
	for _, t := range p {
		if prefix, ok := strings.CutSuffix(t.Name, ".running_mean"); ok {
			bn[prefix] = true
		}
	}
	out := make([]bool, len(p))
	for i, t := range p {
		dot := strings.LastIndexByte(t.Name, '.')
		out[i] = dot > 0 && bn[t.Name[:dot]] && t.IsBias()
	}
	return out
}

// Finite reports whether every value is finite.
func (p Params) Finite() bool {
	for _, t := range p {
		for _, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
	}
	return true
}
