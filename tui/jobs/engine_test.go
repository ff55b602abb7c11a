package jobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/surface"
)

// Two sessions started in the same second get folders of their own.
func TestRunFoldersAreUnique(t *testing.T) {
	parent := t.TempDir()
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		dir, err := newRunDir(parent, "20260101-120000-small")
		if err != nil || seen[dir] {
			t.Fatalf("run %d: %q %v", i, dir, err)
		}
		seen[dir] = true
	}
	a, b := NewEngine(parent, "small"), NewEngine(parent, "small")
	pa, _ := a.Path("scan2d", ".npz", true)
	pb, _ := b.Path("scan2d", ".npz", true)
	if filepath.Dir(pa) == filepath.Dir(pb) {
		t.Fatalf("two engines share %s", filepath.Dir(pa))
	}
}

// A watched file that is gone is told once, not every second; when it is
// back, it is loaded.
func TestWatchAFileGoneAndBack(t *testing.T) {
	e := NewEngine(t.TempDir(), "")
	e.WatchEvery = 5 * time.Millisecond
	defer e.Shutdown()
	path := filepath.Join(t.TempDir(), "gone.npz")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.WatchFile(ctx, 1, path)
	var told []WatchLoaded
	take := func() {
		e.box.mu.Lock()
		for _, ev := range e.box.events {
			told = append(told, ev.(WatchLoaded))
		}
		e.box.events = nil
		e.box.mu.Unlock()
	}
	// until the first event, then over many more checks
	for deadline := time.Now().Add(10 * time.Second); len(told) == 0 && time.Now().Before(deadline); {
		take()
	}
	time.Sleep(20 * e.WatchEvery) // twenty more checks: nothing new to tell
	take()
	if len(told) != 1 || told[0].Err == nil {
		t.Fatalf("a missing file over three checks: %d events %+v, want its error once", len(told), told)
	}
	s := surface.New(surface.Axis{Min: -1, Max: 1, N: 3}, surface.Axis{})
	s.Meta = surface.Meta{Kind: "1d", Checkpoint: "m", Preset: "small", Norm: "filter", Seed: 1, Split: "train", Samples: 10, Alpha: s.Alpha}
	s.Set(0, 1, 0.5)
	if err := surface.Save(path, surface.NPZ, s); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(told) < 2 && time.Now().Before(deadline); {
		take()
	}
	if len(told) != 2 || told[1].Surface == nil || told[1].Err != nil {
		t.Fatalf("after the file came back: %+v (%v)", told[1:], told[len(told)-1].Err)
	}
}

// A wake-up whose events the call before it took already does not end
// the stream: Wait returns nil only once the engine is shut down (the
// app stopped drawing when it did).
func TestWaitReturnsEventsUntilShutdown(t *testing.T) {
	e := NewEngine(t.TempDir(), "")
	e.box.send(1)
	e.box.send(2) // two sends, one wake-up left over
	if got := e.Wait(); len(got) != 2 {
		t.Fatalf("first wait: %v", got)
	}
	go func() { time.Sleep(10 * time.Millisecond); e.box.send(3) }()
	if got := e.Wait(); len(got) != 1 || got[0] != 3 {
		t.Fatalf("after a leftover wake-up: %v, want [3]", got)
	}
	e.Shutdown()
	if got := e.Wait(); got != nil {
		t.Fatalf("after shutdown: %v", got)
	}
}
