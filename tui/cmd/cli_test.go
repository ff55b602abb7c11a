package cmd

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

// tinyData writes a small IDX data set (the first images of MNIST) so the
// CLI can train in a test.
func tinyData(t *testing.T, train, test int) string {
	t.Helper()
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, d *data.Dataset, n int) {
		img := binary.BigEndian.AppendUint32(nil, 0x803)
		for _, v := range []uint32{uint32(n), 28, 28} {
			img = binary.BigEndian.AppendUint32(img, v)
		}
		img = append(img, d.Pixels[:n*data.Pixels]...)
		lab := binary.BigEndian.AppendUint32(nil, 0x801)
		lab = binary.BigEndian.AppendUint32(lab, uint32(n))
		lab = append(lab, d.Labels[:n]...)
		os.WriteFile(filepath.Join(dir, name+"-images-idx3-ubyte"), img, 0o644)
		os.WriteFile(filepath.Join(dir, name+"-labels-idx1-ubyte"), lab, 0o644)
	}
	write("train", src.Train, train)
	write("t10k", src.Test, test)
	return dir
}

func TestBadInputIsOneLineAndExit2(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(junk, []byte("not a checkpoint"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"train", "--preset", "huge", "--out", "x"}, "unknown preset"},
		{[]string{"train"}, "--out is required"},
		{[]string{"train", "--epochs", "zero", "--out", "x"}, "invalid value"},
		{[]string{"train", "--optimizer", "lbfgs", "--out", "x"}, "unknown optimizer"},
		{[]string{"scan1d", "--checkpoint", junk, "--alpha", "1:-1", "--out", "s.npz"}, "inverted"},
		{[]string{"scan1d", "--checkpoint", junk, "--alpha", "a:b", "--out", "s.npz"}, `"a" is not a number`},
		{[]string{"scan2d", "--checkpoint", junk, "--grid", "1", "--out", "s.npz"}, "2 to 1001"},
		{[]string{"scan2d", "--checkpoint", junk, "--grid", "1002x3", "--out", "s.npz"}, "2 to 1001"},
		{[]string{"scan1d", "--checkpoint", junk, "--out", "s.npz"}, "safetensors"},
		{[]string{"scan1d", "--checkpoint", filepath.Join(dir, "missing"), "--out", "s.npz"}, "no such file"},
		{[]string{"scan1d", "--checkpoint", junk, "--norm", "batch", "--out", "s.npz"}, "unknown normalization"},
		{[]string{"eval"}, "--checkpoint is required"},
		{[]string{"eval", "--checkpoint", junk, "--split", "val"}, "unknown split"},
		{[]string{"info", "--preset", "huge"}, "unknown preset"},
		{[]string{"info", junk}, "safetensors"},
		{[]string{"train", "--data", dir, "--out", "x"}, "--data"},
		// flag errors: one line pointing to the help, never the usage
		{[]string{"train", "--bogus"}, "see basin train --help"},
		{[]string{"train", "--epochs", "abc", "--out", "x"}, "see basin train --help"},
		{[]string{"scan2d", "--grid"}, "see basin scan2d --help"},
		{[]string{"eval", "extra"}, `unexpected argument "extra"`},
		// numbers that are not numbers, and sizes that do not fit
		{[]string{"train", "--lr", "NaN", "--out", "x"}, "learning rate"},
		{[]string{"train", "--lr", "Inf", "--out", "x"}, "learning rate"},
		{[]string{"train", "--momentum", "NaN", "--out", "x"}, "momentum"},
		{[]string{"train", "--weight-decay", "Inf", "--out", "x"}, "weight decay"},
		{[]string{"scan1d", "--checkpoint", junk, "--alpha", "-1e308:1e308", "--out", "s.npz"}, "overflows"},
		{[]string{"scan2d", "--checkpoint", junk, "--beta", "NaN:1", "--out", "s.npz"}, "not a number"},
		{[]string{"scan2d", "--checkpoint", junk, "--workers", "441", "--out", "s.npz"}, "--workers 441"},
		// outputs that cannot be written are refused before any work
		{[]string{"scan2d", "--checkpoint", junk, "--out", filepath.Join(dir, "missing", "s.npz")}, "does not exist"},
		{[]string{"scan1d", "--checkpoint", junk, "--out", dir}, "is a directory"},
		{[]string{"train", "--out", filepath.Join(dir, "missing", "m.safetensors")}, "does not exist"},
		// inputs that never end
		{[]string{"eval", "--checkpoint", "/dev/zero"}, "not a regular file"},
		{[]string{"info", "/dev/zero"}, "not a regular file"},
		{[]string{"sharpness", "--checkpoint", junk, "--directions", "0"}, "--directions 0"},
		{[]string{"sharpness", "--checkpoint", junk, "--alpha", "0.5:1"}, "contain the centre"},
		{[]string{"sharpness", "--checkpoint", junk, "--format", "xml"}, "table or json"},
		{[]string{"sharpness", "--checkpoint", junk, "--epsilon", "2"}, "between 0 and 1"},
		{[]string{"sharpness", "--checkpoint", junk, "--top", "-1"}, "--top -1"},
		{[]string{"sharpness", "--checkpoint", junk, "--top", "0", "--per-layer"}, "--per-layer needs"},
		{[]string{"train", "--data", "/dev/zero", "--out", filepath.Join(dir, "m.safetensors")}, "not a directory"},
	}
	for _, c := range cases {
		code, stdout, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, cmd := range []string{"train", "eval", "scan1d", "scan2d", "info", "sharpness", "compare", "experiment"} {
		code, stdout, _ := run(cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "usage: basin "+cmd) {
			t.Errorf("%s --help: exit %d, %q", cmd, code, stdout)
		}
	}
	if code, stdout, _ := run("help"); code != 0 || !strings.Contains(stdout, "scan2d") {
		t.Errorf("basin help: exit %d %q", code, stdout)
	}
}

