package onnx

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
)

// Output is what an imported graph's last node gives: basin computes its
// loss from the logits either way (cross-entropy on logits is NLL on
// log-softmax), and Forward applies the model's own ending.
type Output int

const (
	Logits Output = iota
	Softmax
	LogSoftmax
)

func (o Output) String() string { return [...]string{"logits", "softmax", "log-softmax"}[o] }

// Imported is an ONNX graph as basin's layers, with its initializers as
// the parameters, named as in the file.
type Imported struct {
	Arch   model.Arch
	Params model.Params
	Output Output
	Model  *Model
	// Batch is the batch size the file fixes (0: symbolic, any).
	Batch int
}

// Supported lists the ops the importer maps onto basin's layers.
var Supported = []string{"Add", "AveragePool", "BatchNormalization", "Constant", "Conv", "Dropout", "Flatten",
	"Gemm", "GlobalAveragePool", "Identity", "LeakyRelu", "LogSoftmax", "MatMul", "MaxPool", "ReduceMean", "Relu", "Reshape", "Softmax"}

// UnsupportedError is an op, or an op's setting, that basin has no layer
// for: the one line a user sees, naming the node.
type UnsupportedError struct {
	Node, Op, Why string
}

func (e *UnsupportedError) Error() string {
	if e.Why == "" {
		return fmt.Sprintf("node %s: basin has no layer for op %s (it reads %s)", e.Node, e.Op, strings.Join(Supported, ", "))
	}
	return fmt.Sprintf("node %s (%s): %s", e.Node, e.Op, e.Why)
}

// value is a tensor flowing through the graph: produced by a layer (by
// its index; -1 is the image), with its shape per image.
type value struct {
	layer int
	shape model.Shape
}

// importer builds layers from nodes in order.
type importer struct {
	g      *Graph
	layers []model.Layer
	data   [][][]float32 // per layer, its tensors' values in order
	values map[string]value
	consts map[string]*Tensor
	names  map[string]bool
	used   map[string]string // initializer → the layer that took it
	// matmul marks dense layers made from a MatMul, whose bias an Add
	// after them may still give.
	matmul map[int]bool
	output Output
	final  string // the graph output's value name
}

// Import maps a decoded model onto basin's layers. Inputs beyond the
// first that have no initializer must be given in extra (as ONNX's node
// tests give a conv's weights); the image is the remaining input.
func Import(m *Model, extra map[string]*Tensor) (*Imported, error) {
	im, err := importModel(m, extra)
	return im, oneLine(err)
}

// oneLine keeps an error to one line: names from a file may hold line
// breaks and other control characters, shown escaped.
func oneLine(err error) error {
	if err == nil || !strings.ContainsFunc(err.Error(), unicode.IsControl) {
		return err
	}
	return errors.New(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, err.Error()))
}

func importModel(m *Model, extra map[string]*Tensor) (*Imported, error) {
	g := &m.Graph
	if m.Opset > 21 {
		return nil, fmt.Errorf("opset %d: basin reads opsets up to 21", m.Opset)
	}
	im := &importer{g: g, values: map[string]value{}, consts: map[string]*Tensor{}, names: map[string]bool{},
		used: map[string]string{}, matmul: map[int]bool{}}
	for k, t := range g.Initializers {
		im.consts[k] = t
	}
	for k, t := range extra {
		im.consts[k] = t
	}
	var img *Value
	for i := range g.Inputs {
		if _, ok := im.consts[g.Inputs[i].Name]; ok {
			continue
		}
		if img != nil {
			return nil, fmt.Errorf("the graph has two inputs, %s and %s: basin feeds one image batch", img.Name, g.Inputs[i].Name)
		}
		img = &g.Inputs[i]
	}
	if img == nil {
		return nil, fmt.Errorf("the graph has no input besides its initializers")
	}
	if len(g.Outputs) != 1 {
		return nil, fmt.Errorf("the graph has %d outputs: basin reads a classifier with one", len(g.Outputs))
	}
	im.final = g.Outputs[0].Name
	in, batch, err := imageShape(*img)
	if err != nil {
		return nil, err
	}
	im.values[img.Name] = value{layer: -1, shape: model.Shape{in.C, in.H, in.W}}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Name == "" {
			n.Name = fmt.Sprintf("%s_%d", n.Op, i)
		}
		if n.Domain != "" && n.Domain != "ai.onnx" {
			return nil, &UnsupportedError{Node: n.Name, Op: n.Domain + "." + n.Op, Why: "an op of domain " + n.Domain + ", not ONNX's own"}
		}
		if err := im.node(n); err != nil {
			return nil, err
		}
	}
	out, ok := im.values[im.final]
	if !ok {
		return nil, fmt.Errorf("the graph's output %s is made by no node basin read", im.final)
	}
	if out.layer < 0 {
		return nil, fmt.Errorf("the graph's output %s is its input: there is no layer", im.final)
	}
	if out.layer != len(im.layers)-1 {
		return nil, fmt.Errorf("the graph's output %s is not its last layer's", im.final)
	}
	a := model.Arch{Preset: g.Name, Input: in, Norm: data.Identity(in.C), Layers: im.layers}
	if a.Preset == "" {
		a.Preset = "onnx"
	}
	if len(out.shape) == 1 {
		a.Classes = out.shape[0]
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	p := a.NewParams()
	k := 0
	for i := range a.Layers {
		for _, v := range im.data[i] {
			if len(v) != len(p[k].Data) {
				return nil, fmt.Errorf("tensor %s has %d values, its layer takes %d", p[k].Name, len(v), len(p[k].Data))
			}
			copy(p[k].Data, v)
			k++
		}
	}
	seen := map[string]bool{}
	for _, t := range p {
		if seen[t.Name] {
			return nil, fmt.Errorf("tensor %s is used by two layers: basin has no shared weights", t.Name)
		}
		seen[t.Name] = true
	}
	return &Imported{Arch: a, Params: p, Output: im.output, Model: m, Batch: batch}, nil
}

