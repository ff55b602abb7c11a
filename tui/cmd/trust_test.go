package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
)

// runWithin runs a command and fails the test if it has not returned
// within d: a reader that waits on a FIFO would hang the suite instead.
func runWithin(t *testing.T, d time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		c, o, e := run(args...)
		done <- result{c, o, e}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(d):
		t.Fatalf("%v did not return within %s", args, d)
	}
	return
}

// shippedModel writes the shipped small model into dir.
func shippedModel(t *testing.T, dir string) string {
	t.Helper()
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "small.safetensors")
	if err := checkpoint.Save(p, ck.Arch, ck.Params, ck.Meta); err != nil {
		t.Fatal(err)
	}
	return p
}

// A FIFO where basin reads a file hung it forever: every reader refuses
// anything that is not a regular file before it reads.
func TestFIFOInputsAreRefused(t *testing.T) {
	dir := t.TempDir()
	ck := shippedModel(t, dir)
	fifo := filepath.Join(dir, "model.safetensors")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	dataDir := t.TempDir()
	for _, n := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		syscall.Mkfifo(filepath.Join(dataDir, n), 0o600)
	}
	for _, args := range [][]string{
		{"info", fifo},
		{"eval", "--checkpoint", fifo},
		{"scan1d", "--checkpoint", fifo, "--out", filepath.Join(dir, "s.npz")},
		{"plot", fifo, "--out", filepath.Join(dir, "p.png")},
		{"eval", "--checkpoint", ck, "--data", dataDir},
	} {
		code, _, stderr := runWithin(t, 20*time.Second, args...)
		if code != ExitUsage || !strings.Contains(stderr, "not a regular file") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line saying it is not a regular file", args, code, stderr)
		}
	}
}

// --out naming a FIFO with no reader is refused before any work, and the
// FIFO stays one (atomic writes used to rename a regular file over it).
func TestOutputToSpecialFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "out.npz")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	code, _, stderr := runWithin(t, 20*time.Second, "scan1d", "--checkpoint", shippedModel(t, dir), "--points", "3", "--samples", "50", "--out", fifo)
	if code != ExitUsage || !strings.Contains(stderr, "no reader") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming the pipe with no reader", code, stderr)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO became %v", st.Mode())
	}
}

// nanModel writes the shipped small model with one weight NaN: every
// loss it gives is NaN.
func nanModel(t *testing.T, dir string) string {
	t.Helper()
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	ck.Params[0].Data[0] = float32(math.NaN())
	p := filepath.Join(dir, "nan.safetensors")
	if err := checkpoint.Save(p, ck.Arch, ck.Params, ck.Meta); err != nil {
		t.Fatal(err)
	}
	return p
}

// A model whose centre is NaN scanned every point, then failed to save
// (json: unsupported value: NaN); sharpness --format json too. Now the
// files are written (null in JSON, NaN read back), and plot and info
// describe a surface with no finite point instead of panicking.
func TestNaNModelIsWrittenAndShown(t *testing.T) {
	dir := t.TempDir()
	ck := nanModel(t, dir)
	for _, out := range []string{"s.npz", "s.json"} {
		code, _, stderr := run("scan1d", "--checkpoint", ck, "--points", "3", "--samples", "20", "--out", filepath.Join(dir, out))
		if code != ExitOK {
			t.Fatalf("scan1d --out %s: exit %d: %s", out, code, stderr)
		}
	}
	s, err := surface.Load(filepath.Join(dir, "s.npz"))
	if err != nil || !math.IsNaN(s.Meta.CentreLoss) {
		t.Fatalf("load: %v; centre loss %v, want NaN", err, s.Meta.CentreLoss)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "s.json")); !json.Valid(b) || !strings.Contains(string(b), `"centre_loss": null`) {
		t.Fatalf("the JSON surface: %.300s", b)
	}
	code, stdout, stderr := run("sharpness", "--checkpoint", ck, "--directions", "1", "--points", "5", "--samples", "20", "--top", "0", "--format", "json")
	if code != ExitOK || !json.Valid([]byte(stdout)) {
		t.Fatalf("sharpness --format json: exit %d, stdout %.200q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := run("info", filepath.Join(dir, "s.npz")); code != ExitOK {
		t.Fatalf("info: exit %d: %s", code, stderr)
	}
	code, _, stderr = run("plot", filepath.Join(dir, "s.npz"), "--out", filepath.Join(dir, "s.png"))
	if code == ExitOK || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no finite") {
		t.Fatalf("plot of a surface with no finite point: exit %d, stderr %q; want one line saying so", code, stderr)
	}
}