var lossRE = regexp.MustCompile(`loss (\d+\.\d+)`)

// train → eval → scan1d → resume → info, through the command line.
func TestTrainWritesItsProgress(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	if code, _, stderr := run("train", "--data", tinyData(t, 128, 32), "--preset", "mlp", "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	l, err := train.ReadLive(train.LivePath(out))
	if err != nil || !l.Done || len(l.Steps) == 0 || len(l.History) != 1 || l.Preset != "mlp" {
		t.Fatalf("progress file: %v %+v", err, l)
	}
}

func TestTrainEvalScanPipeline(t *testing.T) {
	dataDir := tinyData(t, 256, 64)
	dir := t.TempDir()
	ck := filepath.Join(dir, "m.safetensors")
	if code, _, stderr := run("train", "--data", dataDir, "--batch", "32", "--out", ck); code != 0 {
		t.Fatalf("train: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.trajectory.safetensors")); err != nil {
		t.Fatal("no trajectory beside the checkpoint")
	}
	common := []string{"--checkpoint", ck, "--data", dataDir, "--samples", "50", "--seed", "3"}
	code, stdout, stderr := run(append([]string{"eval"}, common...)...)
	if code != 0 {
		t.Fatalf("eval: %s", stderr)
	}
	evalLoss, _ := strconv.ParseFloat(lossRE.FindStringSubmatch(stdout)[1], 64)
	code, _, stderr = run("eval", "--checkpoint", ck, "--data", dataDir, "--samples", "300")
	if code != ExitUsage || !strings.Contains(stderr, "more than the 256 images") {
		t.Fatalf("too many samples: %d %s", code, stderr)
	}

	out := filepath.Join(dir, "s.npz")
	args := append([]string{"scan1d", "--points", "5", "--workers", "2", "--out", out}, common...)
	if code, stdout, stderr = run(args...); code != 0 {
		t.Fatalf("scan1d: %s", stderr)
	}
	s, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.Loss[2]-evalLoss) > 1e-6 {
		t.Fatalf("centre %v, eval printed %v", s.Loss[2], evalLoss)
	}
	if !strings.Contains(stdout, "basin") || s.Meta.Samples != 50 || s.Meta.Seed != 3 || !s.Meta.Complete {
		t.Fatalf("summary or metadata: %q %+v", stdout, s.Meta)
	}

	// Knock out two points and resume: only they are recomputed.
	want := s.Loss[4]
	s.Done[0], s.Done[4] = false, false
	s.Loss[0], s.Loss[4] = math.NaN(), math.NaN()
	s.Loss[1] = -1 // must survive the resume
	if err := surface.Save(out, surface.NPZ, s); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = run(append(args, "--resume")...); code != 0 || !strings.Contains(stderr, "3 of 5 points done") {
		t.Fatalf("resume: %d %s", code, stderr)
	}
	r, _ := surface.Load(out)
	if r.Loss[1] != -1 || r.Loss[4] != want || r.Computed() != 5 {
		t.Fatalf("resume recomputed a done point or missed a gap: %v", r.Loss)
	}
	// Another seed refuses to resume this file.
	other := []string{"scan1d", "--points", "5", "--out", out, "--resume", "--checkpoint", ck, "--data", dataDir, "--samples", "50", "--seed", "4"}
	if code, _, stderr = run(other...); code != ExitUsage || !strings.Contains(stderr, "seed") {
		t.Fatalf("resume with another seed: %d %s", code, stderr)
	}
	if code, stdout, _ = run("info", out); code != 0 || !strings.Contains(stdout, "filter-normalized") {
		t.Fatalf("info surface: %q", stdout)
	}
	if code, stdout, _ = run("info", ck); code != 0 || !strings.Contains(stdout, "26,698") {
		t.Fatalf("info checkpoint: %q", stdout)
	}
	csv := filepath.Join(dir, "s.csv")
	if code, _, stderr = run("scan2d", "--grid", "3", "--checkpoint", ck, "--data", dataDir, "--samples", "20", "--out", csv); code != 0 {
		t.Fatalf("scan2d csv: %s", stderr)
	}
	b, _ := os.ReadFile(csv)
	if n := strings.Count(string(b), "\n"); n != 10 {
		t.Fatalf("csv has %d lines, want header + 9", n)
	}
}

