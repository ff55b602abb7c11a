package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/rng"
	"github.com/basin-dev/basin/core/surface"
)

// tinyCIFAR writes a CIFAR-10 layout of n training and m test records:
// noise whose colour says the class (red for 0, green for 1, blue for 2),
// so a net learns it in an epoch.
func tinyCIFAR(t *testing.T, n, m int) string {
	t.Helper()
	dir := t.TempDir()
	r := rng.New(7, rng.StreamSample)
	records := func(k int) []byte {
		var b []byte
		for i := 0; i < k; i++ {
			label := i % 3
			b = append(b, byte(label))
			for c := 0; c < 3; c++ {
				for p := 0; p < 1024; p++ {
					v := 40 + r.Float64()*60
					if c == label {
						v += 120
					}
					b = append(b, byte(v))
				}
			}
		}
		return b
	}
	for i := 1; i <= 5; i++ {
		os.WriteFile(filepath.Join(dir, "data_batch_"+string(rune('0'+i))+".bin"), records(n/5), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "test_batch.bin"), records(m), 0o644)
	return dir
}

// A preset trains on 3×32×32 images with three classes, records what it
// was trained on, and every command that opens it evaluates it on that
// data and refuses other data with one line.
func TestCommandsOnCIFARFormat(t *testing.T) {
	dataDir := tinyCIFAR(t, 200, 60)
	dir := t.TempDir()
	ck := filepath.Join(dir, "c.safetensors")
	code, _, stderr := run("train", "--data", dataDir, "--batch", "20", "--epochs", "2", "--out", ck)
	if code != 0 || !strings.Contains(stderr, "3x32x32 images, 3 classes") {
		t.Fatalf("train: %d %s", code, stderr)
	}
	c, err := checkpoint.Load(ck)
	if err != nil {
		t.Fatal(err)
	}
	if c.Arch.Input != (data.Shape{C: 3, H: 32, W: 32}) || c.Arch.Classes != 3 || c.Arch.Norm.Channels() != 3 ||
		c.Params[len(c.Params)-1].Shape[0] != 3 || c.Params[0].Shape[1] != 3 {
		t.Fatalf("checkpoint records %v, %d classes, norm %v; fc2.bias %v, conv1.weight %v",
			c.Arch.Input, c.Arch.Classes, c.Arch.Norm, c.Params[len(c.Params)-1].Shape, c.Params[0].Shape)
	}
	code, stdout, stderr := run("eval", "--checkpoint", ck, "--data", dataDir, "--split", "test", "--samples", "60")
	if code != 0 {
		t.Fatalf("eval: %s", stderr)
	}
	if !strings.Contains(stdout, "accuracy") || accuracyOf(t, stdout) < 0.9 {
		t.Fatalf("the colour of the noise is easy: %q", stdout)
	}
	out := filepath.Join(dir, "p.npz")
	if code, _, stderr = run("scan2d", "--checkpoint", ck, "--data", dataDir, "--grid", "3", "--samples", "30", "--out", out); code != 0 {
		t.Fatalf("scan2d: %s", stderr)
	}
	s, err := surface.Load(out)
	if err != nil || s.Computed() != 9 {
		t.Fatalf("scan2d file: %v", err)
	}
	// two shards of the plane merge into the file one scan writes
	for _, i := range []string{"0", "1"} {
		if code, _, stderr = run("scan2d", "--checkpoint", ck, "--grid", "3", "--samples", "30", "--shard", i+"/2", "--out", filepath.Join(dir, "part-{shard}.npz")); code != 0 {
			t.Fatalf("shard %s: %s", i, stderr)
		}
	}
	merged := filepath.Join(dir, "merged.npz")
	if code, _, stderr = run("merge", filepath.Join(dir, "part-0.npz"), filepath.Join(dir, "part-1.npz"), "--out", merged); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	if a, b := readFile(t, out), readFile(t, merged); string(a) != string(b) {
		t.Fatal("the merged shards differ from the whole scan")
	}
	if code, _, stderr = run("sharpness", "--checkpoint", ck, "--data", dataDir, "--directions", "2", "--points", "5", "--samples", "30", "--epsilon", "", "--top", "1"); code != 0 {
		t.Fatalf("sharpness with λmax: %s", stderr)
	}
	// no --data: the data set it was trained on, which the checkpoint records
	if code, stdout, stderr = run("eval", "--checkpoint", ck, "--split", "test", "--samples", "60"); code != 0 || accuracyOf(t, stdout) < 0.9 {
		t.Fatalf("eval with no --data: %d %q %s", code, stdout, stderr)
	}
	// on MNIST: one line, exit 2, before any work
	code, _, stderr = run("eval", "--checkpoint", ck, "--data", tinyData(t, 40, 20))
	if code != ExitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || !strings.Contains(stderr, "1x28x28 but small takes 3x32x32") {
		t.Fatalf("a CIFAR model on MNIST: %d %q", code, stderr)
	}
	// the recorded data set gone: one line saying which, and what to do
	os.Rename(dataDir, dataDir+".moved")
	code, _, stderr = run("eval", "--checkpoint", ck)
	if code != ExitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || !strings.Contains(stderr, "was trained on "+dataDir) || !strings.Contains(stderr, "give --data") {
		t.Fatalf("the recorded data set moved away: %d %q", code, stderr)
	}
	os.Rename(dataDir+".moved", dataDir)
	code, _, stderr = run("train", "--data", dataDir, "--mean", "0.5", "--std", "0.5", "--out", filepath.Join(dir, "x.safetensors"))
	if code != ExitUsage || !strings.Contains(stderr, "images of 3 channels") {
		t.Fatalf("one mean for three channels: %d %q", code, stderr)
	}
}

