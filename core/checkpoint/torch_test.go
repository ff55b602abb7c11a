package checkpoint_test

import (
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/basin-dev/basin/assets"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/internal/pytorch"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/npy"
	"github.com/basin-dev/basin/core/rng"
)

// A ResNet made and saved by PyTorch (its state_dict names, batch norm's
// num_batches_tracked, 3×32×32 inputs and their own normalization given
// by the architecture file beside it) opens in basin and evaluates to
// PyTorch's own evaluation-mode loss. Skipped without python3-torch.
func TestPyTorchResNet(t *testing.T) {
	python := pytorch.Python()
	if python == "" {
		t.Skip("python3-torch is not installed")
	}
	dir := t.TempDir()
	const n = 24
	r := rng.New(1, 1)
	px := make([]uint8, n*3*32*32)
	for i := range px {
		px[i] = uint8(r.Uint64())
	}
	labels := make([]int64, n)
	for i := range labels {
		labels[i] = int64(i % 10)
	}
	x := npy.Array{Shape: []int{n, 3, 32, 32}, U8: px}
	y := npy.Array{Shape: []int{n}, I64: labels}
	b, err := npy.EncodeNpz([]npy.Named{{Name: "x_train", Arr: x}, {Name: "y_train", Arr: y}, {Name: "x_test", Arr: x}, {Name: "y_test", Arr: y}})
	if err != nil {
		t.Fatal(err)
	}
	dataPath := filepath.Join(dir, "data.npz")
	if err := os.WriteFile(dataPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	mean, std := "0.5,0.4,0.3", "0.25,0.2,0.3"
	layers, err := fs.ReadFile(assets.Arch, "arch/resnet.arch")
	if err != nil {
		t.Fatal(err)
	}
	header := "input 3x32x32\nclasses 10\nmean " + mean + "\nstd " + std + "\n"
	if err := os.WriteFile(filepath.Join(dir, "model.arch"), []byte(header+string(layers)), 0o644); err != nil {
		t.Fatal(err)
	}
	ckPath := filepath.Join(dir, "model.safetensors")
	out, err := exec.Command(python, "testdata/torch_resnet.py", dataPath, ckPath, mean, std).CombinedOutput()
	if err != nil {
		t.Fatalf("torch_resnet.py: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	want, err := strconv.ParseFloat(lines[len(lines)-1], 64)
	if err != nil {
		t.Fatalf("torch_resnet.py printed %q", out)
	}

	ck, err := checkpoint.Load(ckPath)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Arch.Input != (data.Shape{C: 3, H: 32, W: 32}) || ck.Arch.Norm.String() != "0.5,0.4,0.3/0.25,0.2,0.3" {
		t.Fatalf("opened as %v images normalized %v", ck.Arch.Input, ck.Arch.Norm)
	}
	src, err := data.Load(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	ev := model.NewEvaluator(ck.Arch, ck.Params)
	defer ev.Close()
	res, err := ev.Evaluate(src.Test)
	if err != nil {
		t.Fatal(err)
	}
	if rel := math.Abs(res.Loss-want) / want; rel > 1e-5 {
		t.Errorf("basin's loss %.8g, PyTorch's %.8g: relative difference %.2g, want ≤ 1e-5", res.Loss, want, rel)
	}
	t.Logf("basin %.8g, PyTorch %.8g", res.Loss, want)
}
