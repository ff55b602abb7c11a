package scan

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/surface"
)

var source *data.Source

func fixture(t *testing.T, twoD bool, n int) (Job, *surface.Surface) {
	t.Helper()
	if source == nil {
		src, err := data.LoadEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		source = src
	}
	arch, _ := model.Preset("small")
	ck := &checkpoint.Checkpoint{Path: "test", Arch: arch, Params: arch.Init(4), SHA256: "x"}
	st := Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: n}, Direction: direction.Spec{Seed: 1, Norm: direction.Filter},
		SampleSeed: 1, Split: data.Train, Samples: 40}
	if twoD {
		st.Beta = surface.Axis{Min: -0.5, Max: 0.5, N: n}
	}
	job, s, err := Prepare(ck, source, st)
	if err != nil {
		t.Fatal(err)
	}
	return job, s
}

func TestOrderCoarseToFine(t *testing.T) {
	for _, dims := range [][2]int{{21, 21}, {41, 21}, {51, 1}, {2, 2}, {3, 7}} {
		nx, ny := dims[0], dims[1]
		o := Order(nx, ny)
		seen := map[int]bool{}
		for _, k := range o {
			if seen[k] || k < 0 || k >= nx*ny {
				t.Fatalf("%v: index %d repeated or out of range", dims, k)
			}
			seen[k] = true
		}
		if len(o) != nx*ny {
			t.Fatalf("%v: %d points, want %d", dims, len(o), nx*ny)
		}
		// The four corners come before any point next to one.
		first := map[int]int{}
		for pos, k := range o {
			first[k] = pos
		}
		corner := first[(nx-1)*ny+ny-1]
		if nx > 4 && corner > first[1*ny+1] {
			t.Fatalf("%v: far corner at position %d, after the fine point (1,1)", dims, corner)
		}
	}
}

// The centre of a scan is a plain evaluation of θ* on the same images, and
// θ* is left untouched.
func TestCentreEqualsEvaluation(t *testing.T) {
	job, s := fixture(t, true, 5)
	before := job.Theta.Clone()
	if err := Run(context.Background(), job, s, nil); err != nil {
		t.Fatal(err)
	}
	want, err := model.NewEvaluator(job.Arch, before.Clone()).Evaluate(job.Eval)
	if err != nil {
		t.Fatal(err)
	}
	centre := 2*5 + 2
	if a, b := s.Coord(centre); a != 0 || b != 0 {
		t.Fatalf("point %d is (%g,%g), not the centre", centre, a, b)
	}
	if rel := math.Abs(s.Loss[centre]-want.Loss) / want.Loss; rel > 1e-6 {
		t.Fatalf("centre loss %g, evaluation %g (rel %g)", s.Loss[centre], want.Loss, rel)
	}
	if se := s.LossSE[centre]; !(se > 0) || math.Abs(se-want.LossSE) > 1e-6*want.LossSE {
		t.Fatalf("centre standard error %g, evaluation %g", se, want.LossSE)
	}
	c, err := Centre(job)
	if err != nil || c != want {
		t.Fatalf("Centre = %+v, %v; want %+v", c, err, want)
	}
	for i := range before {
		for j, v := range before[i].Data {
			if job.Theta[i].Data[j] != v {
				t.Fatalf("scan modified θ* at %s[%d]", before[i].Name, j)
			}
		}
	}
	if s.Loss[0] == s.Loss[centre] {
		t.Fatal("corner and centre have the same loss: the directions do not move the weights")
	}
}

// The same points with one worker or three, and with the workers niced.
func TestDeterministicAcrossWorkers(t *testing.T) {
	var ref []float64
	for _, w := range []int{1, 3, -3} {
		job, s := fixture(t, true, 4)
		job.Workers = w
		if w < 0 {
			job.Workers, job.Nice = -w, 10
		}
		if err := Run(context.Background(), job, s, nil); err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = s.Loss
			continue
		}
		for k := range ref {
			if ref[k] != s.Loss[k] {
				t.Fatalf("workers=%d: point %d is %v, with 1 worker %v", w, k, s.Loss[k], ref[k])
			}
		}
	}
}