// basin sharpness: K directions, a table or JSON with each direction and
// the mean ± sd of widths and curvatures.
func TestSharpnessCommand(t *testing.T) {
	ck := filepath.Join("..", "..", "assets", "pretrained", "small.safetensors")
	code, stdout, stderr := run("sharpness", "--checkpoint", ck, "--directions", "2", "--samples", "50", "--points", "11", "--top", "2", "--per-layer", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Directions []struct {
			Seed      uint64
			Width     float64
			Curvature float64
		}
		Width   struct{ Mean, SD float64 }
		Centre  struct{ Loss, LossSE float64 }
		Epsilon []struct {
			Epsilon, Sharpness float64
		} `json:"epsilon_sharpness"`
		Hessian struct {
			Images int
			Top    []struct{ Value, Residual float64 }
			Bottom struct{ Value float64 }
			Trace  struct{ Value, SE float64 }
			Layers []struct {
				Layer string
				Value float64
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(res.Epsilon) != 2 || res.Epsilon[0].Epsilon != 1e-3 || !(res.Epsilon[0].Sharpness > res.Epsilon[1].Sharpness) {
		t.Fatalf("ε-sharpness %+v", res.Epsilon)
	}
	if len(res.Directions) != 2 || res.Directions[1].Seed != 2 || !(res.Directions[0].Curvature > 0) || !(res.Centre.LossSE > 0) {
		t.Fatalf("%+v", res)
	}
	h := res.Hessian
	if h.Images != 50 || len(h.Top) != 2 || !(h.Top[0].Value > h.Top[1].Value) || !(h.Top[1].Value > 0) || !(h.Bottom.Value < h.Top[1].Value) ||
		!(h.Trace.Value > h.Top[0].Value) || !(h.Trace.SE > 0) || len(h.Layers) != 4 || h.Layers[3].Layer != "fc2" {
		t.Fatalf("hessian %+v", h)
	}
	for _, l := range h.Layers { // a diagonal block's top eigenvalue cannot exceed the whole Hessian's
		if l.Value > h.Top[0].Value+h.Top[0].Residual {
			t.Errorf("λmax of %s %v above λ1 %v", l.Layer, l.Value, h.Top[0].Value)
		}
	}
	if mean := (res.Directions[0].Width + res.Directions[1].Width) / 2; math.Abs(mean-res.Width.Mean) > 1e-9 {
		t.Fatalf("width mean %v, directions average %v", res.Width.Mean, mean)
	}
	code, stdout, _ = run("sharpness", "--checkpoint", ck, "--directions", "2", "--samples", "50", "--points", "11")
	if code != 0 || !strings.Contains(stdout, "curvature") || !strings.Contains(stdout, "over 2 directions") ||
		!strings.Contains(stdout, "λ1 ") || !strings.Contains(stdout, "λmin ") || !strings.Contains(stdout, "Hutch++") {
		t.Fatalf("table: %d %s", code, stdout)
	}
	// The eigenvalue density: a line of the table and a figure.
	fig := filepath.Join(t.TempDir(), "density.png")
	code, stdout, stderr = run("sharpness", "--checkpoint", ck, "--directions", "1", "--samples", "30", "--points", "5", "--epsilon", "",
		"--trace=false", "--density", "2", "--density-steps", "12", "--density-out", fig)
	if b, err := os.ReadFile(fig); code != 0 || err != nil || !strings.HasPrefix(string(b), "\x89PNG") ||
		!strings.Contains(stdout, "stochastic Lanczos quadrature, 2 runs × 12 steps") {
		t.Fatalf("density: %d %v %s %s", code, err, stdout, stderr)
	}
	for _, c := range [][]string{{"--density-out", fig}, {"--density", "2", "--density-steps", "1"}, {"--density", "-1"}} {
		code, _, stderr := run(append([]string{"sharpness", "--checkpoint", ck}, c...)...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || !strings.Contains(stderr, "density") {
			t.Errorf("%v: exit %d, %q", c, code, stderr)
		}
	}
}

// basin compare A A: one file with four surfaces, a table whose ratios
// are all 1; bad input is one line.
func TestCompareCommand(t *testing.T) {
	ck := filepath.Join("..", "..", "assets", "pretrained", "small.safetensors")
	out := filepath.Join(t.TempDir(), "cmp.npz")
	code, stdout, stderr := run("compare", ck, ck, "--grid", "3", "--points", "5", "--samples", "30", "--directions", "2", "--epsilon", "1e-3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"test accuracy", "2D basin width along β", "curvature f''(0) over 2 directions", "ε-sharpness at ε=0.001", "Hessian λ1", "Hessian trace"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	for _, line := range strings.Split(stdout, "\n")[4:] {
		if strings.HasPrefix(line, "verdict: ") {
			if line != "verdict: neither is flatter: all 5 measures agree within their error bars" {
				t.Errorf("A against itself: %q", line)
			}
			continue
		}
		if f := strings.Fields(line); len(f) > 0 && f[len(f)-1] != "1" && f[len(f)-1] != "—" {
			t.Errorf("A against itself: %q", line)
		}
	}
	for _, part := range []string{"a/line", "b/plane"} {
		if _, err := surface.LoadPart(out, part); err != nil {
			t.Fatal(err)
		}
	}
	mlp := filepath.Join("..", "..", "assets", "pretrained", "mlp.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", ck, "--out", out}, "name two checkpoints"},
		{[]string{"compare", ck, ck}, "--out is required"},
		{[]string{"compare", ck, mlp, "--samples", "10", "--out", out}, "one architecture"},
		{[]string{"compare", ck, ck, "--epsilon", "x", "--out", out}, "--epsilon"},
	} {
		code, _, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// basin experiment batch-size on a tiny data set: two checkpoints, the
// comparison file and its table.
func TestBatchSizeExperimentCommand(t *testing.T) {
	dataDir := tinyData(t, 256, 64)
	out := filepath.Join(t.TempDir(), "exp")
	code, stdout, stderr := run("experiment", "batch-size", "--data", dataDir, "--batches", "16,128", "--max-epochs", "3",
		"--grid", "3", "--points", "5", "--samples", "30", "--directions", "1", "--epsilon", "1e-3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"batch-16.safetensors", "batch-128.safetensors", "compare.npz"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("no %s: %v", f, err)
		}
	}
	if !strings.Contains(stdout, "batch 16 (A)") || !strings.Contains(stdout, "ε-sharpness at ε=0.001") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"experiment", "batch-size", "--batches", "32", "--out", out}, "two batch sizes"},
		{[]string{"experiment", "batch-size", "--batch", "32", "--out", out}, "--batches"},
		{[]string{"experiment", "batch-size", "--batches", "32,2048"}, "--out is required"},
		{[]string{"experiment", "lr-sweep"}, "name the experiment"},
		{[]string{"experiment", "batch-size", "--alpha", "0.5:1", "--out", out}, "contain the centre"},
	} {
		code, _, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// basin experiment eos on a tiny subset: one checkpoint per learning rate,
// each with its λmax track, and the table; bad input is one line.
func TestEOSExperimentCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "eos")
	code, stdout, stderr := run("experiment", "eos", "--preset", "mlp", "--subset", "200", "--lrs", "0.1,2", "--steps", "4", "--track-every", "2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, lr := range []string{"0.1", "2"} {
		ck, err := checkpoint.Load(filepath.Join(out, "lr-"+lr+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		track, err := train.DecodeTrack(ck.Meta["sharpness_track"])
		if err != nil || len(track) != 3 || track[2].Step != 4 || ck.Meta["batch"] != "200" || ck.Meta["momentum"] != "0" {
			t.Fatalf("lr %s: track %+v (%v), meta %v", lr, track, err, ck.Meta)
		}
	}
	// lr 2: 2/η = 1, below the mlp's λmax from the start
	if !strings.Contains(stdout, "first ≥ 2/η") || !strings.Contains(stdout, "step 0") {
		t.Fatalf("table:\n%s", stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"experiment", "eos", "--out", out, "--lrs", "x"}, "--lrs"},
		{[]string{"experiment", "eos", "--out", out, "--subset", "0"}, "--subset"},
		{[]string{"experiment", "eos", "--lrs", "0.1"}, "--out is required"},
		{[]string{"experiment", "eos", "--out", out, "--optimizer", "adam"}, "use sgd"},
		{[]string{"train", "--track-sharpness", "-1", "--out", out}, "--track-sharpness"},
	} {
		code, _, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// basin interp A B: a 1D surface with both splits, a table with both ends
// and the barrier; bad input is one line.
func TestInterpCommand(t *testing.T) {
	small := filepath.Join("..", "..", "assets", "pretrained", "small.safetensors")
	dir := t.TempDir()
	other := filepath.Join(dir, "other.safetensors")
	if code, _, stderr := run("train", "--data", tinyData(t, 256, 64), "--out", other); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	out := filepath.Join(dir, "i.csv")
	code, stdout, stderr := run("interp", small, other, "--t", "0:1", "--points", "5", "--samples", "20", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "t=0 (A)") || !strings.Contains(stdout, "barrier (test)") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(b), "alpha,beta,loss,accuracy,loss_se,test_loss,test_accuracy,test_loss_se\n") || strings.Count(string(b), "\n") != 6 {
		t.Fatalf("csv %v:\n%s", err, b)
	}
	mlp := filepath.Join("..", "..", "assets", "pretrained", "mlp.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"interp", small, "--out", out}, "name two checkpoints"},
		{[]string{"interp", small, other}, "--out is required"},
		{[]string{"interp", small, other, "--t", "1:0", "--out", out}, "--t"},
		{[]string{"interp", small, mlp, "--samples", "10", "--out", out}, "one architecture"},
	} {
		code, _, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// basin trajectory: two runs from the same initial weights on their pooled
// PCA plane; the file holds the plane, both paths and the explained
// variance; the centre run ends at (0, 0) on the plane.
func TestTrajectoryCommand(t *testing.T) {
	dir := t.TempDir()
	data := tinyData(t, 256, 64)
	a, b := filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")
	for _, r := range []struct{ out, batch string }{{a, "16"}, {b, "64"}} {
		if code, _, stderr := run("train", "--data", data, "--preset", "mlp", "--batch", r.batch, "--snapshot-every", "2", "--out", r.out); code != 0 {
			t.Fatalf("train: %s", stderr)
		}
	}
	out := filepath.Join(dir, "traj.npz")
	code, stdout, stderr := run("trajectory", "--checkpoint", a, "--also", b, "--data", data, "--grid", "3", "--samples", "20", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Paths) != 2 || s.Meta.Kind != "trajectory" || len(s.Meta.Explained) != 2 || s.Meta.Explained[0]+s.Meta.Explained[1] > 1+1e-9 || !s.Meta.Complete {
		t.Fatalf("surface %+v", s.Meta)
	}
	pa := s.Paths[0]
	if n := len(pa.Steps); n != 9 || pa.Steps[n-1] != 16 || pa.X[n-1] != 0 || pa.Y[n-1] != 0 || pa.Off[n-1] != 0 {
		t.Fatalf("path A: %+v", pa)
	}
	if pb := s.Paths[1]; pb.X[0] != pa.X[0] || pb.Y[0] != pa.Y[0] { // one initialization
		t.Errorf("the runs start apart: A (%v, %v), B (%v, %v)", pa.X[0], pa.Y[0], pb.X[0], pb.Y[0])
	}
	if !strings.Contains(stdout, "explain") || !strings.Contains(stdout, "off plane") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	if s.Meta.CentreLoss <= 0 || s.Meta.Version == "" {
		t.Errorf("centre %v, version %q", s.Meta.CentreLoss, s.Meta.Version)
	}
	if _, info, _ := run("info", out); !strings.Contains(info, "plane      PCA") || !strings.Contains(info, "path 2") {
		t.Errorf("info:\n%s", info)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"trajectory", "--out", out}, "--checkpoint is required"},
		{[]string{"trajectory", "--checkpoint", a}, "--out is required"},
		{[]string{"trajectory", "--checkpoint", a, "--alpha", "2:1", "--out", out}, "--alpha"},
		{[]string{"trajectory", "--checkpoint", filepath.Join("..", "..", "assets", "pretrained", "small.safetensors"), "--out", out}, "trajectory"},
	} {
		code, _, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// basin merge: two of two parts make the whole scan; one of two is saved,
// says which shard's points are missing and exits 1, and --resume on it
// fills them in to the same bytes; parts that do not belong together are
// refused in one line.
func TestMergeCommand(t *testing.T) {
	small := filepath.Join("..", "..", "assets", "pretrained", "small.safetensors")
	mlpCk := filepath.Join("..", "..", "assets", "pretrained", "mlp.safetensors")
	dir := t.TempDir()
	flagsFor := func(ck string, extra ...string) []string {
		return append([]string{"scan2d", "--checkpoint", ck, "--grid", "5", "--samples", "20"}, extra...)
	}
	whole := filepath.Join(dir, "whole.npz")
	if code, _, stderr := run(flagsFor(small, "--out", whole)...); code != 0 {
		t.Fatal(stderr)
	}
	for _, i := range []string{"0", "1"} {
		if code, _, stderr := run(flagsFor(small, "--shard", i+"/2", "--out", filepath.Join(dir, "parts", "part-{shard}.npz"))...); code != 0 || !strings.Contains(stderr, "shard "+i+"/2 from --shard") {
			t.Fatalf("shard %s: %s", i, stderr)
		}
	}
	half := filepath.Join(dir, "half.npz")
	code, _, stderr := run("merge", filepath.Join(dir, "parts", "part-0.npz"), "--out", half)
	if code != 1 || !strings.Contains(stderr, "shard 1/2: ") || !strings.Contains(stderr, "--resume") {
		t.Fatalf("half merge: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(flagsFor(small, "--resume", "--out", half)...); code != 0 {
		t.Fatalf("resume: %s", stderr)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(half)
	if !bytes.Equal(a, b) {
		t.Fatal("the half merge resumed differs from the whole scan")
	}
	if code, _, stderr := run(flagsFor(mlpCk, "--shard", "1/2", "--out", filepath.Join(dir, "other-1.npz"))...); code != 0 {
		t.Fatal(stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", filepath.Join(dir, "parts", "part-0.npz"), filepath.Join(dir, "other-1.npz"), "--out", half}, "checkpoint"},
		{[]string{"merge", filepath.Join(dir, "parts", "part-0.npz"), filepath.Join(dir, "parts", "part-0.npz"), "--out", half}, "both computed"},
		{[]string{"merge", whole, "--out", half}, "not a shard's part"},
		{[]string{"merge", "--out", half}, "name the parts"},
		{[]string{"scan2d", "--checkpoint", small, "--shard", "2/2", "--out", half}, "--shard"},
	} {
		code, _, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// basin plot: a surface, a comparison and a sharpness track to figures;
// bad input in one line.
func TestPlotCommand(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join("..", "..", "assets", "pretrained", "small.safetensors")
	plane := filepath.Join(dir, "p.npz")
	if code, _, stderr := run("scan2d", "--checkpoint", small, "--grid", "5", "--samples", "20", "--out", plane); code != 0 {
		t.Fatal(stderr)
	}
	for _, out := range []string{"p.png", "p.svg", "p.pdf"} {
		if code, _, stderr := run("plot", plane, "--out", filepath.Join(dir, out)); code != 0 || !strings.Contains(stderr, "wrote") {
			t.Fatalf("%s: %s", out, stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", "--out", filepath.Join(dir, "x.png")}, "name the file"},
		{[]string{"plot", plane}, "--out is required"},
		{[]string{"plot", plane, "--out", filepath.Join(dir, "x.jpg")}, ".png, .svg or .pdf"},
		{[]string{"plot", plane, "--scale", "cubic", "--out", filepath.Join(dir, "x.png")}, "--scale"},
		{[]string{"plot", small, "--out", filepath.Join(dir, "x.png")}, "no sharpness track"},
	} {
		code, _, stderr := run(c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}
