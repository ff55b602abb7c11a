package model

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/assets"
	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/ops"
)

// An architecture file has one layer per line, in the order they run:
//
//	# comments run to the end of a line
//	conv    conv1  out=16 kernel=3 pad=1 stride=1 bias=false
//	bn      bn1
//	relu    stem
//	conv    block.conv1 out=16 kernel=3 pad=1 bias=false from=stem
//	…
//	add     from=block.bn2,stem
//	gap
//	dense   fc  out=classes
//
// The first word is the kind (conv, bn, relu, maxpool, avgpool, gap, add,
// flatten, dense, dropout), the second the layer's name: its tensors are
// named after it (conv1.weight, bn1.running_mean, as PyTorch names them),
// and other layers read it by name with from=. A layer without from=
// reads the line before it. Input sizes are never written: they follow
// from the data, so one file serves MNIST and CIFAR; out=classes is one
// logit per class of the data.
//
// A file may also say what the model was made for, in lines of their own
// before the layers: input 3x32x32, classes 10, mean 0.49,0.48,0.45 and
// std 0.25,0.24,0.26 (per channel, the normalization the inputs get).
// basin records these in its checkpoints; a file beside a PyTorch
// state_dict (model.arch next to model.safetensors) gives them for it.

// File is an architecture as written: layers whose input sizes and class
// count are filled in for a data set by For.
type File struct {
	Name   string // the file's name without directory and extension
	Path   string // where it was read, for errors
	Layers []Layer
	// What the model was made for, when the file says (zero: it does not).
	Input     data.Shape
	Classes   int
	Mean, Std string
}

// DefaultSlope is a leaky ReLU's slope below zero when the file gives
// none: PyTorch's and ONNX's default.
const DefaultSlope = 0.01

// outClasses is out=classes before For fills it.
const outClasses = -1

// Limits of what a file may ask for.
const (
	maxLayers = 1000
	maxWidth  = 1 << 16
	maxKernel = 64
)

// options each kind takes besides from=.
var kindOptions = map[Kind][]string{
	Conv:      {"out", "kernel", "stride", "pad", "dilation", "bias", "tensors"},
	Dense:     {"out", "bias", "tensors"},
	BatchNorm: {"eps", "tensors"},
	MaxPool:   {"kernel", "stride", "pad", "dilation"},
	AvgPool:   {"kernel", "stride", "pad", "dilation", "count_pad"},
	Dropout:   {"rate"},
	LeakyReLU: {"slope"},
}

// ReadArchFile reads an architecture file.
func ReadArchFile(p string) (*File, error) {
	b, err := atomicfile.ReadFile(p, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("read architecture: %w", err)
	}
	return ParseArch(p, b)
}

// ParseArch reads an architecture from its text; p names it in errors.
func ParseArch(p string, text []byte) (*File, error) {
	f := &File{Name: strings.TrimSuffix(path.Base(p), path.Ext(p)), Path: p}
	for n, line := range strings.Split(string(text), "\n") {
		line, _, _ = strings.Cut(line, "#")
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		if done, err := f.header(words); done || err != nil {
			if err == nil && len(f.Layers) > 0 {
				err = fmt.Errorf("%s comes after the layers: put it before them", words[0])
			}
			if err != nil {
				return nil, fmt.Errorf("architecture %s line %d: %w", p, n+1, err)
			}
			continue
		}
		l, err := parseLayer(words)
		if err != nil {
			return nil, fmt.Errorf("architecture %s line %d: %w", p, n+1, err)
		}
		l.line = n + 1
		if len(f.Layers) == maxLayers {
			return nil, fmt.Errorf("architecture %s line %d: more than %d layers", p, n+1, maxLayers)
		}
		f.Layers = append(f.Layers, l)
	}
	if len(f.Layers) == 0 {
		return nil, fmt.Errorf("architecture %s has no layers: write one per line, as in assets/arch/small.arch", p)
	}
	if _, err := graph(f.Layers); err != nil {
		return nil, f.errorf(err)
	}
	if (f.Mean == "") != (f.Std == "") {
		return nil, f.errorf(fmt.Errorf("mean and std go together: give both lines or neither"))
	}
	if f.Mean != "" {
		n, err := data.ParseNorm(f.Mean, f.Std)
		if err == nil && f.Input.C > 0 {
			err = n.Validate(f.Input.C)
		}
		if err != nil {
			return nil, f.errorf(err)
		}
	}
	return f, nil
}

