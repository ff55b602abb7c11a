package app

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
)

// The app's flags are the CLI's: --grid NxM works, bad input is one line.
func TestAppFlags(t *testing.T) {
	o, err := ParseFlags([]string{"--grid", "41x21", "--direction-seed", "5", "--seed", "2"}, &bytes.Buffer{}, noEnv)
	if err != nil || o.Alpha.N != 41 || o.Beta.N != 21 || o.Direction.Seed != 5 || o.Train.Seed != 2 {
		t.Fatalf("%+v %v", o, err)
	}
	for _, args := range [][]string{{"--bogus"}, {"--lr", "NaN"}, {"--alpha", "-1e308:1e308"}, {"--workers", "1000"}, {"--grid", "1"}} {
		var out bytes.Buffer
		_, err := ParseFlags(args, &out, noEnv)
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
			p.restart(true)
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
	pool := m.eng.Pool(ck.Arch, o.Workers)
	if pool.Idle() > o.Workers {
		t.Errorf("%d idle evaluators, more than a scan's workers", pool.Idle())
	}
	m.eng.Shutdown()
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// pump feeds the engine's events to the model until done holds.
func pump(t *testing.T, m *Model, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("timed out pumping engine events")
		}
		msg := m.nextEvents()()
		m.Update(msg)
	}
}

// A key in one view pauses the other view's scan; the paused scan goes on
// from the points it has, into the same file, once the first is done.
func TestOtherViewsScanPausesAndResumes(t *testing.T) {
	o := testOptions(t)
	o.Alpha.N, o.Beta.N, o.Workers, o.Samples = 21, 21, 1, 64
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, tiny, os.Stdout)
	defer m.eng.Shutdown()
	line, plane := find[*lineView](m), find[*planeView](m)
	plane.restart(false)
	pump(t, m, func() bool { return plane.cur != nil && plane.cur.Computed() >= 20 })
	show[*lineView](m)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")}) // a new direction: the line rescans first
	if !plane.paused || !line.running {
		t.Fatalf("plane paused %v, line running %v", plane.paused, line.running)
	}
	if !strings.Contains(m.activity(), "2D waiting") {
		t.Errorf("status: %q", m.activity())
	}
	pump(t, m, func() bool { return !line.running && !plane.running })
	if plane.already < 20 {
		t.Fatalf("the resumed scan began with %d points, not the 20+ it had", plane.already)
	}
	if plane.paused || plane.cur == nil || plane.cur.Computed() != plane.cur.Len() {
		t.Fatalf("plane after resuming: paused %v, %v", plane.paused, plane.cur)
	}
	files, _ := filepath.Glob(filepath.Join(m.eng.RunDir(), "scan2d-*.npz"))
	if len(files) != 1 || plane.file != files[0] {
		t.Fatalf("plane files %v, view says %q", files, plane.file)
	}
	s, err := surface.Load(files[0])
	if err != nil || !s.Meta.Complete {
		t.Fatalf("saved plane: %v %+v", err, s)
	}
}

// Quick moves leave no file each (a replaced scan that never saved is
// dropped), but quitting saves every scan's points, a paused one's too.
func TestReplacedScansAreDroppedQuitSavesAll(t *testing.T) {
	o := testOptions(t)
	o.Alpha.N, o.Beta.N, o.Workers, o.Samples = 21, 21, 1, 64
	ck, err := checkpoint.Pretrained("small")
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, tiny, os.Stdout)
	line, plane := find[*lineView](m), find[*planeView](m)
	plane.restart(false)
	pump(t, m, func() bool { return plane.cur != nil && plane.cur.Computed() >= 5 })
	for i := 0; i < 5; i++ { // five quick zooms, each replacing the last
		plane.restart(true)
		pump(t, m, func() bool { return plane.cur != nil && plane.cur.Computed() >= 2 })
	}
	pump(t, m, func() bool { return plane.cur != nil && plane.cur.Computed() >= 20 })
	line.restart(true) // pauses the plane with its points
	if !plane.paused {
		t.Fatal("the plane's scan was not paused")
	}
	// The paused job ends unsaved (replaced, and it never saved); its
	// points wait in the resume job queued behind the line's scan.
	pump(t, m, func() bool { return !plane.paused && plane.running })
	m.eng.Shutdown() // quit now, before the plane resumes
	files, _ := filepath.Glob(filepath.Join(m.eng.RunDir(), "scan2d-*.npz"))
	if len(files) != 1 {
		t.Fatalf("files %v: want only the paused scan's", files)
	}
	s, err := surface.Load(files[0])
	if err != nil || s.Computed() < 20 {
		t.Fatalf("the paused scan saved %v points (%v)", s, err)
	}
}
