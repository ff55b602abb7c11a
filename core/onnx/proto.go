package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The parts of ONNX's messages (onnx.proto, field numbers as there) that
// a convolutional classifier needs.

// Model is a decoded ModelProto.
type Model struct {
	Producer string // producer_name and version: "pytorch 1.13.0"
	Opset    int    // of the default domain
	Graph    Graph
}

// Graph is a decoded GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers map[string]*Tensor
	Inputs       []Value // the graph's inputs, initializers among them in old files
	Outputs      []Value
}

// Node is one operator application.
type Node struct {
	Op      string // op_type: "Conv"
	Domain  string
	Name    string
	Inputs  []string // "" for an optional input left out
	Outputs []string
	Attrs   map[string]Attr
}

// Attr is a node attribute: whichever of its fields the type uses.
type Attr struct {
	Float  float32
	Int    int64
	Str    string
	Tensor *Tensor
	Floats []float32
	Ints   []int64
	Kind   int // AttributeProto.type: 1 float, 2 int, 3 string, 4 tensor, 6 floats, 7 ints
}

// Value is a graph input or output: its name and shape (a dimension is -1
// when symbolic, like a batch dimension "N").
type Value struct {
	Name  string
	Shape []int64
	Type  int // element type, as Tensor.Type
}

// Element types of TensorProto.data_type.
const (
	TypeFloat  = 1
	TypeUint8  = 2
	TypeInt8   = 3
	TypeInt32  = 6
	TypeInt64  = 7
	TypeBool   = 9
	TypeDouble = 11
)

// Tensor is a decoded TensorProto: floating types as Floats, integer
// types as Ints.
type Tensor struct {
	Name   string
	Dims   []int64
	Type   int
	Floats []float32
	Ints   []int64
}

// Size is the number of values its dimensions give.
func (t *Tensor) Size() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// ParseModel decodes a ModelProto.
func ParseModel(b []byte) (*Model, error) {
	fs, err := fields(b)
	if err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	m := &Model{Opset: -1}
	var version string
	var graph []byte
	for _, f := range fs {
		switch {
		case f.n == 2 && f.wire == wireBytes:
			m.Producer = f.str()
		case f.n == 3 && f.wire == wireBytes:
			version = f.str()
		case f.n == 7 && f.wire == wireBytes:
			graph = f.bytes
		case f.n == 8 && f.wire == wireBytes:
			op, err := fields(f.bytes)
			if err != nil {
				return nil, fmt.Errorf("opset_import: %w", err)
			}
			domain, v := "", int64(0)
			for _, g := range op {
				switch g.n {
				case 1:
					domain = g.str()
				case 2:
					v = g.int64()
				}
			}
			if domain == "" || domain == "ai.onnx" {
				m.Opset = int(v)
			}
		}
	}
	if version != "" {
		m.Producer += " " + version
	}
	if graph == nil {
		return nil, fmt.Errorf("not an ONNX model: no graph")
	}
	if m.Graph, err = parseGraph(graph); err != nil {
		return nil, oneLine(fmt.Errorf("graph: %w", err))
	}
	return m, nil
}

func parseGraph(b []byte) (Graph, error) {
	g := Graph{Initializers: map[string]*Tensor{}}
	fs, err := fields(b)
	if err != nil {
		return g, err
	}
	for _, f := range fs {
		if f.wire != wireBytes {
			continue
		}
		switch f.n {
		case 1:
			n, err := parseNode(f.bytes)
			if err != nil {
				return g, fmt.Errorf("node %d: %w", len(g.Nodes)+1, err)
			}
			g.Nodes = append(g.Nodes, n)
		case 2:
			g.Name = f.str()
		case 5:
			t, err := ParseTensor(f.bytes)
			if err != nil {
				return g, fmt.Errorf("initializer %d: %w", len(g.Initializers)+1, err)
			}
			g.Initializers[t.Name] = t
		case 11, 12:
			v, err := parseValue(f.bytes)
			if err != nil {
				return g, fmt.Errorf("input or output: %w", err)
			}
			if f.n == 11 {
				g.Inputs = append(g.Inputs, v)
			} else {
				g.Outputs = append(g.Outputs, v)
			}
		}
	}
	return g, nil
}

func parseNode(b []byte) (Node, error) {
	n := Node{Attrs: map[string]Attr{}}
	fs, err := fields(b)
	if err != nil {
		return n, err
	}
	for _, f := range fs {
		if f.wire != wireBytes {
			continue
		}
		switch f.n {
		case 1:
			n.Inputs = append(n.Inputs, f.str())
		case 2:
			n.Outputs = append(n.Outputs, f.str())
		case 3:
			n.Name = f.str()
		case 4:
			n.Op = f.str()
		case 7:
			n.Domain = f.str()
		case 5:
			name, a, err := parseAttr(f.bytes)
			if err != nil {
				return n, fmt.Errorf("%s attribute %s: %w", n.Op, name, err)
			}
			n.Attrs[name] = a
		}
	}
	return n, nil
}

func parseAttr(b []byte) (string, Attr, error) {
	var a Attr
	var name string
	fs, err := fields(b)
	if err != nil {
		return "", a, err
	}
	for _, f := range fs {
		switch f.n {
		case 1:
			name = f.str()
		case 2:
			a.Float = f.float32()
		case 3:
			a.Int = f.int64()
		case 4:
			a.Str = f.str()
		case 5:
			if a.Tensor, err = ParseTensor(f.bytes); err != nil {
				return name, a, err
			}
		case 7:
			if a.Floats, err = f.floats(a.Floats); err != nil {
				return name, a, err
			}
		case 8:
			if a.Ints, err = f.ints(a.Ints); err != nil {
				return name, a, err
			}
		case 20:
			a.Kind = int(f.num)
		}
	}
	return name, a, nil
}