// header reads an input, classes, mean or std line.
func (f *File) header(words []string) (bool, error) {
	switch words[0] {
	case "input", "classes", "mean", "std":
	default:
		return false, nil
	}
	if len(words) != 2 {
		return true, fmt.Errorf("%s takes one value, like: input 3x32x32, classes 10, mean 0.5,0.5,0.5", words[0])
	}
	v := words[1]
	var err error
	switch words[0] {
	case "input":
		f.Input, err = data.ParseShape(v)
	case "classes":
		if f.Classes, err = strconv.Atoi(v); err != nil || f.Classes < 2 || f.Classes > 1<<16 {
			err = fmt.Errorf("classes %q: want a whole number from 2 to 65536", v)
		}
	case "mean":
		f.Mean = v
	case "std":
		f.Std = v
	}
	return true, err
}

// Norm is the normalization the file gives, or def when it gives none.
func (f *File) Norm(def data.Norm) data.Norm {
	if f.Mean == "" {
		return def
	}
	n, _ := data.ParseNorm(f.Mean, f.Std) // checked by ParseArch
	return n
}

func (f *File) errorf(err error) error { return fmt.Errorf("architecture %s: %w", f.Path, err) }

// parseLayer reads one line's words.
func parseLayer(words []string) (Layer, error) {
	kind := Kind(-1)
	for k, name := range kindNames {
		if words[0] == name {
			kind = Kind(k)
		}
	}
	if kind < 0 {
		return Layer{}, fmt.Errorf("unknown layer %q: use one of %s", words[0], strings.Join(kindNames[:], ", "))
	}
	l := Layer{Kind: kind}
	opts := words[1:]
	if len(opts) > 0 && !strings.Contains(opts[0], "=") {
		l.Name, opts = opts[0], opts[1:]
		if strings.ContainsAny(l.Name, ",=") {
			return l, fmt.Errorf("%s layer name %q: a name has no ',' or '='", kind, l.Name)
		}
	}
	if kind.HasParams() && l.Name == "" {
		return l, fmt.Errorf("a %s layer needs a name (its tensors are named after it): %s NAME …", kind, kind)
	}
	seen := map[string]bool{}
	for _, o := range opts {
		key, val, ok := strings.Cut(o, "=")
		if !ok || val == "" {
			return l, fmt.Errorf("%q: options are key=value (a name comes right after the kind)", o)
		}
		if seen[key] {
			return l, fmt.Errorf("%s is given twice", key)
		}
		seen[key] = true
		if err := l.set(key, val); err != nil {
			return l, fmt.Errorf("%s %s: %w", kind, key, err)
		}
	}
	for _, req := range required(kind) {
		if !seen[req] {
			return l, fmt.Errorf("a %s layer needs %s=", kind, req)
		}
	}
	if (kind == MaxPool || kind == AvgPool) && l.Pad >= l.span() {
		return l, fmt.Errorf("%s pad=%d: a window would see nothing but padding; pad less than its kernel %d", kind, l.Pad, l.Kernel)
	}
	if n := l.TensorCount(); len(l.Tensors) > 0 && len(l.Tensors) != n {
		return l, fmt.Errorf("%s tensors= names %d tensors but the layer has %d", kind, len(l.Tensors), n)
	}
	if kind == LeakyReLU && !seen["slope"] {
		l.Slope = DefaultSlope
	}
	if kind == Dropout && !seen["rate"] {
		l.Rate = 0.5
	}
	return l, nil
}

func required(k Kind) []string {
	switch k {
	case Conv:
		return []string{"out", "kernel"}
	case Dense:
		return []string{"out"}
	case MaxPool, AvgPool:
		return []string{"kernel"}
	}
	return nil
}

