package cmd

import (
	"os"
	"syscall"
	"testing"
	"time"
)

type quitter chan struct{}

func (q quitter) Quit() { close(q) }

// SIGHUP (the SSH connection dropped) quits the app the way q does, so
// the engine saves; without this Go's default would kill the process.
func TestHangUpQuitsTheApp(t *testing.T) {
	q := make(quitter)
	stop := quitOnSignals(q)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	select {
	case <-q:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not quit the app")
	}
	if sig := stop(); sig != syscall.SIGHUP {
		t.Fatalf("stop reports %v, want SIGHUP", sig)
	}
}

func TestNoSignalNoQuit(t *testing.T) {
	q := make(quitter)
	if sig := quitOnSignals(q)(); sig != nil {
		t.Fatalf("no signal sent, got %v", sig)
	}
	select {
	case <-q:
		t.Fatal("quit without a signal")
	default:
	}
}
