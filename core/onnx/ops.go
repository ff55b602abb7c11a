package onnx

import (
	"strings"

	"github.com/basin-dev/basin/core/model"
)

// Each op's mapping onto a basin layer, with the settings basin's layers
// cannot follow refused by name.

func attrInt(n *Node, name string, def int64) int64 {
	if a, ok := n.Attrs[name]; ok {
		return a.Int
	}
	return def
}

func attrFloat(n *Node, name string, def float32) float32 {
	if a, ok := n.Attrs[name]; ok {
		return a.Float
	}
	return def
}

// square reads a two-value attribute (strides, kernel_shape) whose values
// must agree, def when absent.
func square(n *Node, name string, def int) (int, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if len(a.Ints) != 2 {
		return 0, unsupported(n, "%s %v: basin's layers are 2-D", name, a.Ints)
	}
	if a.Ints[0] != a.Ints[1] {
		return 0, unsupported(n, "%s %v: basin's windows and strides are the same along both axes", name, a.Ints)
	}
	if a.Ints[0] < 1 || a.Ints[0] > 64 {
		return 0, unsupported(n, "%s %v: want 1 to 64", name, a.Ints)
	}
	return int(a.Ints[0]), nil
}

// dilation reads dilations, the same along both axes (1 when absent).
func dilation(n *Node) (int, error) {
	return square(n, "dilations", 1)
}

// pad reads pads or auto_pad for a window spanning k pixels at stride s
// over an input of shape x: one padding for all four sides.
func pad(n *Node, x model.Shape, k, s int) (int, error) {
	if len(x) != 3 {
		return 0, unsupported(n, "needs an image-shaped input, got %v", x)
	}
	switch mode := n.Attrs["auto_pad"].Str; mode {
	case "", "NOTSET":
	case "VALID":
		return 0, nil
	case "SAME_UPPER", "SAME_LOWER":
		total := -1
		for _, in := range x[1:] {
			out := (in + s - 1) / s
			t := max((out-1)*s+k-in, 0)
			if total >= 0 && t != total || t%2 != 0 {
				return 0, unsupported(n, "auto_pad %s pads %v×%v unevenly: basin pads all sides alike (give pads)", mode, x[1], x[2])
			}
			total = t
		}
		return total / 2, nil
	default:
		return 0, unsupported(n, "auto_pad %q", mode)
	}
	p := n.Attrs["pads"].Ints
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) != 4 {
		return 0, unsupported(n, "pads %v: basin's layers are 2-D", p)
	}
	for _, v := range p[1:] {
		if v != p[0] {
			return 0, unsupported(n, "pads %v: basin pads all four sides alike", p)
		}
	}
	if p[0] < 0 || p[0] > 64 {
		return 0, unsupported(n, "pads %v: want 0 to 64", p)
	}
	return int(p[0]), nil
}

func (im *importer) conv(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	w, err := im.constant(n, 1)
	if err != nil || w == nil {
		return firstErr(err, unsupported(n, "no weight"))
	}
	b, err := im.constant(n, 2)
	if err != nil {
		return err
	}
	if len(w.Dims) != 4 {
		return unsupported(n, "a %d-D convolution: basin's convs are 2-D", len(w.Dims)-2)
	}
	o, c, kh, kw := int(w.Dims[0]), int(w.Dims[1]), int(w.Dims[2]), int(w.Dims[3])
	if kh != kw {
		return unsupported(n, "a %d×%d kernel: basin's kernels are square", kh, kw)
	}
	if g := attrInt(n, "group", 1); g != 1 {
		if g == int64(o) && c == 1 {
			return unsupported(n, "a depthwise conv (group %d): basin's convs are dense (group 1)", g)
		}
		return unsupported(n, "group %d: basin's convs are dense (group 1)", g)
	}
	d, err := dilation(n)
	if err != nil {
		return err
	}
	if ks, ok := n.Attrs["kernel_shape"]; ok && (len(ks.Ints) != 2 || ks.Ints[0] != int64(kh) || ks.Ints[1] != int64(kw)) {
		return unsupported(n, "kernel_shape %v does not match the weight's %d×%d", ks.Ints, kh, kw)
	}
	stride, err := square(n, "strides", 1)
	if err != nil {
		return err
	}
	p, err := pad(n, x.shape, d*(kh-1)+1, stride)
	if err != nil {
		return err
	}
	l := model.Layer{Kind: model.Conv, In: c, Out: o, Kernel: kh, Stride: stride, Pad: p, Dilation: d, NoBias: b == nil}
	tensors := [][]float32{nil}
	if tensors[0], err = floats(n, w); err != nil {
		return err
	}
	if b != nil {
		if b.Size() != int64(o) {
			return unsupported(n, "bias of %d values for %d filters", b.Size(), o)
		}
		bv, err := floats(n, b)
		if err != nil {
			return err
		}
		tensors = append(tensors, bv)
	}
	if l.Tensors, err = im.tensorNames(n, 1, 2); err != nil {
		return err
	}
	return im.layer(n, l, tensors, n.Inputs[0])
}

