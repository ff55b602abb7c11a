package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/ops"
	"github.com/basin-dev/basin/core/rng"
)

// Kind is a layer type.
type Kind int

// Layer kinds. The order is fixed: new kinds go at the end.
const (
	Conv Kind = iota
	ReLU
	MaxPool
	Flatten
	Dense
	BatchNorm     // per-channel normalisation, then scale and shift
	AvgPool       // mean over windows
	GlobalAvgPool // mean over each channel's plane: [C,H,W] → [C]
	Add           // the sum of two or more inputs of one shape
	Dropout       // zeroes a fraction of values in training, identity in evaluation
	LeakyReLU     // x where x > 0, Slope·x elsewhere
)

var kindNames = [...]string{"conv", "relu", "maxpool", "flatten", "dense", "bn", "avgpool", "gap", "add", "dropout", "leakyrelu"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind%d", int(k))
}

// HasParams reports whether layers of the kind own tensors.
func (k Kind) HasParams() bool { return k == Conv || k == Dense || k == BatchNorm }

// Layer is one node of a network. Conv and Dense layers own Name+".weight"
// and, unless NoBias, Name+".bias"; BatchNorm owns Name+".weight",
// ".bias" (γ, β) and the buffers ".running_mean", ".running_var".
type Layer struct {
	Kind    Kind
	Name    string // "" for a layer nothing refers to and that owns nothing
	In, Out int    // channels (conv, bn) or features (dense); In is derived
	Kernel  int    // conv kernel side, pool window
	Stride  int    // conv (default 1) and pools (default Kernel)
	Pad     int
	// Dilation spaces a conv's or pool's taps (0 or 1: adjacent).
	Dilation int
	NoBias   bool    // conv or dense without a bias
	Rate     float64 // dropout: the fraction of values zeroed in training
	Eps      float64 // batch norm: added to the variance (0: ops.BNEps, PyTorch's)
	Slope    float64 // leaky ReLU: the slope below zero
	// ExcludePad: an average pool divides by the cells of each window
	// inside the image, not by kernel² (count_pad=false in a file).
	ExcludePad bool
	From       []string // the layers it reads, by name; none: the layer before
	// Tensors names the layer's tensors, in the order of its kind (weight,
	// bias; γ, β, running mean, running variance), when they are not
	// Name+".weight" and so on: an imported model's own names.
	Tensors []string
	line    int // in its architecture file, for errors (0: unknown)
}

// BNEps is what a batch-norm layer adds to the variance.
func (l Layer) BNEps() float64 {
	if l.Eps > 0 {
		return l.Eps
	}
	return ops.BNEps
}

// stride is the layer's stride with its default.
func (l Layer) stride() int {
	switch {
	case l.Stride > 0:
		return l.Stride
	case l.Kind == MaxPool || l.Kind == AvgPool:
		return l.Kernel
	}
	return 1
}

// span is a window's extent over its input: dilation·(kernel−1)+1.
func (l Layer) span() int { return max(l.Dilation, 1)*(l.Kernel-1) + 1 }

// Window is the layer's window geometry (conv and pools) on an input of
// shape [C,H,W].
func (l Layer) Window(in Shape) ops.Window {
	return ops.Window{C: in[0], H: in[1], W: in[2], K: l.Kernel, Stride: l.stride(), Pad: l.Pad, Dilation: l.Dilation, ExcludePad: l.ExcludePad}
}

// Arch is a network architecture: a graph of layers in the order they
// run, on images of one shape, with the normalization its inputs get.
type Arch struct {
	Preset  string     // the preset's or architecture file's name
	Input   data.Shape // C×H×W of an image
	Classes int        // logits of the last layer
	// Norm is how a pixel becomes an input (per channel), as the model
	// was trained: recorded in its checkpoint.
	Norm   data.Norm
	Layers []Layer
}

// Same reports how a differs from b where two models must agree to be
// compared on shared directions: the same layers and parameter shapes on
// the same images and classes.
func (a Arch) Same(b Arch) error {
	switch {
	case a.Input != b.Input || a.Classes != b.Classes:
		return fmt.Errorf("a %s net on %v images with %d classes and a %s net on %v with %d", a.Preset, a.Input, a.Classes, b.Preset, b.Input, b.Classes)
	case a.Text() != b.Text():
		if a.Preset != b.Preset {
			return fmt.Errorf("a %s net and a %s net", a.Preset, b.Preset)
		}
		return fmt.Errorf("two different architectures both named %s", a.Preset)
	}
	return nil
}

// Fits reports whether the images of d fit the architecture: their shape
// is its input and their labels are among its classes.
func (a Arch) Fits(d *data.Dataset) error {
	if d.Shape != a.Input {
		return fmt.Errorf("the images are %v but %s takes %v", d.Shape, a.Preset, a.Input)
	}
	if d.Classes > a.Classes {
		return fmt.Errorf("the labels go up to %d but %s has %d classes", d.Classes-1, a.Preset, a.Classes)
	}
	return nil
}