// set applies one option.
func (l *Layer) set(key, val string) error {
	if key == "from" {
		l.From = strings.Split(val, ",")
		for _, f := range l.From {
			if f == "" {
				return fmt.Errorf("from=%s has an empty name", val)
			}
		}
		return nil
	}
	allowed := false
	for _, o := range kindOptions[l.Kind] {
		allowed = allowed || o == key
	}
	if !allowed {
		if len(kindOptions[l.Kind]) == 0 {
			return fmt.Errorf("takes no options but from=")
		}
		return fmt.Errorf("is not an option: use %s, from", strings.Join(kindOptions[l.Kind], ", "))
	}
	switch key {
	case "tensors":
		l.Tensors = strings.Split(val, ",")
		for _, t := range l.Tensors {
			if t == "" {
				return fmt.Errorf("tensors=%s has an empty name", val)
			}
		}
		return nil
	case "slope":
		s, err := strconv.ParseFloat(val, 64)
		if err != nil || !(s >= 0 && s < 1) {
			return fmt.Errorf("%q: want a slope in [0, 1), like 0.01", val)
		}
		l.Slope = s
		return nil
	case "eps":
		e, err := strconv.ParseFloat(val, 64)
		if err != nil || !(e > 0 && e < 1) {
			return fmt.Errorf("%q: want a small positive number, like 1e-5", val)
		}
		l.Eps = e
		return nil
	case "count_pad":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("%q: want true (the padding counts as zeros, PyTorch's default) or false", val)
		}
		l.ExcludePad = !b
		return nil
	case "bias":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("%q: want true or false", val)
		}
		l.NoBias = !b
		return nil
	case "rate":
		r, err := strconv.ParseFloat(val, 64)
		if err != nil || !(r >= 0 && r < 1) {
			return fmt.Errorf("%q: want a fraction in [0, 1)", val)
		}
		l.Rate = r
		return nil
	case "out":
		if val == "classes" {
			l.Out = outClasses
			return nil
		}
	}
	lo, hi := 1, maxWidth
	switch key {
	case "pad":
		lo, hi = 0, maxKernel
	case "kernel", "stride", "dilation":
		hi = maxKernel
	}
	v, err := strconv.Atoi(val)
	if err != nil || v < lo || v > hi {
		extra := ""
		if key == "out" {
			extra = " (or classes)"
		}
		return fmt.Errorf("%q: want a whole number from %d to %d%s", val, lo, hi, extra)
	}
	switch key {
	case "out":
		l.Out = v
	case "kernel":
		l.Kernel = v
	case "stride":
		l.Stride = v
	case "pad":
		l.Pad = v
	case "dilation":
		l.Dilation = v
	}
	return nil
}

// For fills in the file's sizes for images of shape in, the given classes
// and normalization, and checks every layer fits what it reads.
func (f *File) For(in data.Shape, classes int, norm data.Norm) (Arch, error) {
	if in.C < 1 || in.H < 1 || in.W < 1 {
		return Arch{}, f.errorf(fmt.Errorf("images of %v", in))
	}
	if classes < 2 {
		return Arch{}, f.errorf(fmt.Errorf("%d classes: a classifier needs at least 2", classes))
	}
	if err := norm.Validate(in.C); err != nil {
		return Arch{}, f.errorf(err)
	}
	a := Arch{Preset: f.Name, Input: in, Classes: classes, Norm: norm, Layers: make([]Layer, len(f.Layers))}
	g, err := graph(f.Layers)
	if err != nil {
		return Arch{}, f.errorf(err)
	}
	img := Shape{in.C, in.H, in.W}
	shapes := make([]Shape, len(f.Layers))
	read := make([]bool, len(f.Layers))
	for i, l := range f.Layers {
		l.From = append([]string(nil), l.From...)
		var ins []Shape
		for _, j := range g[i] {
			if j < 0 {
				ins = append(ins, img)
			} else {
				ins = append(ins, shapes[j])
				read[j] = true
			}
		}
		if l.Out == outClasses {
			l.Out = classes
		}
		switch l.Kind {
		case Conv, BatchNorm:
			l.In = ins[0][0]
		case Dense:
			l.In = ins[0].Size()
		}
		a.Layers[i] = l
		s, err := l.outShape(ins)
		if err == nil && s.Size() < 1 {
			err = fmt.Errorf("gets %v and leaves nothing: images of %v are too small for this net", ins[0], in)
		}
		if err != nil {
			return Arch{}, f.errorf(layerErr(i, l, "%v", err))
		}
		shapes[i] = s
	}
	last := len(f.Layers) - 1
	if s := shapes[last]; len(s) != 1 || s[0] != classes {
		return Arch{}, f.errorf(layerErr(last, f.Layers[last], "gives %v values but the data has %d classes: end with a dense layer of out=classes", s, classes))
	}
	for i := range read[:last] {
		if !read[i] {
			return Arch{}, f.errorf(layerErr(i, f.Layers[i], "nothing reads its output: every branch must lead to the last layer"))
		}
	}
	return a, nil
}

