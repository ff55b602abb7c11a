package hessian

import (
	"context"
	"fmt"
	"strings"
)

// Block is one layer's parameters: a contiguous range of the flat vector.
type Block struct {
	Name   string `json:"layer"`
	Lo, Hi int    `json:"-"`
}

// Blocks lists the layers with parameters (weight and bias together; a
// batch norm's γ and β), in order.
func (p *Product) Blocks() []Block {
	var out []Block
	for i, t := range p.params {
		if p.offset[i] < 0 {
			continue
		}
		name := t.Name[:max(strings.LastIndexByte(t.Name, '.'), 0)]
		hi := p.offset[i] + len(t.Data)
		if n := len(out); n > 0 && out[n-1].Name == name {
			out[n-1].Hi = hi
			continue
		}
		out = append(out, Block{Name: name, Lo: p.offset[i], Hi: hi})
	}
	return out
}

// Restrict is the diagonal block H[lo:hi, lo:hi] of op: v is embedded in
// the full space with zeros elsewhere, and only the block's rows of Hv are
// kept.
func Restrict(op Operator, b Block) (Operator, error) {
	if b.Lo < 0 || b.Hi > op.Dim() || b.Lo >= b.Hi {
		return nil, fmt.Errorf("block %s [%d, %d) of a %d-parameter Hessian", b.Name, b.Lo, b.Hi, op.Dim())
	}
	return &restricted{op: op, b: b, v: make([]float64, op.Dim()), hv: make([]float64, op.Dim())}, nil
}

type restricted struct {
	op    Operator
	b     Block
	v, hv []float64
}

func (r *restricted) Dim() int { return r.b.Hi - r.b.Lo }

func (r *restricted) Apply(ctx context.Context, v, hv []float64) error {
	clear(r.v)
	copy(r.v[r.b.Lo:r.b.Hi], v)
	if err := r.op.Apply(ctx, r.v, r.hv); err != nil {
		return err
	}
	copy(hv, r.hv[r.b.Lo:r.b.Hi])
	return nil
}