// Shape is the activation shape after each layer: [C,H,W] or [F].
type Shape []int

// Size is the number of values.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Inputs returns, for each layer, the indices of the layers it reads (-1
// is the image). A valid Arch always has them (see resolve).
func (a Arch) Inputs() [][]int {
	g, err := graph(a.Layers)
	if err != nil {
		panic(fmt.Sprintf("model: %s was not resolved: %v", a.Preset, err))
	}
	return g
}

// graph resolves each layer's From into indices of earlier layers.
func graph(layers []Layer) ([][]int, error) {
	at := map[string]int{}
	out := make([][]int, len(layers))
	for i, l := range layers {
		if len(l.From) == 0 {
			out[i] = []int{i - 1}
		}
		for _, f := range l.From {
			j, ok := at[f]
			if !ok {
				if later := indexOfLayer(layers[i:], f); later >= 0 {
					return nil, layerErr(i, l, "reads %s, which comes later: the layers must be in the order they run (no cycles)", f)
				}
				return nil, layerErr(i, l, "reads %s, which is no layer's name", f)
			}
			out[i] = append(out[i], j)
		}
		if l.Name != "" {
			if _, dup := at[l.Name]; dup {
				return nil, layerErr(i, l, "the name %s is used twice", l.Name)
			}
			at[l.Name] = i
		}
	}
	return out, nil
}

func indexOfLayer(layers []Layer, name string) int {
	for i, l := range layers {
		if l.Name == name {
			return i
		}
	}
	return -1
}

