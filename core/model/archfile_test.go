package model

import (
	"os"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/data"
)

// Every mistake in an architecture file is one line naming the file, the
// line and what is wrong.
func TestArchFileErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"", "has no layers"},
		{"transformer t\n", `line 1: unknown layer "transformer"`},
		{"conv out=8 kernel=3\n", "line 1: a conv layer needs a name"},
		{"conv c out=8\n", "line 1: a conv layer needs kernel="},
		{"conv c out=8 kernel=3 stride=0\n", `line 1: conv stride: "0"`},
		{"conv c out=8 kernel=3 speed=2\n", "line 1: conv speed: is not an option"},
		{"conv c out=8 kernel=3 out=4\n", "line 1: out is given twice"},
		{"relu r\nrelu r\n", "line 2 (relu r): the name r is used twice"},
		{"conv c out=8 kernel=3\nadd from=c,nowhere\ndense f out=classes\n", "line 2 (add): reads nowhere, which is no layer's name"},
		{"conv c out=8 kernel=3 from=r\nrelu r\ndense f out=classes\n", "line 1 (conv c): reads r, which comes later"},
		{"maxpool kernel=2 pad=2\n", "pad=2: a window would see nothing but padding"},
		{"dropout rate=1\n", `dropout rate: "1"`},
		{"dense f out=classes\ninput 1x28x28\n", "line 2: input comes after the layers"},
		{"mean 0.5\ndense f out=classes\n", "mean and std go together"},
		{"relu r bias=false\n", "takes no options but from="},
	} {
		_, err := ParseArch("net.arch", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "net.arch") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line naming net.arch and %q", c.text, err, c.want)
		}
	}
}

// Shapes are checked when a file meets the data: a mismatch names the
// layer and both shapes.
func TestArchFileShapeErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"conv c out=8 kernel=3 pad=1\nrelu r\nconv d out=8 kernel=3\nadd from=d,r\ndense f out=classes\n", "line 4 (add): adds [8 28 28] to [8 26 26]"},
		{"conv c out=8 kernel=50\ndense f out=classes\n", "line 1 (conv c): gets [1 28 28] and leaves nothing"},
		{"flatten\nconv c out=8 kernel=3\ndense f out=classes\n", "line 2 (conv c): needs an image-shaped [C,H,W] input"},
		{"dense f out=7\n", "gives [7] values but the data has 10 classes"},
		{"conv c out=8 kernel=3\nrelu r\nconv d out=8 kernel=3 from=c\ngap\ndense f out=classes\n", "line 2 (relu r): nothing reads its output"},
	} {
		f, err := ParseArch("net.arch", []byte(c.text))
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		_, err = f.For(data.MNISTShape, 10, data.MNISTNorm())
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "net.arch") {
			t.Errorf("%q: got %v, want %q", c.text, err, c.want)
		}
	}
}

// The presets are the embedded files, with the parameter counts they
// always had; an architecture's text reads back as the same architecture.
func TestPresetsAndText(t *testing.T) {
	want := map[string]int{"small": 26698, "standard": 1199882, "mlp": 25450, "resnet": 68642, "resnet-noshort": 67906}
	for _, name := range Presets() {
		a, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if a.ParamCount() != want[name] {
			t.Errorf("%s: %d parameters, want %d", name, a.ParamCount(), want[name])
		}
		f, err := ParseArch("text", []byte(a.Text()))
		if err != nil {
			t.Fatalf("%s: its text does not parse: %v", name, err)
		}
		b, err := f.For(a.Input, a.Classes, a.Norm)
		if err != nil {
			t.Fatal(err)
		}
		if b.Text() != a.Text() || b.NewParams().SameLayout(a.NewParams()) != nil {
			t.Errorf("%s: text round trip changed it", name)
		}
		if err := a.Same(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	r, _ := Preset("resnet")
	n, _ := Preset("resnet-noshort")
	if r.Same(n) == nil {
		t.Error("resnet and resnet-noshort are the same")
	}
	// On CIFAR's images the same file builds a 3-channel stem.
	c, err := PresetFor("resnet", data.Shape{C: 3, H: 32, W: 32}, 100, data.Norm{Mean: []float64{.5, .5, .5}, Std: []float64{.2, .2, .2}})
	if err != nil || c.NewParams()[0].Shape[1] != 3 || c.Shapes()[len(c.Layers)-1][0] != 100 {
		t.Errorf("resnet on CIFAR-100: %v", err)
	}
}

// The header lines say what a model was made for.
func TestArchFileHeader(t *testing.T) {
	f, err := ParseArch("h.arch", []byte("input 3x32x32 # CIFAR\nclasses 100\nmean 0.5,0.4,0.3\nstd 0.2,0.2,0.2\ngap\ndense fc out=classes\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Input != (data.Shape{C: 3, H: 32, W: 32}) || f.Classes != 100 || f.Norm(data.MNISTNorm()).String() != "0.5,0.4,0.3/0.2,0.2,0.2" {
		t.Errorf("header read as %v, %d, %v", f.Input, f.Classes, f.Norm(data.MNISTNorm()))
	}
	if _, err := ParseArch("h.arch", []byte("input 1x28x28\nmean 0.5,0.5\nstd 0.2,0.2\ndense fc out=classes\n")); err == nil {
		t.Error("two channels of mean for one channel of input: no error")
	}
}

func FuzzParseArch(f *testing.F) {
	every, err := os.ReadFile("testdata/every.arch")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(every)
	f.Add([]byte("conv c out=8 kernel=3\nadd from=c,c\ndense f out=classes\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseArch("fuzz.arch", b)
		if err != nil {
			return
		}
		arch, err := a.For(data.Shape{C: 2, H: 9, W: 7}, 3, data.Norm{Mean: []float64{0, 0}, Std: []float64{1, 1}})
		if err != nil {
			return
		}
		arch.Shapes()
		arch.NewParams()
	})
}
