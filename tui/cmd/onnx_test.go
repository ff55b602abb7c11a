package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/onnx"
)

// An ONNX model opens in every command as a checkpoint does: normalised
// with the data's own statistics (said on stderr) unless --mean/--std
// give its own, which change the loss; a half-given normalization and an
// op basin has no layer for are one line and exit 2.
func TestCommandsOnONNX(t *testing.T) {
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Export(ck.Arch, ck.Params)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "small.onnx")
	if err := os.WriteFile(path, m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run("eval", "--checkpoint", path, "--samples", "200")
	if code != 0 || !strings.Contains(stderr, "normalised with the mean 0.1307 and std 0.3081 of the training images of mnist") {
		t.Fatalf("eval: %d %q", code, stderr)
	}
	code, given, stderr := run("eval", "--checkpoint", path, "--samples", "200", "--mean", "0.1307", "--std", "0.3081")
	if code != 0 || !strings.Contains(stderr, "the given mean 0.1307 and std 0.3081") {
		t.Fatalf("eval --mean --std: %d %q", code, stderr)
	}
	_, other, _ := run("eval", "--checkpoint", path, "--samples", "200", "--mean", "0.5", "--std", "0.5")
	// With the preset's own constants the model evaluates as the preset
	// does; other constants change its loss.
	_, preset, _ := run("eval", "--checkpoint", "pretrained:small", "--samples", "200")
	if loss := func(s string) string { return strings.Fields(s)[1] }; loss(given) != loss(preset) || loss(other) == loss(preset) {
		t.Errorf("losses: the preset's constants %s, 0.5/0.5 %s, the preset itself %s", loss(given), loss(other), loss(preset))
	}
	out := filepath.Join(dir, "line.npz")
	if code, _, stderr := run("scan1d", "--checkpoint", path, "--points", "3", "--samples", "50", "--out", out); code != 0 {
		t.Fatalf("scan1d: %d %s", code, stderr)
	}
	if code, stdout, _ := run("info", path); code != 0 || !strings.Contains(stdout, "onnx_producer    basin") {
		t.Errorf("info: %d %s", code, stdout)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--checkpoint", path, "--mean", "0.1"}, "give --mean and --std together"},
		{[]string{"eval", "--checkpoint", path, "--mean", "0.1,0.2", "--std", "0.3,0.3"}, "channels"},
	} {
		code, _, stderr := run(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, %q; want one line with %q", c.args, code, stderr, c.want)
		}
	}
	m.Graph.Nodes[1].Op = "Tanh"
	bad := filepath.Join(dir, "tanh.onnx")
	if err := os.WriteFile(bad, m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run("scan2d", "--checkpoint", bad, "--out", filepath.Join(dir, "p.npz"))
	if code != 2 || !strings.Contains(stderr, "basin has no layer for op Tanh") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("Tanh: exit %d, %q", code, stderr)
	}
}