// imageShape reads the image input's C×H×W (rank 4), C×H (rank 3, as
// C×H×1) or features (rank 2, as F×1×1) and its batch size.
func imageShape(v Value) (data.Shape, int, error) {
	d := v.Shape
	if v.Type == 0 {
		return data.Shape{}, 0, fmt.Errorf("input %s is not a tensor (a sequence, map or optional)", v.Name)
	}
	if v.Type != TypeFloat {
		return data.Shape{}, 0, fmt.Errorf("input %s is %s: basin feeds float images", v.Name, typeName(v.Type))
	}
	if len(d) < 2 || len(d) > 4 {
		return data.Shape{}, 0, fmt.Errorf("input %s has shape %v: basin feeds a batch of images (N×C×H×W) or of feature vectors (N×F)", v.Name, d)
	}
	for _, x := range d[1:] {
		if x < 1 {
			return data.Shape{}, 0, fmt.Errorf("input %s has shape %v with a symbolic size besides the batch: export with a fixed image size", v.Name, d)
		}
		if x > 1<<16 {
			return data.Shape{}, 0, fmt.Errorf("input %s has shape %v: basin takes images of up to 65536 values a side", v.Name, d)
		}
	}
	s := data.Shape{C: int(d[1]), H: 1, W: 1}
	if len(d) > 2 {
		s.H = int(d[2])
	}
	if len(d) > 3 {
		s.W = int(d[3])
	}
	return s, int(max(d[0], 0)), nil
}

// node maps one node.
func (im *importer) node(n *Node) error {
	switch n.Op {
	case "Constant":
		a, ok := n.Attrs["value"]
		if !ok || a.Tensor == nil || len(n.Outputs) != 1 {
			return &UnsupportedError{Node: n.Name, Op: n.Op, Why: "a Constant without a tensor value"}
		}
		im.consts[n.Outputs[0]] = a.Tensor
		return nil
	case "Identity":
		return im.alias(n)
	case "Conv":
		return im.conv(n)
	case "BatchNormalization":
		return im.batchNorm(n)
	case "Relu":
		return im.layer(n, model.Layer{Kind: model.ReLU}, nil, n.Inputs[0])
	case "LeakyRelu":
		a := float64(attrFloat(n, "alpha", model.DefaultSlope))
		if !(a >= 0 && a < 1) {
			return unsupported(n, "alpha %g: basin's leaky ReLU takes a slope in [0, 1)", a)
		}
		return im.layer(n, model.Layer{Kind: model.LeakyReLU, Slope: a}, nil, n.Inputs[0])
	case "MaxPool", "AveragePool":
		return im.pool(n)
	case "GlobalAveragePool":
		return im.layer(n, model.Layer{Kind: model.GlobalAvgPool}, nil, n.Inputs[0])
	case "ReduceMean":
		return im.reduceMean(n)
	case "Add":
		return im.add(n)
	case "Flatten":
		return im.flatten(n)
	case "Reshape":
		return im.reshape(n)
	case "Gemm":
		return im.gemm(n)
	case "MatMul":
		return im.matMul(n)
	case "Dropout":
		return im.dropout(n)
	case "Softmax", "LogSoftmax":
		return im.softmax(n)
	}
	return &UnsupportedError{Node: n.Name, Op: n.Op}
}

func unsupported(n *Node, format string, args ...any) error {
	return &UnsupportedError{Node: n.Name, Op: n.Op, Why: fmt.Sprintf(format, args...)}
}

