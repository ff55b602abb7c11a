package model

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/rng"
)

// Kind is a layer type.
type Kind int

// Layer kinds.
const (
	Conv Kind = iota
	ReLU
	MaxPool
	Flatten
	Dense
)

func (k Kind) String() string {
	return [...]string{"conv", "relu", "maxpool", "flatten", "dense"}[k]
}

// Layer is one step of a network. Conv and Dense layers own the parameters
// Name+".weight" and Name+".bias".
type Layer struct {
	Kind    Kind
	Name    string
	In, Out int // channels (conv) or features (dense)
	Kernel  int // conv kernel side, pool window
	Pad     int
}

// Arch is a network architecture: a named list of layers on images of
// one shape, with the normalization its inputs get.
type Arch struct {
	Preset  string
	Input   data.Shape // C×H×W of an image
	Classes int        // logits of the last layer
	// Norm is how a pixel becomes an input (per channel), as the model
	// was trained: recorded in its checkpoint.
	Norm   data.Norm
	Layers []Layer
}

// presets build each preset's layers for images of shape in and the
// given number of classes: the same net on MNIST, Fashion-MNIST or CIFAR.
var presets = map[string]func(in data.Shape, classes int) []Layer{
	"small": func(in data.Shape, classes int) []Layer {
		return []Layer{
			{Kind: Conv, Name: "conv1", In: in.C, Out: 8, Kernel: 3, Pad: 1}, {Kind: ReLU}, {Kind: MaxPool, Kernel: 2},
			{Kind: Conv, Name: "conv2", In: 8, Out: 16, Kernel: 3, Pad: 1}, {Kind: ReLU}, {Kind: MaxPool, Kernel: 2},
			{Kind: Flatten},
			{Kind: Dense, Name: "fc1", In: 16 * (in.H / 4) * (in.W / 4), Out: 32}, {Kind: ReLU},
			{Kind: Dense, Name: "fc2", In: 32, Out: classes},
		}
	},
	// The canonical PyTorch MNIST example without its dropout layers.
	"standard": func(in data.Shape, classes int) []Layer {
		return []Layer{
			{Kind: Conv, Name: "conv1", In: in.C, Out: 32, Kernel: 3}, {Kind: ReLU},
			{Kind: Conv, Name: "conv2", In: 32, Out: 64, Kernel: 3}, {Kind: ReLU}, {Kind: MaxPool, Kernel: 2},
			{Kind: Flatten},
			{Kind: Dense, Name: "fc1", In: 64 * ((in.H - 4) / 2) * ((in.W - 4) / 2), Out: 128}, {Kind: ReLU},
			{Kind: Dense, Name: "fc2", In: 128, Out: classes},
		}
	},
	"mlp": func(in data.Shape, classes int) []Layer {
		return []Layer{
			{Kind: Flatten},
			{Kind: Dense, Name: "fc1", In: in.Size(), Out: 32}, {Kind: ReLU},
			{Kind: Dense, Name: "fc2", In: 32, Out: classes},
		}
	},
}

// DefaultPreset is the preset used when none is named: fast enough to
// train live in a demo.
const DefaultPreset = "small"

// Presets lists the preset names, sorted.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the named architecture on MNIST: 1×28×28 images, 10
// classes, MNIST's normalization.
func Preset(name string) (Arch, error) {
	return PresetFor(name, data.MNISTShape, data.Classes, data.MNISTNorm())
}

// PresetFor returns the named architecture for images of shape in, the
// given classes and input normalization.
func PresetFor(name string, in data.Shape, classes int, norm data.Norm) (Arch, error) {
	build, ok := presets[name]
	if !ok {
		return Arch{}, fmt.Errorf("unknown preset %q: use one of %s", name, strings.Join(Presets(), ", "))
	}
	if in.C < 1 || in.H < 1 || in.W < 1 {
		return Arch{}, fmt.Errorf("preset %s: images of %v", name, in)
	}
	if classes < 2 {
		return Arch{}, fmt.Errorf("preset %s: %d classes: a classifier needs at least 2", name, classes)
	}
	if err := norm.Validate(in.C); err != nil {
		return Arch{}, fmt.Errorf("preset %s: %w", name, err)
	}
	a := Arch{Preset: name, Input: in, Classes: classes, Norm: norm, Layers: build(in, classes)}
	for i, s := range a.Shapes() {
		if s.Size() < 1 {
			return Arch{}, fmt.Errorf("preset %s: images of %v are too small for it (layer %d has no output)", name, in, i+1)
		}
	}
	return a, nil
}

