package tui

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
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
	a, b := newEngine(parent, "small"), newEngine(parent, "small")
	pa, _ := a.path("scan2d", ".npz", true)
	pb, _ := b.path("scan2d", ".npz", true)
	if filepath.Dir(pa) == filepath.Dir(pb) {
		t.Fatalf("two engines share %s", filepath.Dir(pa))
	}
}

// The app's flags are the CLI's: --grid NxM works, bad input is one line.
func TestAppFlags(t *testing.T) {
	o, err := ParseFlags([]string{"--grid", "41x21", "--direction-seed", "5", "--seed", "2"}, &bytes.Buffer{})
	if err != nil || o.Alpha.N != 41 || o.Beta.N != 21 || o.Direction.Seed != 5 || o.Train.Seed != 2 {
		t.Fatalf("%+v %v", o, err)
	}
	for _, args := range [][]string{{"--bogus"}, {"--lr", "NaN"}, {"--alpha", "-1e308:1e308"}, {"--workers", "1000"}, {"--grid", "1"}} {
		var out bytes.Buffer
		_, err := ParseFlags(args, &out)
		if err == nil || strings.Contains(err.Error(), "\n") || out.Len() > 0 {
			t.Errorf("%v: %v, printed %q", args, err, out.String())
		}
	}
}

// Re-scanning again and again (every zoom, pan and key) reuses the
// evaluators and leaves no goroutine behind: the leak that took a long
// session to gigabytes.
func TestRescansDoNotLeak(t *testing.T) {
	o := testOptions(t)
	o.Alpha.N, o.Beta.N = 9, 9
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, tiny, os.Stdout)
	p := find[*planeView](m)
	rescans := func(n int) {
		for i := 0; i < n; i++ {
			p.restart()
			time.Sleep(time.Duration(i%3) * 5 * time.Millisecond) // cancelled at every stage
		}
		<-p.over
	}
	rescans(5)
	runtime.GC()
	goroutines, heap := runtime.NumGoroutine(), heapInUse()
	rescans(40)
	runtime.GC()
	if g := runtime.NumGoroutine(); g > goroutines+2 {
		t.Errorf("%d goroutines after 5 re-scans, %d after 45", goroutines, g)
	}
	if h := heapInUse(); h > heap+16<<20 {
		t.Errorf("heap grew from %d MB to %d MB over 40 re-scans", heap>>20, h>>20)
	}
	pool := m.eng.pool(ck.Arch, o.Workers)
	if pool.Idle() > o.Workers {
		t.Errorf("%d idle evaluators, more than a scan's workers", pool.Idle())
	}
	m.eng.shutdown()
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