// input is a node's computed input k (not a constant).
func (im *importer) input(n *Node, k int) (value, error) {
	if k >= len(n.Inputs) || n.Inputs[k] == "" {
		return value{}, unsupported(n, "input %d is missing", k+1)
	}
	name := n.Inputs[k]
	if v, ok := im.values[name]; ok {
		return v, nil
	}
	if _, ok := im.consts[name]; ok {
		return value{}, unsupported(n, "input %s is a constant: basin's layers take computed values there", name)
	}
	return value{}, unsupported(n, "input %s is made by no node before it", name)
}

// constant is a node's constant input k, nil when left out.
func (im *importer) constant(n *Node, k int) (*Tensor, error) {
	if k >= len(n.Inputs) || n.Inputs[k] == "" {
		return nil, nil
	}
	t, ok := im.consts[n.Inputs[k]]
	if !ok {
		return nil, unsupported(n, "input %s is computed: basin needs it as an initializer (a weight)", n.Inputs[k])
	}
	return t, nil
}

// floats is a constant's values as float32, for a weight.
func floats(n *Node, t *Tensor) ([]float32, error) {
	if t.Type != TypeFloat && t.Type != TypeDouble {
		return nil, unsupported(n, "tensor %s is %s: basin's weights are float", t.Name, typeName(t.Type))
	}
	if len(t.Floats) == 0 {
		return nil, unsupported(n, "tensor %s has no values (dimensions %v)", t.Name, t.Dims)
	}
	return t.Floats, nil
}

// alias makes a node's output the same value as its input.
func (im *importer) alias(n *Node) error {
	if len(n.Inputs) < 1 || len(n.Outputs) < 1 {
		return unsupported(n, "no input or output")
	}
	if v, ok := im.values[n.Inputs[0]]; ok {
		im.values[n.Outputs[0]] = v
		return nil
	}
	if t, ok := im.consts[n.Inputs[0]]; ok {
		im.consts[n.Outputs[0]] = t
		return nil
	}
	return unsupported(n, "input %s is made by no node before it", n.Inputs[0])
}

// layer appends l reading the given values, with its tensors' values.
func (im *importer) layer(n *Node, l model.Layer, tensors [][]float32, inputs ...string) error {
	if len(n.Outputs) < 1 {
		return unsupported(n, "no output")
	}
	var ins []model.Shape
	for k, name := range inputs {
		v, err := im.input(n, indexOf(n.Inputs, name, k))
		if err != nil {
			return err
		}
		if v.layer < 0 && len(im.layers) > 0 {
			return unsupported(n, "reads the input image, which a layer before it read already: basin's graphs read the image once")
		}
		ins = append(ins, v.shape)
		if v.layer >= 0 {
			l.From = append(l.From, im.layers[v.layer].Name)
		}
	}
	if len(l.From) == 1 && len(im.layers) > 0 && l.From[0] == im.layers[len(im.layers)-1].Name {
		l.From = nil // the layer before: the file format's default
	}
	l.Name = im.name(n)
	s, err := l.OutShape(ins...)
	if err != nil {
		return unsupported(n, "%v", err)
	}
	if s.Size() < 1 {
		return unsupported(n, "gets %v and leaves nothing", ins[0])
	}
	im.layers = append(im.layers, l)
	im.data = append(im.data, tensors)
	im.values[n.Outputs[0]] = value{layer: len(im.layers) - 1, shape: s}
	for _, extra := range n.Outputs[1:] {
		if extra != "" && im.read(extra) {
			return unsupported(n, "its output %s is read, and basin computes only the first", extra)
		}
	}
	return nil
}

func indexOf(list []string, s string, def int) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return def
}

// read reports whether any node or the graph output reads value name.
func (im *importer) read(name string) bool {
	if name == im.final {
		return true
	}
	for _, n := range im.g.Nodes {
		for _, in := range n.Inputs {
			if in == name {
				return true
			}
		}
	}
	return false
}

// name is a layer name for node n: its own, made fit for the
// architecture format (no spaces, commas or equals signs), and unique.
func (im *importer) name(n *Node) string {
	base := strings.Map(func(r rune) rune {
		if r <= ' ' || r == ',' || r == '=' || r == '#' {
			return '_'
		}
		return r
	}, n.Name)
	name := base
	for k := 2; im.names[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	im.names[name] = true
	return name
}

// tensorNames takes the names of a layer's constant inputs (by input
// index; -1 is skipped), checking they fit the architecture format and
// belong to no other layer.
func (im *importer) tensorNames(n *Node, ks ...int) ([]string, error) {
	var out []string
	for _, k := range ks {
		if k < 0 || k >= len(n.Inputs) || n.Inputs[k] == "" {
			continue
		}
		name := n.Inputs[k]
		if strings.ContainsAny(name, " \t\n,=#") {
			return nil, unsupported(n, "tensor name %q has a space, comma, '=' or '#'", name)
		}
		if by, ok := im.used[name]; ok {
			return nil, unsupported(n, "tensor %s is also %s's: basin has no shared weights", name, by)
		}
		im.used[name] = n.Name
		out = append(out, name)
	}
	return out, nil
}
