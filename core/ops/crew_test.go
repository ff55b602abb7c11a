package ops

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// forEachOn calls f once for every index, each on the worker whose
// contiguous share holds it, whether the crew runs it, another caller
// holds the crew (goroutines of its own), it is called from inside a
// job, or the helpers fell asleep between calls.
func TestForEachCoversEveryIndexOnce(t *testing.T) {
	check := func(w, n int) {
		t.Helper()
		counts := make([]atomic.Int32, n)
		var bad atomic.Int32
		chunk := (n + w - 1) / w
		forEachOn(w, n, func(k, i int) {
			counts[i].Add(1)
			if k != i/chunk {
				bad.Add(1)
			}
		})
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Errorf("w=%d n=%d: index %d ran %d times", w, n, i, c)
				return
			}
		}
		if bad.Load() != 0 {
			t.Errorf("w=%d n=%d: %d indices on the wrong worker", w, n, bad.Load())
		}
	}
	for _, w := range []int{2, 3, 4} {
		for _, n := range []int{1, 2, 3, 5, 64, 101} {
			check(w, n)
		}
	}
	time.Sleep(3 * idleSpin) // the helpers sleep: the next job wakes them
	check(2, 64)
	var wg sync.WaitGroup // callers at once: one has the crew, the rest fall back
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 50; r++ {
				check(2, 37)
			}
		}()
	}
	wg.Wait()
	var nested atomic.Int32 // a job that splits its own work
	forEachOn(2, 4, func(_, _ int) {
		forEachOn(2, 8, func(_, _ int) { nested.Add(1) })
	})
	if nested.Load() != 32 {
		t.Fatalf("nested: %d calls, want 32", nested.Load())
	}
}