func (im *importer) batchNorm(n *Node) error {
	if attrInt(n, "training_mode", 0) != 0 {
		return unsupported(n, "training_mode=1: basin evaluates batch norm with its running statistics (export in eval mode)")
	}
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	if len(x.shape) == 0 {
		return unsupported(n, "no input shape")
	}
	c := x.shape[0]
	var tensors [][]float32
	for k := 1; k <= 4; k++ {
		t, err := im.constant(n, k)
		if err != nil || t == nil {
			return firstErr(err, unsupported(n, "input %d is missing", k+1))
		}
		if t.Size() != int64(c) {
			return unsupported(n, "%s has %d values for %d channels", n.Inputs[k], t.Size(), c)
		}
		v, err := floats(n, t)
		if err != nil {
			return err
		}
		tensors = append(tensors, v)
	}
	eps := float64(attrFloat(n, "epsilon", 1e-5))
	if !(eps > 0 && eps < 1) {
		return unsupported(n, "epsilon %g: want a small positive number", eps)
	}
	l := model.Layer{Kind: model.BatchNorm, In: c, Eps: eps}
	// basin tells batch norm's statistics from its parameters by PyTorch's
	// names; a file named otherwise gets the layer's own names.
	prefix, _ := strings.CutSuffix(n.Inputs[3], ".running_mean")
	if n.Inputs[1] == prefix+".weight" && n.Inputs[2] == prefix+".bias" && n.Inputs[4] == prefix+".running_var" {
		if l.Tensors, err = im.tensorNames(n, 1, 2, 3, 4); err != nil {
			return err
		}
	}
	return im.layer(n, l, tensors, n.Inputs[0])
}

func (im *importer) pool(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	if _, ok := n.Attrs["kernel_shape"]; !ok {
		return unsupported(n, "no kernel_shape")
	}
	k, err := square(n, "kernel_shape", 0)
	if err != nil {
		return err
	}
	stride, err := square(n, "strides", 1)
	if err != nil {
		return err
	}
	d, err := dilation(n)
	if err != nil {
		return err
	}
	span := d*(k-1) + 1
	p, err := pad(n, x.shape, span, stride)
	if err != nil {
		return err
	}
	if p >= span {
		return unsupported(n, "pads %d as wide as the window", p)
	}
	if attrInt(n, "ceil_mode", 0) != 0 {
		for _, in := range x.shape[1:] {
			if (in+2*p-span)%stride != 0 {
				return unsupported(n, "ceil_mode=1 where a window overhangs the input: basin's pools round down")
			}
		}
	}
	l := model.Layer{Kind: model.MaxPool, Kernel: k, Stride: stride, Pad: p, Dilation: d}
	if n.Op == "AveragePool" {
		l.Kind = model.AvgPool
		l.ExcludePad = p > 0 && attrInt(n, "count_include_pad", 0) == 0
	}
	return im.layer(n, l, nil, n.Inputs[0])
}

// reduceMean over both spatial axes is global average pooling (PyTorch's
// x.mean(dim=(2, 3))).
func (im *importer) reduceMean(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	axes := n.Attrs["axes"].Ints
	if t, err := im.constant(n, 1); err != nil {
		return err
	} else if t != nil {
		axes = t.Ints
	}
	var spatial []int64
	for _, a := range axes {
		if a < 0 {
			a += int64(len(x.shape) + 1)
		}
		spatial = append(spatial, a)
	}
	if len(x.shape) != 3 || len(spatial) != 2 || min(spatial[0], spatial[1]) != 2 || max(spatial[0], spatial[1]) != 3 {
		return unsupported(n, "a mean over axes %v of a %v tensor: basin reads ReduceMean only over an image's height and width (global average pooling)", axes, x.shape)
	}
	return im.layer(n, model.Layer{Kind: model.GlobalAvgPool}, nil, n.Inputs[0])
}

