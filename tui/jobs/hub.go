package jobs

import (
	"fmt"
	"sync"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// Hub shares scans between the sessions of basin serve: a scan is
// known by its checkpoint and settings; the first session to ask computes
// it (the leader) and publishes its points here, any other session asking
// for the same scan meanwhile follows those points instead of computing
// them again, and a scan asked for again later starts from the points
// already there. If the leader stops early (its viewer zoomed away), a
// follower takes over from the points published.
type Hub struct {
	mu    sync.Mutex
	scans map[string]*sharedScan
}

// sharedScan is one scan's points as the hub has them.
type sharedScan struct {
	surf    *surface.Surface
	centre  *model.Result
	running bool
	changed chan struct{} // closed (and replaced) whenever something changes
}

func NewHub() *Hub { return &Hub{scans: map[string]*sharedScan{}} }

// scanKey names a scan: what makes its points.
func scanKey(ck *checkpoint.Checkpoint, st scan.Settings) string {
	return fmt.Sprintf("%s|%+v|%+v|%+v|%d|%s|%d", ck.SHA256, st.Alpha, st.Beta, st.Direction, st.SampleSeed, st.Split, st.Samples)
}

// join says whether the caller leads the scan (computes it), and returns
// the points the hub already has (nil for none).
func (h *Hub) join(key string) (sh *sharedScan, lead bool, have *surface.Surface) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sh = h.scans[key]
	if sh == nil {
		sh = &sharedScan{changed: make(chan struct{})}
		h.scans[key] = sh
	}
	if sh.running {
		return sh, false, nil
	}
	sh.running = true
	if sh.surf != nil && sh.surf.Computed() > 0 {
		have = sh.surf.Clone()
	}
	return sh, true, have
}

// notify wakes the followers; called with h.mu held.
func (sh *sharedScan) notify() {
	close(sh.changed)
	sh.changed = make(chan struct{})
}

// started records the leader's surface (its points so far).
func (h *Hub) started(sh *sharedScan, s *surface.Surface) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sh.surf = s.Clone()
	sh.notify()
}

// publish records one event of the leader's.
func (h *Hub) publish(sh *sharedScan, ev progress.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch e := ev.(type) {
	case progress.Centre:
		c := e.Result
		sh.centre = &c
	case progress.Point:
		if sh.surf != nil {
			sh.surf.Record(e.Index, model.Result{Loss: e.Loss, Accuracy: e.Acc, LossSE: e.LossSE})
		}
	default:
		return
	}
	sh.notify()
}

// done marks the leader gone (finished or stopped).
func (h *Hub) done(sh *sharedScan) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sh.running = false
	sh.notify()
}

// view returns a copy of the shared points, the centre, whether a leader
// is computing, and the channel that closes on the next change.
func (h *Hub) view(sh *sharedScan) (s *surface.Surface, centre *model.Result, running bool, changed <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if sh.surf != nil {
		s = sh.surf.Clone()
	}
	return s, sh.centre, sh.running, sh.changed
}
