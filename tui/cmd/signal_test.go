package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hangUp runs a command, sends this process SIGHUP once stderr shows
// want, and returns the exit status and stderr.
func hangUp(t *testing.T, want string, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Main(args, &stdout, &stderr) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stderr.String(), want) {
		select {
		case code := <-done:
			t.Fatalf("%v ended (exit %d) before %q: %s", args, code, want, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after 60 s: %s", want, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	select {
	case code := <-done:
		return code, stderr.String()
	case <-time.After(60 * time.Second):
		t.Fatalf("%v did not stop after SIGHUP", args)
	}
	return 0, ""
}

// An SSH session that drops (SIGHUP) ends a scan and a training run with
// status 129 and their work saved, as SIGTERM and Ctrl-C do.
func TestHangUpSavesWork(t *testing.T) {
	dataDir := tinyData(t, 256, 64)
	dir := t.TempDir()
	ck := filepath.Join(dir, "m.safetensors")
	code, stderr := hangUp(t, "epoch 1/1000:", "train", "--data", dataDir, "--batch", "32", "--epochs", "1000", "--out", ck)
	if code != 129 || !strings.Contains(stderr, "stopped by hangup") {
		t.Fatalf("train: exit %d, %s", code, stderr)
	}
	c, err := checkpoint.Load(ck)
	if err != nil || c.Meta["stopped_early"] != "true" {
		t.Fatalf("train after SIGHUP: %v, meta %v", err, c)
	}

	out := filepath.Join(dir, "s.npz")
	code, stderr = hangUp(t, "scan2d 1/", "scan2d", "--checkpoint", ck, "--data", dataDir, "--samples", "100",
		"--grid", "301", "--workers", "1", "--out", out)
	if code != 129 {
		t.Fatalf("scan2d: exit %d, %s", code, stderr)
	}
	s, err := surface.Load(out)
	if err != nil {
		t.Fatalf("scan2d after SIGHUP: %v (%s)", err, stderr)
	}
	if n := s.Computed(); n == 0 || n == s.Len() || s.Meta.Complete {
		t.Fatalf("saved %d of %d points", n, s.Len())
	}
}