// Text writes the architecture in the file format (sizes filled in): what
// a checkpoint records, and what compares two architectures.
func (a Arch) Text() string {
	var b strings.Builder
	for _, l := range a.Layers {
		b.WriteString(l.Kind.String())
		if l.Name != "" {
			b.WriteString(" " + l.Name)
		}
		opt := func(k string, v any) { fmt.Fprintf(&b, " %s=%v", k, v) }
		switch l.Kind {
		case Conv, Dense:
			opt("out", l.Out)
		}
		if l.Kind == Conv || l.Kind == MaxPool || l.Kind == AvgPool {
			opt("kernel", l.Kernel)
			if l.Stride > 0 {
				opt("stride", l.Stride)
			}
			if l.Pad > 0 {
				opt("pad", l.Pad)
			}
			if l.Dilation > 1 {
				opt("dilation", l.Dilation)
			}
		}
		if l.NoBias {
			opt("bias", false)
		}
		if l.ExcludePad {
			opt("count_pad", false)
		}
		if l.Kind == Dropout {
			opt("rate", strconv.FormatFloat(l.Rate, 'g', -1, 64))
		}
		if l.Kind == LeakyReLU {
			opt("slope", strconv.FormatFloat(l.Slope, 'g', -1, 64))
		}
		if l.Kind == BatchNorm && l.Eps > 0 && l.Eps != ops.BNEps {
			opt("eps", strconv.FormatFloat(l.Eps, 'g', -1, 64))
		}
		if len(l.Tensors) > 0 {
			opt("tensors", strings.Join(l.Tensors, ","))
		}
		if len(l.From) > 0 {
			opt("from", strings.Join(l.From, ","))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// presetFiles are the embedded architecture files, by preset name.
var presetFiles = func() map[string]*File {
	m := map[string]*File{}
	entries, err := fs.ReadDir(assets.Arch, "arch")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(assets.Arch, "arch/"+e.Name())
		if err != nil {
			panic(err)
		}
		f, err := ParseArch("assets/arch/"+e.Name(), b)
		if err != nil {
			panic(err) // tested: every embedded file parses
		}
		m[f.Name] = f
	}
	return m
}()

// DefaultPreset is the preset used when none is named: fast enough to
// train live in a demo.
const DefaultPreset = "small"

// Presets lists the preset names, sorted.
func Presets() []string {
	names := make([]string, 0, len(presetFiles))
	for n := range presetFiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PresetFile returns the named preset's architecture file.
func PresetFile(name string) (*File, error) {
	f, ok := presetFiles[name]
	if !ok {
		return nil, fmt.Errorf("unknown preset %q: use one of %s", name, strings.Join(Presets(), ", "))
	}
	return f, nil
}

// Preset returns the named architecture on MNIST: 1×28×28 images, 10
// classes, MNIST's normalization.
func Preset(name string) (Arch, error) {
	return PresetFor(name, data.MNISTShape, data.Classes, data.MNISTNorm())
}

// PresetFor returns the named architecture for images of shape in, the
// given classes and input normalization.
func PresetFor(name string, in data.Shape, classes int, norm data.Norm) (Arch, error) {
	f, err := PresetFile(name)
	if err != nil {
		return Arch{}, err
	}
	a, err := f.For(in, classes, norm)
	if err != nil {
		return Arch{}, fmt.Errorf("preset %s: %w", name, err)
	}
	return a, nil
}
