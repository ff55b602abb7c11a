package app

import (
	"context"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// drain applies an engine's events for job id to a surface until the job
// is done, and returns it.
func drain(t *testing.T, e *engine, id int) *surface.Surface {
	t.Helper()
	var s *surface.Surface
	for {
		msg := e.box.next()()
		for _, ev := range msg.(eventsMsg) {
			switch ev := ev.(type) {
			case scanStarted:
				if ev.id == id {
					s = ev.surf
				}
			case scanEvent:
				if p, ok := ev.ev.(progress.Point); ok && ev.id == id && s != nil {
					s.Set(p.Index, p.Loss, p.Acc)
				}
			case scanDone:
				if ev.id == id {
					if ev.err != nil {
						t.Fatal(ev.err)
					}
					return s
				}
			}
		}
	}
}

// Two sessions of basin serve asking for the same scan: one computes it,
// the other follows its points (it never builds an evaluator) and ends
// with the same surface; a later ask starts from the points already there.
func TestHubSharesAScan(t *testing.T) {
	o := testOptions(t)
	ck, _ := checkpoint.Pretrained("small")
	st := scan.Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: 15}, Beta: surface.Axis{Min: -1, Max: 1, N: 15},
		Direction: direction.Spec{Seed: 1, Norm: direction.Filter}, SampleSeed: 1, Split: "train", Samples: 64, Workers: 2}
	hub := newScanHub()
	a, b := newEngine(o.RunsDir, "a"), newEngine(o.RunsDir, "b")
	a.hub, b.hub = hub, hub
	defer a.shutdown()
	defer b.shutdown()
	ctx := context.Background()
	a.scan(ctx, scanJob{id: 1, ck: ck, src: tiny, st: st})
	for deadline := time.Now().Add(10 * time.Second); ; { // b asks once a is computing
		hub.mu.Lock()
		sh := hub.scans[scanKey(ck, st)]
		running := sh != nil && sh.running && sh.surf != nil && sh.surf.Computed() < sh.surf.Len()
		hub.mu.Unlock()
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a never started computing")
		}
		time.Sleep(time.Millisecond)
	}
	b.scan(ctx, scanJob{id: 2, ck: ck, src: tiny, st: st})
	sa, sb := drain(t, a, 1), drain(t, b, 2)
	if sa.Computed() != sa.Len() || sb.Computed() != sb.Len() {
		t.Fatalf("a %d, b %d of %d points", sa.Computed(), sb.Computed(), sa.Len())
	}
	for k := range sa.Loss {
		if sa.Loss[k] != sb.Loss[k] {
			t.Fatalf("point %d: %v and %v", k, sa.Loss[k], sb.Loss[k])
		}
	}
	if len(b.pools) != 0 {
		t.Error("the follower built evaluators: it computed")
	}
	c := newEngine(o.RunsDir, "c")
	c.hub = hub
	defer c.shutdown()
	c.scan(ctx, scanJob{id: 3, ck: ck, src: tiny, st: st})
	if sc := drain(t, c, 3); sc.Computed() != sc.Len() || sc.Loss[40] != sa.Loss[40] {
		t.Fatalf("a later ask: %d points", sc.Computed())
	}
}