// add is a residual add of two computed values, or the bias after a
// MatMul.
func (im *importer) add(n *Node) error {
	if len(n.Inputs) != 2 {
		return unsupported(n, "%d inputs", len(n.Inputs))
	}
	for k := range 2 {
		c, ok := im.consts[n.Inputs[k]]
		if !ok {
			continue
		}
		v, err := im.input(n, 1-k)
		if err != nil {
			return err
		}
		if !im.matmul[v.layer] || v.layer != len(im.layers)-1 {
			return unsupported(n, "adds the constant %s: basin adds constants only as the bias of a MatMul just before", n.Inputs[k])
		}
		l := &im.layers[v.layer]
		if c.Size() != int64(l.Out) || len(c.Dims) > 2 || len(c.Dims) == 2 && c.Dims[0] != 1 {
			return unsupported(n, "bias %s has shape %v for %d features", n.Inputs[k], c.Dims, l.Out)
		}
		bv, err := floats(n, c)
		if err != nil {
			return err
		}
		names, err := im.tensorNames(n, k)
		if err != nil {
			return err
		}
		l.NoBias = false
		l.Tensors = append(l.Tensors, names...)
		im.data[v.layer] = append(im.data[v.layer], bv)
		delete(im.matmul, v.layer)
		im.values[n.Outputs[0]] = v
		return nil
	}
	return im.layer(n, model.Layer{Kind: model.Add}, nil, n.Inputs...)
}

// flatten is Flatten at axis 1: a batch of images to a batch of vectors.
func (im *importer) flatten(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	axis := attrInt(n, "axis", 1)
	if axis < 0 {
		axis += int64(len(x.shape) + 1)
	}
	if axis != 1 {
		return unsupported(n, "axis %d: basin flattens each image (axis 1)", attrInt(n, "axis", 1))
	}
	return im.layer(n, model.Layer{Kind: model.Flatten}, nil, n.Inputs[0])
}

// reshape is a Reshape that flattens each image: to [N, -1], [0, -1],
// [N, size] or [-1, size].
func (im *importer) reshape(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	var target []int64
	if s, ok := n.Attrs["shape"]; ok { // opset < 5
		target = s.Ints
	} else {
		t, err := im.constant(n, 1)
		if err != nil || t == nil {
			return firstErr(err, unsupported(n, "no target shape"))
		}
		target = t.Ints
	}
	size := int64(x.shape.Size())
	ok := len(target) == 2 && (target[1] == size && target[0] != 0 || target[1] == -1 && target[0] >= 0)
	if !ok {
		return unsupported(n, "reshapes %v to %v: basin reads only a Reshape that flattens each image, to [N, %d]", x.shape, target, size)
	}
	return im.layer(n, model.Layer{Kind: model.Flatten}, nil, n.Inputs[0])
}

// gemm is a dense layer: Y = α·A·B′ + β·C with A the features.
func (im *importer) gemm(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	if attrInt(n, "transA", 0) != 0 {
		return unsupported(n, "transA=1: basin's dense layers read a batch of feature rows")
	}
	b, err := im.constant(n, 1)
	if err != nil || b == nil {
		return firstErr(err, unsupported(n, "no weight"))
	}
	c, err := im.constant(n, 2)
	if err != nil {
		return err
	}
	if len(b.Dims) != 2 {
		return unsupported(n, "weight of shape %v", b.Dims)
	}
	bv, err := floats(n, b)
	if err != nil {
		return err
	}
	in, out := int(b.Dims[0]), int(b.Dims[1])
	w := make([]float32, len(bv))
	alpha := attrFloat(n, "alpha", 1)
	if attrInt(n, "transB", 0) != 0 { // B is [out, in], PyTorch's layout
		in, out = out, in
		for i, v := range bv {
			w[i] = alpha * v
		}
	} else {
		for i := range in {
			for j := range out {
				w[j*in+i] = alpha * bv[i*out+j]
			}
		}
	}
	if x.shape.Size() != in {
		return unsupported(n, "takes %d features but gets %v", in, x.shape)
	}
	l := model.Layer{Kind: model.Dense, In: in, Out: out, NoBias: c == nil}
	tensors := [][]float32{w}
	if c != nil {
		cv, err := floats(n, c)
		if err != nil {
			return err
		}
		rows := int64(1)
		if len(c.Dims) == 2 {
			rows = c.Dims[0]
		}
		if len(c.Dims) > 2 || rows != 1 || c.Size() != int64(out) && c.Size() != 1 {
			return unsupported(n, "bias C of shape %v: basin's dense layers add one bias per output (%d)", c.Dims, out)
		}
		beta := attrFloat(n, "beta", 1)
		bias := make([]float32, out)
		for j := range bias {
			bias[j] = beta * cv[min(j, len(cv)-1)]
		}
		tensors = append(tensors, bias)
	}
	if l.Tensors, err = im.tensorNames(n, 1, 2); err != nil {
		return err
	}
	return im.layer(n, l, tensors, n.Inputs[0])
}