// Same reports how a differs from b where two models must agree to be
// compared on shared directions: preset, input images and classes.
func (a Arch) Same(b Arch) error {
	switch {
	case a.Preset != b.Preset:
		return fmt.Errorf("a %s net and a %s net", a.Preset, b.Preset)
	case a.Input != b.Input || a.Classes != b.Classes:
		return fmt.Errorf("a %s net on %v images with %d classes and one on %v with %d", a.Preset, a.Input, a.Classes, b.Input, b.Classes)
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

// Shapes returns the output shape of every layer.
func (a Arch) Shapes() []Shape {
	cur := Shape{a.Input.C, a.Input.H, a.Input.W}
	out := make([]Shape, len(a.Layers))
	for i, l := range a.Layers {
		switch l.Kind {
		case Conv:
			side := cur[1] + 2*l.Pad - l.Kernel + 1
			cur = Shape{l.Out, side, side}
		case MaxPool:
			cur = Shape{cur[0], cur[1] / l.Kernel, cur[2] / l.Kernel}
		case Flatten:
			cur = Shape{cur.Size()}
		case Dense:
			cur = Shape{l.Out}
		}
		out[i] = cur
	}
	return out
}

// NewParams returns zero parameters in the layout of the architecture.
func (a Arch) NewParams() Params {
	var p Params
	for _, l := range a.Layers {
		switch l.Kind {
		case Conv:
			p = append(p,
				Tensor{Name: l.Name + ".weight", Shape: []int{l.Out, l.In, l.Kernel, l.Kernel}},
				Tensor{Name: l.Name + ".bias", Shape: []int{l.Out}})
		case Dense:
			p = append(p,
				Tensor{Name: l.Name + ".weight", Shape: []int{l.Out, l.In}},
				Tensor{Name: l.Name + ".bias", Shape: []int{l.Out}})
		}
	}
	for i := range p {
		p[i].Data = make([]float32, Shape(p[i].Shape).Size())
	}
	return p
}

// Init draws initial weights as PyTorch's default does for Conv2d and
// Linear: weights and biases uniform in ±1/sqrt(fan_in).
func (a Arch) Init(seed uint64) Params {
	p := a.NewParams()
	r := rng.New(seed, rng.StreamInit)
	i := 0
	for _, l := range a.Layers {
		fanIn := l.In
		switch l.Kind {
		case Conv:
			fanIn *= l.Kernel * l.Kernel
		case Dense:
		default:
			continue
		}
		bound := 1 / math.Sqrt(float64(fanIn))
		for _, t := range p[i : i+2] { // weight, bias
			for j := range t.Data {
				t.Data[j] = float32((2*r.Float64() - 1) * bound)
			}
		}
		i += 2
	}
	return p
}

// FLOPs is the multiply-add count ×2 of one image's forward pass through
// the conv and dense layers (the cost that matters).
func (a Arch) FLOPs() int64 {
	var f int64
	shapes := a.Shapes()
	for i, l := range a.Layers {
		switch l.Kind {
		case Conv:
			o := shapes[i]
			f += 2 * int64(o.Size()) * int64(l.In*l.Kernel*l.Kernel)
		case Dense:
			f += 2 * int64(l.In) * int64(l.Out)
		}
	}
	return f
}

// Match finds the preset whose parameter layout fits p exactly, on MNIST.
func Match(p Params) (Arch, error) {
	for _, name := range Presets() {
		a, _ := Preset(name)
		if a.NewParams().SameLayout(p) == nil {
			return a, nil
		}
	}
	return Arch{}, fmt.Errorf("the tensors fit no preset (%s)", strings.Join(Presets(), ", "))
}
