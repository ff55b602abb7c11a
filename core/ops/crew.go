package ops

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A training step runs about 140 ops one after another, each split
// across the cores, with a little serial work between them (gorgonia's
// tape, the op's own setup). A goroutine started per op lands on a core
// whose thread went to sleep in that gap: waking it costs tens of
// microseconds an op, a tenth of a resnet step. The crew keeps
// Workers−1 helper goroutines that, after a job, watch for the next one
// for a while (idleSpin) before they sleep, so a job handed over mid-step
// starts at once; the calling goroutine runs the first share itself.

// idleSpin is how long a helper watches for work before it sleeps: longer
// than the gaps between the ops of a step, short enough that an idle
// program gives its cores back at once.
const idleSpin = 500 * time.Microsecond

type helper struct {
	job  atomic.Pointer[func()] // the next job; nil when none
	wake chan struct{}          // to wake it from sleep
	idle atomic.Bool            // whether it sleeps (or is about to)
	_    [64]byte               // keep helpers off each other's cache lines
}

type crew struct {
	mu      sync.Mutex // one job at a time; others start goroutines
	helpers []*helper
	pending atomic.Int32
}

var theCrew crew

// The helpers start with the program, asleep, so that a program's
// goroutines are the same before and after its first parallel op.
func init() { theCrew.grow(Workers - 1) }

// grow starts helpers until there are n.
func (c *crew) grow(n int) {
	for len(c.helpers) < n {
		h := &helper{wake: make(chan struct{}, 1)}
		h.idle.Store(true)
		c.helpers = append(c.helpers, h)
		go h.loop()
	}
}

// run calls f(k, i) for every i in [0, n), split into w contiguous
// shares: share k on worker k, the first on the caller and the others on
// helpers. It reports false, having run nothing, when the crew is busy
// with another caller's job.
func (c *crew) run(w, n int, f func(w, i int)) bool {
	if !c.mu.TryLock() {
		return false
	}
	defer c.mu.Unlock()
	c.grow(w - 1)
	chunk := (n + w - 1) / w
	for k := 1; k < w; k++ {
		lo, hi := k*chunk, min((k+1)*chunk, n)
		if lo >= hi {
			break
		}
		job := func() {
			for i := lo; i < hi; i++ {
				f(k, i)
			}
			c.pending.Add(-1)
		}
		c.pending.Add(1)
		h := c.helpers[k-1]
		h.job.Store(&job)
		if h.idle.Load() {
			select {
			case h.wake <- struct{}{}:
			default:
			}
		}
	}
	for i := 0; i < min(chunk, n); i++ {
		f(0, i)
	}
	for spins := 0; c.pending.Load() > 0; spins++ {
		if spins > 64 {
			runtime.Gosched()
		}
	}
	return true
}

// loop runs the helper's jobs: asleep until woken, then watching for
// jobs until none has come for idleSpin.
func (h *helper) loop() {
	for {
		<-h.wake
		h.idle.Store(false)
		for {
			h.watch()
			h.idle.Store(true)
			job := h.job.Swap(nil) // handed over as it fell asleep
			if job == nil {
				break
			}
			h.idle.Store(false)
			(*job)()
		}
	}
}

// watch runs the jobs handed over until none has come for idleSpin.
func (h *helper) watch() {
	last := time.Now()
	for spins := 0; ; spins++ {
		if job := h.job.Swap(nil); job != nil {
			(*job)()
			last, spins = time.Now(), 0
			continue
		}
		if spins&255 == 255 {
			if time.Since(last) > idleSpin {
				return
			}
			// Let a goroutine waiting for this core run: the caller that
			// woke this helper may have yielded to it, and this loop would
			// keep it off its core until idleSpin ends.
			runtime.Gosched()
		}
	}
}