// Run computes only the missing points and leaves the others alone.
func TestRunFillsOnlyGaps(t *testing.T) {
	job, s := fixture(t, false, 9)
	for _, k := range []int{0, 3, 8} {
		s.Set(k, -7, -7)
	}
	var events []int
	err := Run(context.Background(), job, s, func(e progress.Event) {
		events = append(events, e.(progress.Point).Index)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 6 {
		t.Fatalf("computed %d points, want the 6 missing", len(events))
	}
	for _, k := range events {
		if k == 0 || k == 3 || k == 8 {
			t.Fatalf("recomputed point %d", k)
		}
	}
	if s.Loss[3] != -7 || s.Computed() != 9 {
		t.Fatalf("existing point overwritten or gaps left: %v", s.Loss)
	}
}

func TestCancelKeepsPartialSurface(t *testing.T) {
	job, s := fixture(t, true, 5)
	job.Workers = 1
	ctx, cancel := context.WithCancel(context.Background())
	err := Run(ctx, job, s, func(e progress.Event) {
		if e.(progress.Point).Done == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n := s.Computed(); n < 3 || n == s.Len() {
		t.Fatalf("%d points computed after cancelling at 3", n)
	}
	for k, d := range s.Done {
		if !d && !math.IsNaN(s.Loss[k]) {
			t.Fatalf("missing point %d is %v, want NaN", k, s.Loss[k])
		}
	}
}

// The fast ops and gorgonia's stock ops give the same surface.
func TestFastScanMatchesStock(t *testing.T) {
	var surfaces [][]float64
	for _, impl := range []model.Ops{model.FastOps, model.StockOps} {
		old := model.DefaultOps
		model.DefaultOps = impl
		job, s := fixture(t, true, 3)
		err := Run(context.Background(), job, s, nil)
		model.DefaultOps = old
		if err != nil {
			t.Fatal(err)
		}
		surfaces = append(surfaces, s.Loss)
	}
	for k := range surfaces[0] {
		a, b := surfaces[0][k], surfaces[1][k]
		if math.Abs(a-b) > 1e-4*math.Abs(b) {
			t.Fatalf("point %d: fast %v, stock %v", k, a, b)
		}
	}
}

// Cancelled scans leave no goroutine behind: Run waits for its feeder and
// workers, whichever point they were at.
func TestCancelledScansLeaveNoGoroutines(t *testing.T) {
	job, _ := fixture(t, true, 9)
	job.Pool = model.NewPool(job.Arch, 3)
	defer job.Pool.Close()
	before := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		_, s := fixture(t, true, 9)
		job.Workers = 1 + i%3
		ctx, cancel := context.WithCancel(context.Background())
		stopAt := 1 + i%4
		err := Run(ctx, job, s, func(e progress.Event) {
			if e.(progress.Point).Done == stopAt {
				cancel()
			}
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("scan %d: %v, want context.Canceled", i, err)
		}
	}
	// A helper goroutine that has signalled it is done may still be on its
	// way out (runtime.goexit): give stragglers a moment, not a leak a pass.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before 50 cancelled scans, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	if job.Pool.Idle() != 3 {
		t.Fatalf("%d evaluators back in the pool, want 3 (no more are built than workers)", job.Pool.Idle())
	}
}

// A session saves where Out says, when it ends, and stops at once when a
// periodic save fails instead of computing what it cannot keep.
func TestSessionSavesAndStopsOnSaveFailure(t *testing.T) {
	arch, _ := model.Preset("small")
	ck := &checkpoint.Checkpoint{Path: "test", Arch: arch, Params: arch.Init(4), SHA256: "x"}
	if source == nil {
		fixture(t, false, 3)
	}
	st := Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: 9}, Beta: surface.Axis{Min: -1, Max: 1, N: 9},
		Direction: direction.Spec{Seed: 1, Norm: direction.Filter}, SampleSeed: 1, Split: data.Train, Samples: 20, Workers: 1}

	dir := t.TempDir()
	ss, err := NewSession(ck, source, st)
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	ss.Out = func() (string, error) { asked++; return filepath.Join(dir, "s.npz"), nil }
	var centre []progress.Centre
	err = ss.Run(context.Background(), func(e progress.Event) {
		if c, ok := e.(progress.Centre); ok {
			centre = append(centre, c)
		}
	})
	if err != nil || asked != 1 || ss.File() == "" {
		t.Fatalf("run: %v, Out asked %d times, file %q", err, asked, ss.File())
	}
	saved, err := surface.Load(ss.File())
	if err != nil || !saved.Meta.Complete || len(centre) != 1 || saved.Meta.CentreLoss != centre[0].Loss {
		t.Fatalf("saved %v %+v, centre events %v", err, saved, centre)
	}

	ss, _ = NewSession(ck, source, st)
	ss.SaveEvery = time.Nanosecond
	ss.Out = func() (string, error) { return filepath.Join(dir, "gone", "s.npz"), nil }
	points := 0
	err = ss.Run(context.Background(), func(e progress.Event) {
		if _, ok := e.(progress.Point); ok {
			points++
		}
	})
	if err == nil || !strings.Contains(err.Error(), "periodic save failed") {
		t.Fatalf("unwritable output: %v", err)
	}
	if points > 3 || ss.Surface.Computed() > 3 {
		t.Fatalf("computed on after the save failed: %d points reported, %d computed", points, ss.Surface.Computed())
	}
}