// matMul is a dense layer without bias (an Add after it may give one):
// Y = A·B with B [in, out].
func (im *importer) matMul(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	if !isVector(x.shape) {
		return unsupported(n, "multiplies a tensor of shape %v per image: basin's dense layers read feature vectors (N×F)", x.shape)
	}
	b, err := im.constant(n, 1)
	if err != nil || b == nil {
		return firstErr(err, unsupported(n, "no weight"))
	}
	if len(b.Dims) != 2 {
		return unsupported(n, "weight of shape %v: basin multiplies by a matrix", b.Dims)
	}
	bv, err := floats(n, b)
	if err != nil {
		return err
	}
	in, out := int(b.Dims[0]), int(b.Dims[1])
	if x.shape[0] != in {
		return unsupported(n, "takes %d features but gets %v", in, x.shape)
	}
	w := make([]float32, len(bv))
	for i := range in {
		for j := range out {
			w[j*in+i] = bv[i*out+j]
		}
	}
	l := model.Layer{Kind: model.Dense, In: in, Out: out, NoBias: true}
	if l.Tensors, err = im.tensorNames(n, 1); err != nil {
		return err
	}
	if err := im.layer(n, l, [][]float32{w}, n.Inputs[0]); err != nil {
		return err
	}
	im.matmul[len(im.layers)-1] = true
	return nil
}

func (im *importer) dropout(n *Node) error {
	rate := float64(attrFloat(n, "ratio", 0.5))
	if r, err := im.constant(n, 1); err != nil {
		return err
	} else if r != nil && len(r.Floats) == 1 {
		rate = float64(r.Floats[0])
	}
	if t, _ := im.constant(n, 2); t != nil && len(t.Ints) == 1 && t.Ints[0] != 0 {
		return unsupported(n, "training_mode=true: basin's dropout is the identity in evaluation")
	}
	if !(rate >= 0 && rate < 1) {
		return unsupported(n, "ratio %g: want a fraction in [0, 1)", rate)
	}
	return im.layer(n, model.Layer{Kind: model.Dropout, Rate: rate}, nil, n.Inputs[0])
}

// softmax ends the graph: the values before it are the logits.
func (im *importer) softmax(n *Node) error {
	x, err := im.input(n, 0)
	if err != nil {
		return err
	}
	if len(n.Outputs) != 1 || n.Outputs[0] != im.final {
		return unsupported(n, "a %s before the end: basin reads one only as a classifier's last op", n.Op)
	}
	if !isVector(x.shape) {
		return unsupported(n, "over a tensor of shape %v per image: basin reads %s only over a classifier's logits (N×classes)", x.shape, n.Op)
	}
	if axis := attrInt(n, "axis", -1); axis != 1 && axis != -1 {
		return unsupported(n, "axis %d: the classes are axis 1", axis)
	}
	if x.layer < 0 {
		return unsupported(n, "applied to the input itself")
	}
	im.values[n.Outputs[0]] = x
	im.output = Softmax
	if n.Op == "LogSoftmax" {
		im.output = LogSoftmax
	}
	return nil
}

// isVector reports whether a per-image shape is a feature vector: [F],
// or [F,1,1] as a rank-2 input or a 1×1 conv's output is.
func isVector(s model.Shape) bool {
	return len(s) == 1 || len(s) == 3 && s[1] == 1 && s[2] == 1
}

// firstErr is err, or else alt.
func firstErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}