// accuracyOf reads the accuracy basin eval prints, as a fraction.
func accuracyOf(t *testing.T, stdout string) float64 {
	t.Helper()
	_, after, ok := strings.Cut(stdout, "accuracy ")
	pct, _, _ := strings.Cut(after, "%")
	var v float64
	if _, err := fmt.Sscanf(pct, "%g", &v); !ok || err != nil {
		t.Fatalf("no accuracy in %q", stdout)
	}
	return v / 100
}

// fashionMNIST is where Debian's dataset-fashion-mnist puts it (.ci/run
// installs it).
const fashionMNIST = "/usr/share/datasets/fashion-mnist"

// The small net on Fashion-MNIST, as Debian ships it: trained, evaluated
// without --data (the checkpoint records its data set) and scanned.
func TestFashionMNIST(t *testing.T) {
	if _, err := os.Stat(fashionMNIST); err != nil {
		t.Skip("no Fashion-MNIST: apt-get install dataset-fashion-mnist")
	}
	if testing.Short() {
		t.Skip("trains a full epoch")
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "f.safetensors")
	code, _, stderr := run("train", "--data", fashionMNIST, "--batch", "128", "--out", ck)
	if code != 0 || !strings.Contains(stderr, "1x28x28 images, 10 classes, normalized 0.286") {
		t.Fatalf("train: %d %s", code, stderr)
	}
	code, stdout, stderr := run("eval", "--checkpoint", ck, "--split", "test", "--samples", "2000")
	if code != 0 || accuracyOf(t, stdout) < 0.75 {
		t.Fatalf("eval on Fashion-MNIST's test split: %d %q %s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "f.npz")
	if code, _, stderr = run("scan1d", "--checkpoint", ck, "--points", "5", "--samples", "100", "--out", out); code != 0 {
		t.Fatalf("scan1d: %s", stderr)
	}
	// resnet on Fashion-MNIST's images (the shipped one, trained on MNIST:
	// the same shape and classes): evaluated, scanned, its Hessian measured
	for _, args := range [][]string{
		{"eval", "--checkpoint", "pretrained:resnet", "--data", fashionMNIST, "--split", "test", "--samples", "500"},
		{"scan2d", "--checkpoint", "pretrained:resnet", "--data", fashionMNIST, "--grid", "3", "--samples", "100", "--out", filepath.Join(dir, "r.npz")},
		{"sharpness", "--checkpoint", "pretrained:resnet", "--data", fashionMNIST, "--directions", "2", "--points", "5", "--samples", "20", "--epsilon", "", "--lambda-min=false", "--trace=false"},
	} {
		if code, _, stderr = run(args...); code != 0 {
			t.Fatalf("%s on Fashion-MNIST: %s", args[0], stderr)
		}
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every command on resnet (batch norm, strides, residual adds) and on
// resnet-noshort, on CIFAR-format images: train, eval, the scans, the
// Hessian per layer, the trajectory, interpolation, compare, the
// edge-of-stability and skip-connection experiments, figures and info.
func TestResNetCommandsOnCIFARFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four resnets")
	}
	dataDir := tinyCIFAR(t, 120, 40)
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	must := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := run(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		return stdout
	}
	must("train", "--preset", "resnet", "--data", dataDir, "--batch", "20", "--epochs", "3", "--out", p("a.safetensors"))
	must("train", "--preset", "resnet", "--data", dataDir, "--batch", "20", "--epochs", "3", "--seed", "2", "--out", p("b.safetensors"))
	if acc := accuracyOf(t, must("eval", "--checkpoint", p("a.safetensors"), "--split", "test", "--samples", "40")); acc < 0.6 {
		t.Errorf("resnet on the colour-coded set: accuracy %.2f", acc)
	}
	ck := p("a.safetensors")
	must("scan1d", "--checkpoint", ck, "--points", "3", "--samples", "20", "--out", p("l.npz"))
	must("scan2d", "--checkpoint", ck, "--grid", "3", "--samples", "20", "--out", p("s.npz"))
	for _, i := range []string{"0", "1"} {
		must("scan2d", "--checkpoint", ck, "--grid", "3", "--samples", "20", "--shard", i+"/2", "--out", p("part-{shard}.npz"))
	}
	must("merge", p("part-0.npz"), p("part-1.npz"), "--out", p("merged.npz"))
	if string(readFile(t, p("s.npz"))) != string(readFile(t, p("merged.npz"))) {
		t.Error("the merged shards of a resnet scan differ from the whole scan")
	}
	out := must("sharpness", "--checkpoint", ck, "--directions", "2", "--points", "5", "--samples", "6", "--epsilon", "", "--top", "1", "--lambda-min=false", "--format", "json")
	if !strings.Contains(out, `"top"`) {
		t.Errorf("no λmax: %.300s", out)
	}
	must("trajectory", "--checkpoint", ck, "--grid", "3", "--samples", "20", "--out", p("t.npz"))
	must("interp", ck, p("b.safetensors"), "--points", "3", "--samples", "20", "--out", p("i.npz"))
	must("compare", ck, p("b.safetensors"), "--grid", "3", "--points", "3", "--samples", "20", "--directions", "0", "--epsilon", "", "--top", "0", "--trace=false", "--out", p("c.npz"))
	must("plot", p("c.npz"), "--out", p("c.png"))
	must("experiment", "eos", "--preset", "resnet", "--data", dataDir, "--subset", "40", "--lrs", "0.1", "--steps", "4", "--track-every", "2", "--out", p("eos"))
	out = must("experiment", "skip", "--data", dataDir, "--batch", "20", "--grid", "3", "--points", "3", "--samples", "6",
		"--directions", "2", "--epsilon", "", "--top", "1", "--lambda-min", "--out", p("skip"))
	if !strings.Contains(out, "|λmin/λmax|") || !strings.Contains(out, "resnet-noshort.safetensors") {
		t.Errorf("skip experiment table: %s", out)
	}
	must("plot", p("skip/compare.npz"), "--out", p("skip.png"))
	if out = must("info", p("skip/resnet-noshort.safetensors")); !strings.Contains(out, "resnet-noshort") {
		t.Errorf("info: %s", out)
	}
	// an architecture file of one's own: strides, average pooling, dropout
	arch := p("mine.arch")
	os.WriteFile(arch, []byte("conv c1 out=6 kernel=3 stride=2 pad=1\nbn b1\nrelu\navgpool kernel=2\ndropout rate=0.1\ngap\ndense fc out=classes\n"), 0o644)
	must("train", "--arch", arch, "--data", dataDir, "--batch", "20", "--out", p("mine.safetensors"))
	must("scan1d", "--checkpoint", p("mine.safetensors"), "--points", "3", "--samples", "20", "--out", p("m.npz"))
	// a resnet cannot be compared with a small net: one line, before work
	code, _, stderr := run("compare", ck, p("mine.safetensors"), "--out", p("x.npz"))
	if code != ExitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("compare of two architectures: %d %q", code, stderr)
	}
}
