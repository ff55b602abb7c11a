package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// drain applies an engine's events for job id to a surface until the job
// is done, and returns it.
func drain(t *testing.T, e *Engine, id int) *surface.Surface {
	t.Helper()
	var s *surface.Surface
	for {
		for _, ev := range e.box.wait() {
			switch ev := ev.(type) {
			case ScanStarted:
				if ev.ID == id {
					s = ev.Surface
				}
			case ScanEvent:
				if p, ok := ev.Event.(progress.Point); ok && ev.ID == id && s != nil {
					s.Set(p.Index, p.Loss, p.Acc)
				}
			case ScanDone:
				if ev.ID == id {
					if ev.Err != nil {
						t.Fatal(ev.Err)
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
	tiny := tinySource(t)
	runs := t.TempDir()
	ck, _ := checkpoint.Pretrained("small")
	st := scan.Settings{Alpha: surface.Axis{Min: -1, Max: 1, N: 15}, Beta: surface.Axis{Min: -1, Max: 1, N: 15},
		Direction: direction.Spec{Seed: 1, Norm: direction.Filter}, SampleSeed: 1, Split: "train", Samples: 64, Workers: 2}
	hub := NewHub()
	a, b := NewEngine(runs, "a"), NewEngine(runs, "b")
	a.Hub, b.Hub = hub, hub
	defer a.Shutdown()
	defer b.Shutdown()
	ctx := context.Background()
	a.Scan(ctx, ScanJob{ID: 1, Checkpoint: ck, Source: tiny, Settings: st})
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
	b.Scan(ctx, ScanJob{ID: 2, Checkpoint: ck, Source: tiny, Settings: st})
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
	c := NewEngine(runs, "c")
	c.Hub = hub
	defer c.Shutdown()
	c.Scan(ctx, ScanJob{ID: 3, Checkpoint: ck, Source: tiny, Settings: st})
	if sc := drain(t, c, 3); sc.Computed() != sc.Len() || sc.Loss[40] != sa.Loss[40] {
		t.Fatalf("a later ask: %d points", sc.Computed())
	}
}

// tinySource is a few hundred MNIST images: enough to scan in a test.
func tinySource(t *testing.T) *data.Source {
	t.Helper()
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := data.SampleIndices(src.Train.Len(), 256, 1)
	te, _ := data.SampleIndices(src.Test.Len(), 64, 1)
	return &data.Source{Name: "tiny", Train: src.Train.Subset(tr), Test: src.Test.Subset(te)}
}
