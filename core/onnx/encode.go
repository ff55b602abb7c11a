package onnx

import (
	"encoding/binary"
	"maps"
	"math"
	"slices"
)

// Marshal writes the model in ONNX's protobuf encoding: the fields
// ParseModel reads, so a model round-trips (Export makes one from a basin
// architecture; tests make small graphs with it).
func (m *Model) Marshal() []byte {
	var b enc
	b.varint(1, 8) // ir_version 8 (ONNX 1.10+)
	if m.Producer != "" {
		b.str(2, m.Producer)
	}
	b.msg(7, m.Graph.marshal())
	var op enc
	op.str(1, "")
	op.varint(2, uint64(max(m.Opset, 1)))
	b.msg(8, op)
	return b
}

func (g *Graph) marshal() enc {
	var b enc
	for _, n := range g.Nodes {
		b.msg(1, n.marshal())
	}
	b.str(2, g.Name)
	for _, k := range slices.Sorted(maps.Keys(g.Initializers)) { // a stable file
		t := *g.Initializers[k]
		t.Name = k
		b.msg(5, t.marshal())
	}
	for _, v := range g.Inputs {
		b.msg(11, v.marshal())
	}
	for _, v := range g.Outputs {
		b.msg(12, v.marshal())
	}
	return b
}

func (n *Node) marshal() enc {
	var b enc
	for _, s := range n.Inputs {
		b.str(1, s)
	}
	for _, s := range n.Outputs {
		b.str(2, s)
	}
	b.str(3, n.Name)
	b.str(4, n.Op)
	for _, k := range slices.Sorted(maps.Keys(n.Attrs)) {
		a := n.Attrs[k]
		var ab enc
		ab.str(1, k)
		switch {
		case a.Tensor != nil:
			ab.msg(5, a.Tensor.marshal())
			ab.varint(20, 4)
		case a.Ints != nil:
			for _, v := range a.Ints {
				ab.varint(8, uint64(v))
			}
			ab.varint(20, 7)
		case a.Floats != nil:
			for _, v := range a.Floats {
				ab.fixed32(7, math.Float32bits(v))
			}
			ab.varint(20, 6)
		case a.Str != "" || a.Kind == 3:
			ab.str(4, a.Str)
			ab.varint(20, 3)
		case a.Kind == 1:
			ab.fixed32(2, math.Float32bits(a.Float))
			ab.varint(20, 1)
		default:
			ab.varint(3, uint64(a.Int))
			ab.varint(20, 2)
		}
		b.msg(5, ab)
	}
	if n.Domain != "" {
		b.str(7, n.Domain)
	}
	return b
}

func (t *Tensor) marshal() enc {
	var b enc
	for _, d := range t.Dims {
		b.varint(1, uint64(d))
	}
	typ := t.Type
	if typ == 0 {
		typ = TypeFloat
	}
	b.varint(2, uint64(typ))
	b.str(8, t.Name)
	if typ == TypeFloat {
		raw := make([]byte, 4*len(t.Floats))
		for i, v := range t.Floats {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		b.bytes(9, raw)
	} else {
		for _, v := range t.Ints {
			b.varint(7, uint64(v))
		}
	}
	return b
}

func (v *Value) marshal() enc {
	var shape enc
	for _, d := range v.Shape {
		var dim enc
		if d < 0 {
			dim.str(2, "N")
		} else {
			dim.varint(1, uint64(d))
		}
		shape.msg(1, dim)
	}
	var tt enc
	typ := v.Type
	if typ == 0 {
		typ = TypeFloat
	}
	tt.varint(1, uint64(typ))
	tt.msg(2, shape)
	var tp enc
	tp.msg(1, tt)
	var b enc
	b.str(1, v.Name)
	b.msg(2, tp)
	return b
}

// enc is a message being written.
type enc []byte

func (b *enc) key(n, wire int) { *b = binary.AppendUvarint(*b, uint64(n<<3|wire)) }

func (b *enc) varint(n int, v uint64) {
	b.key(n, wireVarint)
	*b = binary.AppendUvarint(*b, v)
}

func (b *enc) fixed32(n int, v uint32) {
	b.key(n, wire32)
	*b = binary.LittleEndian.AppendUint32(*b, v)
}

func (b *enc) bytes(n int, v []byte) {
	b.key(n, wireBytes)
	*b = binary.AppendUvarint(*b, uint64(len(v)))
	*b = append(*b, v...)
}

func (b *enc) str(n int, s string) { b.bytes(n, []byte(s)) }
func (b *enc) msg(n int, m enc)    { b.bytes(n, m) }
