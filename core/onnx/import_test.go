package onnx

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/rng"
)

// archs are the presets and the file with every layer kind, on CIFAR-sized
// images so strides and channels are not MNIST's only.
func archs(t testing.TB) []model.Arch {
	var out []model.Arch
	for _, name := range model.Presets() {
		a, err := model.PresetFor(name, data.Shape{C: 3, H: 32, W: 32}, 10, data.Identity(3))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	f, err := model.ReadArchFile("../model/testdata/every.arch")
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.For(data.MNISTShape, 10, data.MNISTNorm())
	if err != nil {
		t.Fatal(err)
	}
	return append(out, a)
}

// randomized gives batch norm's statistics and scales values away from
// their initial 0 and 1, so a mixed-up tensor shows.
func randomized(a model.Arch, seed uint64) model.Params {
	p := a.Init(seed)
	r := rng.New(seed, 9)
	bn := p.InBatchNorm()
	for i := range p {
		if bn[i] {
			for j := range p[i].Data {
				p[i].Data[j] = float32(0.5 + r.Float64())
			}
		}
	}
	return p
}

// Every preset and every layer kind goes out as ONNX and comes back as the
// same layers, computing the same outputs.
func TestExportImportRoundTrip(t *testing.T) {
	for _, a := range archs(t) {
		p := randomized(a, 3)
		m, err := Export(a, p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseModel(m.Marshal())
		if err != nil {
			t.Fatalf("%s: %v", a.Preset, err)
		}
		im, err := Import(back, nil)
		if err != nil {
			t.Fatalf("%s: %v", a.Preset, err)
		}
		var kinds, backKinds []string
		for _, l := range a.Layers {
			kinds = append(kinds, l.Kind.String())
		}
		for _, l := range im.Arch.Layers {
			backKinds = append(backKinds, l.Kind.String())
		}
		if strings.Join(kinds, " ") != strings.Join(backKinds, " ") {
			t.Fatalf("%s: layers %v came back as %v", a.Preset, kinds, backKinds)
		}
		for i := range p {
			if im.Params[i].Name != p[i].Name {
				t.Fatalf("%s: tensor %d is %s, was %s", a.Preset, i, im.Params[i].Name, p[i].Name)
			}
		}
		const batch = 3
		x := make([]float32, batch*a.Input.Size())
		r := rng.New(4, 4)
		for i := range x {
			x[i] = float32(r.Norm())
		}
		want, err := model.Forward(a, p, x, batch)
		if err != nil {
			t.Fatal(err)
		}
		got, err := im.Forward(x, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("%s: output %d is %v, was %v", a.Preset, i, got[i], want[i])
			}
		}
	}
}

// tiny is a one-conv graph with a node of the given op after it.
func tiny(op string, attrs map[string]Attr) *Model {
	w := &Tensor{Dims: []int64{2, 1, 3, 3}, Type: TypeFloat, Floats: make([]float32, 18)}
	g := Graph{Name: "tiny", Initializers: map[string]*Tensor{"w": w},
		Inputs:  []Value{{Name: "x", Shape: []int64{-1, 1, 8, 8}, Type: TypeFloat}},
		Outputs: []Value{{Name: "y", Type: TypeFloat}},
		Nodes: []Node{
			{Op: "Conv", Name: "c1", Inputs: []string{"x", "w"}, Outputs: []string{"h"}, Attrs: map[string]Attr{}},
			{Op: op, Name: "last", Inputs: []string{"h"}, Outputs: []string{"y"}, Attrs: attrs},
		}}
	return &Model{Opset: 13, Graph: g}
}

// What basin cannot follow is refused in one line naming the node and its
// op, and what is wrong.
func TestUnsupportedIsOneLine(t *testing.T) {
	for _, c := range []struct {
		m    *Model
		want string
	}{
		{tiny("Tanh", nil), "node last: basin has no layer for op Tanh"},
		{tiny("MaxPool", map[string]Attr{"kernel_shape": {Ints: []int64{2, 2}}, "dilations": {Ints: []int64{2, 1}}}), "node last (MaxPool): dilations [2 1]: basin's windows and strides are the same along both axes"},
		{tiny("MaxPool", map[string]Attr{"kernel_shape": {Ints: []int64{3, 3}}, "pads": {Ints: []int64{1, 0, 1, 0}}}), "pads [1 0 1 0]: basin pads all four sides alike"},
		{tiny("MaxPool", map[string]Attr{"kernel_shape": {Ints: []int64{3, 3}}, "strides": {Ints: []int64{2, 2}}, "ceil_mode": {Int: 1}}), "ceil_mode=1 where a window overhangs"},
		{tiny("Flatten", map[string]Attr{"axis": {Int: 2}}), "node last (Flatten): axis 2"},
		{tiny("Softmax", nil), "node last (Softmax): over a tensor of shape [2 6 6] per image"},
	} {
		_, err := Import(c.m, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("got %v, want one line with %q", err, c.want)
		}
	}
	// The same through the file: ParseModel of the bytes, and Read's
	// message names the file.
	path := t.TempDir() + "/tanh.onnx"
	if err := os.WriteFile(path, tiny("Tanh", nil).Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.HasPrefix(err.Error(), path+": node last: basin has no layer for op Tanh") {
		t.Errorf("Read: %v", err)
	}
	if err := os.WriteFile(path, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "not an ONNX model") {
		t.Errorf("Read of text: %v", err)
	}
}

// FuzzImport: no bytes make the reader or the importer panic.
func FuzzImport(f *testing.F) {
	for _, a := range archs(f)[:2] {
		m, err := Export(a, a.Init(1))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.Marshal())
	}
	f.Add(tiny("MaxPool", map[string]Attr{"kernel_shape": {Ints: []int64{2, 2}}}).Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseModel(b)
		if err != nil {
			return
		}
		im, err := Import(m, nil)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a message of several lines: %q", err)
			}
			return
		}
		if err := im.Arch.Validate(); err != nil {
			t.Fatalf("imported an invalid architecture: %v", err)
		}
	})
}