// Ctrl-C at step 0 of basin train replaced an existing checkpoint with
// random weights; now it keeps the file and says nothing was saved.
func TestTrainStoppedAtStepZeroKeepsTheCheckpoint(t *testing.T) {
	dir := t.TempDir()
	out := shippedModel(t, dir)
	before, _ := os.ReadFile(out)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err := runTrain(ctx, []string{"--data", tinyData(t, 64, 32), "--out", out}, &stdout, &stderr)
	if !errors.Is(err, context.Canceled) || !strings.Contains(stderr.String(), "nothing was saved") {
		t.Fatalf("err %v, stderr %q", err, stderr.String())
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Fatal("the checkpoint was replaced")
	}
}

// merge trusted the shard numbers in files: count 0 looped until out of
// memory, index −1 panicked, 5/2 was accepted; and --out equal to a part
// overwrote that part when the merge failed.
func TestMergeValidatesParts(t *testing.T) {
	dir := t.TempDir()
	ck := shippedModel(t, dir)
	part := filepath.Join(dir, "part-0.npz")
	if code, _, stderr := run("scan2d", "--checkpoint", ck, "--grid", "3", "--samples", "10", "--shard", "0/2", "--out", part); code != 0 {
		t.Fatal(stderr)
	}
	for _, sh := range []surface.Shard{{I: 0, N: 0}, {I: -1, N: 2}, {I: 5, N: 2}} {
		s, err := surface.LoadWithDirections(part)
		if err != nil {
			t.Fatal(err)
		}
		s.Meta.Shard = &sh
		bad := filepath.Join(dir, fmt.Sprintf("bad-%d-%d.npz", sh.I, sh.N))
		if err := surface.Save(bad, surface.NPZ, s); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"merge", bad, "--out", filepath.Join(dir, "m.npz")},
			{"merge", bad, "--wait", "2s", "--out", filepath.Join(dir, "m.npz")},
			{"info", bad},
		} {
			code, _, stderr := runWithin(t, 20*time.Second, args...)
			if code != ExitUsage || !strings.Contains(stderr, "shard") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("shard %d/%d, %v: exit %d, stderr %q", sh.I, sh.N, args, code, stderr)
			}
		}
	}
	before, _ := os.ReadFile(part)
	for _, args := range [][]string{
		{"merge", part, "--out", part},
		{"merge", filepath.Join(dir, "part-*.npz"), "--out", part},
		{"merge", part, "--out", "./" + part},
		{"merge", part, "--shards", "-1", "--wait", "1s", "--out", filepath.Join(dir, "m.npz")},
	} {
		code, _, stderr := runWithin(t, 20*time.Second, args...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if after, _ := os.ReadFile(part); !bytes.Equal(before, after) {
		t.Fatal("the part was overwritten")
	}
}

// A file name or checkpoint metadata holding an escape sequence set the
// client's window title through basin info: untrusted text is shown with
// its control characters as escapes.
func TestInfoShowsUntrustedTextInert(t *testing.T) {
	dir := t.TempDir()
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	ck.Meta["note"] = "\x1b]0;pwned\x07\x1b[2J"
	path := filepath.Join(dir, "evil\x1b]0;title\x07.safetensors")
	if err := checkpoint.Save(path, ck.Arch, ck.Params, ck.Meta); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("info", path)
	if code != ExitOK || strings.ContainsAny(stdout+stderr, "\x1b\x07") || !strings.Contains(stdout, `\x1b]0;pwned\x07`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = run("eval", "--checkpoint", filepath.Join(dir, "missing\x1b[31m.safetensors"))
	if code == ExitOK || strings.ContainsAny(stderr, "\x1b") {
		t.Fatalf("an error naming the file: exit %d, stderr %q", code, stderr)
	}
}
