package onnx_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/internal/pytorch"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// fashionMNIST is where Debian's dataset-fashion-mnist puts it.
const fashionMNIST = "/usr/share/datasets/fashion-mnist"

// A small ResNet trained by PyTorch on Fashion-MNIST and exported with
// torch.onnx.export in eval mode, both folded (batch norm merged into the
// convs) and not, evaluates in basin to PyTorch's test loss; and a scan of
// the unfolded one, along basin's own filter-normalized direction over its
// own images, gives at every α the loss PyTorch computes at θ* + α·d.
// Skipped without python3-torch or the data.
func TestPyTorchONNX(t *testing.T) {
	python := pytorch.Python()
	if python == "" {
		t.Skip("python3-torch is not installed")
	}
	if _, err := os.Stat(fashionMNIST); err != nil {
		t.Skip("no Fashion-MNIST: apt-get install dataset-fashion-mnist")
	}
	dir := t.TempDir()
	var exported struct {
		Loss      float64
		Images    int
		Mean, Std float64
	}
	runPython(t, python, &exported, "export", "--data", fashionMNIST, "--out", dir)
	src, err := data.Load(fashionMNIST)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]int, exported.Images)
	for i := range first {
		first[i] = i
	}
	for _, name := range []string{"folded.onnx", "unfolded.onnx"} {
		ck, err := checkpoint.Load(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := ck.Fits(src); err != nil {
			t.Fatal(err)
		}
		if m, s := ck.Arch.Norm.Mean[0], ck.Arch.Norm.Std[0]; math.Abs(m-exported.Mean) > 1e-9 || math.Abs(s-exported.Std) > 1e-9 {
			t.Fatalf("%s: normalised with %g/%g, PyTorch's script computed %g/%g", name, m, s, exported.Mean, exported.Std)
		}
		ev := model.NewEvaluator(ck.Arch, ck.Params)
		res, err := ev.Evaluate(src.Test.Subset(first))
		ev.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rel := math.Abs(res.Loss-exported.Loss) / exported.Loss; rel > 1e-4 {
			t.Errorf("%s: basin's loss %.8g, PyTorch's %.8g (relative %.2g, want ≤ 1e-4)", name, res.Loss, exported.Loss, rel)
		}
		t.Logf("%s: %d layers, basin %.8g, PyTorch %.8g", name, len(ck.Arch.Layers), res.Loss, exported.Loss)
	}

	ck, err := checkpoint.Load(filepath.Join(dir, "unfolded.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ck.Fits(src); err != nil {
		t.Fatal(err)
	}
	st := scan.Settings{Alpha: surface.Axis{Min: -0.5, Max: 1, N: 3}, Direction: direction.Spec{Seed: 3, Norm: direction.Filter},
		SampleSeed: 1, Split: data.Test, Samples: 300, Workers: 1}
	job, s, err := scan.Prepare(ck, src, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := scan.Run(context.Background(), job, s, nil); err != nil {
		t.Fatal(err)
	}
	dirPath, idxPath := filepath.Join(dir, "d.safetensors"), filepath.Join(dir, "idx.json")
	b, err := checkpoint.Encode(s.D, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := json.Marshal(s.EvalIndices)
	if err := os.WriteFile(dirPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(idxPath, idx, 0o644); err != nil {
		t.Fatal(err)
	}
	var evaluated struct{ Losses []float64 }
	runPython(t, python, &evaluated, "eval", "--data", fashionMNIST, "--state", filepath.Join(dir, "model.safetensors"),
		"--direction", dirPath, "--alphas=-0.5,0.25,1", "--indices", idxPath)
	for i, want := range evaluated.Losses {
		if rel := math.Abs(s.Loss[i]-want) / want; !(rel <= 1e-4) {
			t.Errorf("α = %g: basin's scan %.8g, PyTorch at θ*+α·d %.8g (relative %.2g, want ≤ 1e-4)", s.Alpha.At(i), s.Loss[i], want, rel)
		}
	}
	t.Logf("scan %v, PyTorch %v", s.Loss, evaluated.Losses)
}

// runPython runs testdata/torch_onnx.py and decodes the JSON it prints.
func runPython(t *testing.T, python string, into any, args ...string) {
	t.Helper()
	cmd := exec.Command(python, append([]string{"testdata/torch_onnx.py"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("torch_onnx.py %s: %v", args[0], err)
	}
	if err := json.Unmarshal(out, into); err != nil {
		t.Fatalf("torch_onnx.py %s printed %q: %v", args[0], out, err)
	}
}
