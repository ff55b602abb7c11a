package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/tui/jobs"
)

// Under basin serve a session reads only inside the run folders: a
// symbolic link to a secret was read (its bytes leaked in an error as a
// "header length"); now it is neither listed nor read, and neither is a
// FIFO (which hung the session and leaked its slot).
func TestServeSessionsStayInTheRunFolders(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.safetensors")
	os.WriteFile(secret, []byte("\x10\x00\x00\x00\x00\x00\x00\x00TOP-SECRET-BYTES"), 0o600)
	runs := t.TempDir()
	run := filepath.Join(runs, "20260101-000000-small")
	os.MkdirAll(run, 0o755)
	ck, _ := checkpoint.Pretrained("small")
	good := filepath.Join(run, "model.safetensors")
	if err := checkpoint.Save(good, ck.Arch, ck.Params, ck.Meta); err != nil {
		t.Fatal(err)
	}
	leak := filepath.Join(run, "leak.safetensors")
	os.Symlink(secret, leak)
	fifo := filepath.Join(run, "fifo.safetensors")
	syscall.Mkfifo(fifo, 0o600)
	scratch := t.TempDir()
	a := jobs.Confined(runs, scratch)
	defer a.Close()

	if _, err := a.Checkpoint(good); err != nil {
		t.Fatalf("a checkpoint in the run folders: %v", err)
	}
	for _, p := range []string{leak, fifo, secret, filepath.Join(run, "..", "..", filepath.Base(secret))} {
		done := make(chan error, 1)
		go func() { _, err := a.Checkpoint(p); done <- err }()
		select {
		case err := <-done:
			if err == nil || strings.Contains(err.Error(), "TOP-SECRET") || strings.Contains(err.Error(), "header") {
				t.Errorf("%s: %v", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the read waited", p)
		}
	}
	got := a.Filter([]string{good, leak, fifo, "pretrained:small"})
	if strings.Join(got, ",") != good+",pretrained:small" {
		t.Fatalf("listed %v", got)
	}

	// The same through the app's M list, as a session sees it.
	o := testOptions(t)
	o.ViewRuns = runs
	m := newModel(o, ck, tiny, os.Stdout)
	m.eng.Files = a
	defer m.eng.Shutdown()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("M")})
	if out := m.View(); !strings.Contains(out, "model.safetensors") || strings.Contains(out, "leak") || strings.Contains(out, "fifo") {
		t.Fatalf("the M list:\n%s", out)
	}
}

// A file name with an escape sequence in it is shown inert in the app.
func TestAppShowsFileNamesInert(t *testing.T) {
	o := testOptions(t)
	run := filepath.Join(o.RunsDir, "20260101-000000-small")
	os.MkdirAll(run, 0o755)
	ck, _ := checkpoint.Pretrained("small")
	evil := filepath.Join(run, "x\x1b]0;pwned\x07\x1b[2J.safetensors")
	if err := checkpoint.Save(evil, ck.Arch, ck.Params, ck.Meta); err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("M")})
	out := m.View()
	if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `x\x1b]0;pwned\x07`) {
		t.Fatalf("the M list: %q", out)
	}
}

// The models list offers the ONNX files in the run folders and those
// beside the model on screen when it lives elsewhere, with the
// checkpoints, and never the model on screen itself.
func TestModelsListHasONNXFiles(t *testing.T) {
	runs, elsewhere := t.TempDir(), t.TempDir()
	files := []string{
		filepath.Join(runs, "20261207-010101-small", "model.safetensors"),
		filepath.Join(runs, "net.onnx"),
		filepath.Join(runs, "20261207-010101-small", "exported.onnx"),
		filepath.Join(elsewhere, "mine.onnx"),
		filepath.Join(elsewhere, "other.onnx"),
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := candidates(runs, "small", files[3])
	for _, want := range []string{files[0], files[1], files[2], files[4], "pretrained:small"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s is not offered: %v", want, got)
		}
	}
	if slices.Contains(got, files[3]) {
		t.Errorf("the model on screen is offered: %v", got)
	}
	// A model inside the run folders adds nothing beside it twice.
	if got := candidates(runs, "small", files[0]); len(got) != 3 {
		t.Errorf("from inside the runs: %v", got)
	}
}