func parseValue(b []byte) (Value, error) {
	var v Value
	fs, err := fields(b)
	if err != nil {
		return v, err
	}
	for _, f := range fs {
		switch {
		case f.n == 1 && f.wire == wireBytes:
			v.Name = f.str()
		case f.n == 2 && f.wire == wireBytes: // TypeProto
			tf, err := fields(f.bytes)
			if err != nil {
				return v, err
			}
			for _, t := range tf {
				if t.n != 1 || t.wire != wireBytes { // tensor_type only
					continue
				}
				if v.Type, v.Shape, err = parseTensorType(t.bytes); err != nil {
					return v, err
				}
			}
		}
	}
	return v, nil
}

func parseTensorType(b []byte) (int, []int64, error) {
	fs, err := fields(b)
	if err != nil {
		return 0, nil, err
	}
	typ, shape := 0, []int64(nil)
	for _, f := range fs {
		switch f.n {
		case 1:
			typ = int(f.num)
		case 2:
			dims, err := fields(f.bytes)
			if err != nil {
				return 0, nil, err
			}
			shape = []int64{}
			for _, d := range dims {
				if d.n != 1 {
					continue
				}
				df, err := fields(d.bytes)
				if err != nil {
					return 0, nil, err
				}
				size := int64(-1) // symbolic unless dim_value says
				for _, x := range df {
					if x.n == 1 && x.wire == wireVarint {
						size = x.int64()
					}
				}
				shape = append(shape, size)
			}
		}
	}
	return typ, shape, nil
}

// ParseTensor decodes a TensorProto (an initializer, or a .pb file of
// ONNX's test data).
func ParseTensor(b []byte) (*Tensor, error) {
	fs, err := fields(b)
	if err != nil {
		return nil, err
	}
	t := &Tensor{}
	var raw []byte
	var doubles []float64
	for _, f := range fs {
		switch f.n {
		case 1:
			if t.Dims, err = f.ints(t.Dims); err != nil {
				return nil, err
			}
		case 2:
			t.Type = int(f.num)
		case 4:
			if t.Floats, err = f.floats(t.Floats); err != nil {
				return nil, err
			}
		case 5, 7, 11: // int32_data, int64_data, uint64_data
			if t.Ints, err = f.ints(t.Ints); err != nil {
				return nil, err
			}
		case 8:
			t.Name = f.str()
		case 9:
			raw = f.bytes
		case 10:
			if doubles, err = f.doubles(doubles); err != nil {
				return nil, err
			}
		case 13:
			return nil, fmt.Errorf("tensor %s keeps its data in an external file: save the model with its weights inside (torch.onnx.export does for models under 2 GB)", t.Name)
		}
	}
	for _, d := range t.Dims {
		if d < 0 {
			return nil, fmt.Errorf("tensor %s has dimension %d", t.Name, d)
		}
	}
	n := t.Size()
	if n > 1<<28 {
		return nil, fmt.Errorf("tensor %s has %d values, more than basin reads", t.Name, n)
	}
	switch t.Type {
	case TypeFloat, TypeDouble:
		for _, v := range doubles {
			t.Floats = append(t.Floats, float32(v))
		}
		if raw != nil {
			w := 4
			if t.Type == TypeDouble {
				w = 8
			}
			if int64(len(raw)) != n*int64(w) {
				return nil, fmt.Errorf("tensor %s: %d raw bytes for %d values", t.Name, len(raw), n)
			}
			t.Floats = make([]float32, n)
			for i := range t.Floats {
				if w == 4 {
					t.Floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
				} else {
					t.Floats[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
				}
			}
		}
		if int64(len(t.Floats)) != n {
			return nil, fmt.Errorf("tensor %s: %d values for dimensions %v", t.Name, len(t.Floats), t.Dims)
		}
	case TypeInt64, TypeInt32, TypeInt8, TypeUint8, TypeBool:
		if raw != nil {
			t.Ints = t.Ints[:0]
			switch t.Type {
			case TypeInt64:
				for i := 0; i+8 <= len(raw); i += 8 {
					t.Ints = append(t.Ints, int64(binary.LittleEndian.Uint64(raw[i:])))
				}
			case TypeInt32:
				for i := 0; i+4 <= len(raw); i += 4 {
					t.Ints = append(t.Ints, int64(int32(binary.LittleEndian.Uint32(raw[i:]))))
				}
			case TypeInt8:
				for _, v := range raw {
					t.Ints = append(t.Ints, int64(int8(v)))
				}
			default:
				for _, v := range raw {
					t.Ints = append(t.Ints, int64(v))
				}
			}
		}
		if int64(len(t.Ints)) != n {
			return nil, fmt.Errorf("tensor %s: %d values for dimensions %v", t.Name, len(t.Ints), t.Dims)
		}
	default:
		return nil, fmt.Errorf("tensor %s has element type %s: basin reads float, double and integer tensors", t.Name, typeName(t.Type))
	}
	return t, nil
}

// typeName names an element type as onnx.proto does.
func typeName(t int) string {
	names := map[int]string{1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
		8: "string", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64", 16: "bfloat16"}
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("type %d", t)
}