// layerErr names a layer (1-based, as an architecture file's reader
// counts) in an error.
func layerErr(i int, l Layer, format string, args ...any) error {
	who := l.Kind.String()
	if l.Name != "" {
		who += " " + l.Name
	}
	if l.line > 0 {
		return fmt.Errorf("line %d (%s): %s", l.line, who, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("layer %d (%s): %s", i+1, who, fmt.Sprintf(format, args...))
}

// Shapes returns the output shape of every layer.
func (a Arch) Shapes() []Shape {
	s, err := a.shapes()
	if err != nil {
		panic(fmt.Sprintf("model: %s was not resolved: %v", a.Preset, err))
	}
	return s
}

// shapes computes every layer's output shape and checks each layer fits
// what it reads.
func (a Arch) shapes() ([]Shape, error) {
	g, err := graph(a.Layers)
	if err != nil {
		return nil, err
	}
	img := Shape{a.Input.C, a.Input.H, a.Input.W}
	out := make([]Shape, len(a.Layers))
	for i, l := range a.Layers {
		in := make([]Shape, len(g[i]))
		for k, j := range g[i] {
			if j < 0 {
				in[k] = img
			} else {
				in[k] = out[j]
			}
		}
		s, err := l.outShape(in)
		if err != nil {
			return nil, layerErr(i, l, "%v", err)
		}
		if s.Size() < 1 {
			return nil, layerErr(i, l, "gets %v and has no output left: the images (%v) are too small for it", in[0], a.Input)
		}
		out[i] = s
	}
	return out, nil
}

// Validate checks the architecture as a graph: every layer reads layers
// before it and fits their shapes. (File.For checks more: that the net is
// a classifier of the data's classes and every branch is used.)
func (a Arch) Validate() error {
	_, err := a.shapes()
	return err
}

// OutShape is the layer's output shape for the given input shapes, or
// why it cannot take them.
func (l Layer) OutShape(in ...Shape) (Shape, error) { return l.outShape(in) }

// outShape is the layer's output shape for the given input shapes.
func (l Layer) outShape(in []Shape) (Shape, error) {
	x := in[0]
	if l.Kind != Add && len(in) != 1 {
		return nil, fmt.Errorf("reads %d layers but a %s layer takes one", len(in), l.Kind)
	}
	spatial := func() error {
		if len(x) != 3 {
			return fmt.Errorf("needs an image-shaped [C,H,W] input, got %v (after a flatten or dense layer)", x)
		}
		return nil
	}
	switch l.Kind {
	case Conv, MaxPool, AvgPool:
		if err := spatial(); err != nil {
			return nil, err
		}
		if l.Kind == Conv && l.In != x[0] {
			return nil, fmt.Errorf("takes %d channels but gets %d", l.In, x[0])
		}
		s, span := l.stride(), l.span()
		oh, ow := (x[1]+2*l.Pad-span)/s+1, (x[2]+2*l.Pad-span)/s+1
		if x[1]+2*l.Pad < span || x[2]+2*l.Pad < span {
			oh, ow = 0, 0
		}
		c := x[0]
		if l.Kind == Conv {
			c = l.Out
		}
		return Shape{c, oh, ow}, nil
	case BatchNorm:
		if l.In != x[0] {
			return nil, fmt.Errorf("normalises %d channels but gets %d", l.In, x[0])
		}
		return x, nil
	case GlobalAvgPool:
		if err := spatial(); err != nil {
			return nil, err
		}
		return Shape{x[0]}, nil
	case Flatten:
		return Shape{x.Size()}, nil
	case Dense:
		if l.In != x.Size() {
			return nil, fmt.Errorf("takes %d features but gets %d", l.In, x.Size())
		}
		return Shape{l.Out}, nil
	case Add:
		if len(in) < 2 {
			return nil, fmt.Errorf("adds one input: give two or more, from=A,B")
		}
		for _, y := range in[1:] {
			if fmt.Sprint(y) != fmt.Sprint(x) {
				return nil, fmt.Errorf("adds %v to %v: the inputs of an add must have one shape", y, x)
			}
		}
		return x, nil
	case ReLU, Dropout, LeakyReLU:
		return x, nil
	}
	return nil, fmt.Errorf("unknown layer kind %d", int(l.Kind))
}

// tensors lists the layer's tensors (name suffix, shape) in PyTorch's
// state_dict order.
func (l Layer) tensors() []Tensor {
	k := 0
	t := func(suffix string, shape ...int) Tensor {
		name := l.Name + suffix
		if k < len(l.Tensors) {
			name = l.Tensors[k]
		}
		k++
		return Tensor{Name: name, Shape: shape}
	}
	var ts []Tensor
	switch l.Kind {
	case Conv:
		ts = append(ts, t(".weight", l.Out, l.In, l.Kernel, l.Kernel))
	case Dense:
		ts = append(ts, t(".weight", l.Out, l.In))
	case BatchNorm:
		return []Tensor{t(".weight", l.In), t(".bias", l.In), t(".running_mean", l.In), t(".running_var", l.In)}
	default:
		return nil
	}
	if !l.NoBias {
		ts = append(ts, t(".bias", l.Out))
	}
	return ts
}

// NewParams returns zero parameters in the layout of the architecture.
func (a Arch) NewParams() Params {
	var p Params
	for _, l := range a.Layers {
		p = append(p, l.tensors()...)
	}
	for i := range p {
		p[i].Data = make([]float32, Shape(p[i].Shape).Size())
	}
	return p
}

// Init draws initial weights as PyTorch's default does: Conv2d and
// Linear weights and biases uniform in ±1/sqrt(fan_in); batch norm γ = 1,
// β = 0, running mean 0 and variance 1.
func (a Arch) Init(seed uint64) Params {
	p := a.NewParams()
	r := rng.New(seed, rng.StreamInit)
	i := 0
	for _, l := range a.Layers {
		n := len(l.tensors())
		ts := p[i : i+n]
		i += n
		switch l.Kind {
		case BatchNorm:
			fill(ts[0].Data, 1)
			fill(ts[3].Data, 1)
			continue
		case Conv, Dense:
		default:
			continue
		}
		bound := 1 / math.Sqrt(float64(Shape(ts[0].Shape[1:]).Size()))
		for _, t := range ts { // weight, bias
			for j := range t.Data {
				t.Data[j] = float32((2*r.Float64() - 1) * bound)
			}
		}
	}
	return p
}

func fill(v []float32, x float32) {
	for i := range v {
		v[i] = x
	}
}

// FLOPs is the multiply-add count ×2 of one image's forward pass through
// the conv and dense layers (the cost that matters).
func (a Arch) FLOPs() int64 {
	var f int64
	shapes := a.Shapes()
	for i, l := range a.Layers {
		switch l.Kind {
		case Conv:
			f += 2 * int64(shapes[i].Size()) * int64(l.In*l.Kernel*l.Kernel)
		case Dense:
			f += 2 * int64(l.In) * int64(l.Out)
		}
	}
	return f
}

// Match finds the preset whose parameter layout fits p exactly, on MNIST.
func Match(p Params) (Arch, error) {
	for _, name := range Presets() {
		a, err := Preset(name)
		if err == nil && a.NewParams().SameLayout(p) == nil {
			return a, nil
		}
	}
	return Arch{}, fmt.Errorf("the tensors fit no preset (%s)", strings.Join(Presets(), ", "))
}

// TensorCount is how many tensors of Params the layer owns.
func (l Layer) TensorCount() int { return len(l.tensors()) }

// ParamCount is the number of trained values: every tensor but batch
// norm's running statistics.
func (a Arch) ParamCount() int {
	n := 0
	for _, t := range a.NewParams() {
		if !t.IsBuffer() {
			n += len(t.Data)
		}
	}
	return n
}
