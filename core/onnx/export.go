package onnx

import (
	"fmt"

	"github.com/basin-dev/basin/core/model"
)

// ExportOpset is the opset Export writes.
const ExportOpset = 13

// Export writes a basin model as an ONNX graph of the ops Import reads
// (opset 13, input "image" N×C×H×W with a symbolic batch, output "logits"),
// its tensors as initializers under their own names: what Import maps
// back onto the same layers. The inputs are normalised already (the
// graph does not include Arch.Norm).
func Export(a model.Arch, p model.Params) (*Model, error) {
	if err := a.NewParams().SameLayout(p); err != nil {
		return nil, fmt.Errorf("export %s: %w", a.Preset, err)
	}
	g := Graph{Name: a.Preset, Initializers: map[string]*Tensor{}}
	in := a.Input
	g.Inputs = []Value{{Name: "image", Shape: []int64{-1, int64(in.C), int64(in.H), int64(in.W)}, Type: TypeFloat}}
	shapes := a.Shapes()
	outs := make([]string, len(a.Layers)) // each layer's output value
	k := 0
	for i, l := range a.Layers {
		var ins []string
		for _, j := range a.Inputs()[i] {
			if j < 0 {
				ins = append(ins, "image")
			} else {
				ins = append(ins, outs[j])
			}
		}
		name := l.Name
		if name == "" {
			name = fmt.Sprintf("%s_%d", l.Kind, i)
		}
		outs[i] = name + ":out"
		if i == len(a.Layers)-1 {
			outs[i] = "logits"
		}
		var tensors []string
		for range l.TensorCount() {
			t := p[k]
			g.Initializers[t.Name] = &Tensor{Name: t.Name, Dims: dims(t.Shape), Type: TypeFloat, Floats: t.Data}
			tensors = append(tensors, t.Name)
			k++
		}
		n := Node{Name: name, Inputs: append(ins, tensors...), Outputs: []string{outs[i]}, Attrs: map[string]Attr{}}
		window := func() {
			n.Attrs["kernel_shape"] = Attr{Ints: []int64{int64(l.Kernel), int64(l.Kernel)}}
			s := int64(max(l.Stride, 1))
			if l.Stride == 0 && l.Kind != model.Conv {
				s = int64(l.Kernel)
			}
			n.Attrs["strides"] = Attr{Ints: []int64{s, s}}
			pd := int64(l.Pad)
			n.Attrs["pads"] = Attr{Ints: []int64{pd, pd, pd, pd}}
			if d := int64(l.Dilation); d > 1 {
				n.Attrs["dilations"] = Attr{Ints: []int64{d, d}}
			}
		}
		switch l.Kind {
		case model.Conv:
			n.Op = "Conv"
			window()
		case model.BatchNorm:
			n.Op = "BatchNormalization"
			n.Attrs["epsilon"] = Attr{Float: float32(l.BNEps()), Kind: 1}
		case model.ReLU:
			n.Op = "Relu"
		case model.LeakyReLU:
			n.Op = "LeakyRelu"
			n.Attrs["alpha"] = Attr{Float: float32(l.Slope), Kind: 1}
		case model.MaxPool:
			n.Op = "MaxPool"
			window()
		case model.AvgPool:
			n.Op = "AveragePool"
			window()
			if !l.ExcludePad {
				n.Attrs["count_include_pad"] = Attr{Int: 1}
			}
		case model.GlobalAvgPool: // to N×C, as basin's global pooling gives
			n.Op = "ReduceMean"
			n.Attrs["axes"] = Attr{Ints: []int64{2, 3}}
			n.Attrs["keepdims"] = Attr{Int: 0}
		case model.Flatten:
			n.Op = "Flatten"
		case model.Dense:
			if x := a.Inputs()[i][0]; x < 0 || len(shapes[x]) != 1 { // Gemm takes N×F
				flat := Node{Op: "Flatten", Name: name + "_flatten", Inputs: ins, Outputs: []string{name + ":flat"}, Attrs: map[string]Attr{}}
				g.Nodes = append(g.Nodes, flat)
				n.Inputs[0] = name + ":flat"
			}
			n.Op = "Gemm"
			n.Attrs["transB"] = Attr{Int: 1}
		case model.Add:
			n.Op = "Add"
		case model.Dropout:
			n.Op = "Dropout"
			ratio := name + ".ratio"
			g.Initializers[ratio] = &Tensor{Name: ratio, Type: TypeFloat, Floats: []float32{float32(l.Rate)}}
			n.Inputs = append(n.Inputs, ratio)
		default:
			return nil, fmt.Errorf("export %s: layer %s of kind %s has no ONNX op here", a.Preset, name, l.Kind)
		}
		g.Nodes = append(g.Nodes, n)
	}
	last := shapes[len(shapes)-1]
	g.Outputs = []Value{{Name: "logits", Shape: append([]int64{-1}, dims(last)...), Type: TypeFloat}}
	return &Model{Producer: "basin", Opset: ExportOpset, Graph: g}, nil
}

func dims(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}
