package train

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/progress"
)

// Ctrl-C at step 0 replaced an existing checkpoint with random weights:
// a run that took no step saves nothing.
func TestNoStepsSavesNothing(t *testing.T) {
	src := smallSource(t, 64, 32)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Train(ctx, config(SGD), src, nil)
	if err != nil || res == nil || !res.Stopped || res.Steps != 0 {
		t.Fatalf("cancelled run: %+v, %v", res, err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	os.WriteFile(path, []byte("the user's model"), 0o644)
	if _, err := Save(path, config(SGD), res, src.Name); !errors.Is(err, ErrNoSteps) {
		t.Fatalf("Save: %v, want ErrNoSteps", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "the user's model" {
		t.Fatalf("the existing checkpoint was replaced: %q", b)
	}
	if _, err := os.Stat(checkpoint.TrajectoryPath(path)); err == nil {
		t.Fatal("a trajectory was written")
	}
}

// A checkpoint and a trajectory that were not saved together (disk full
// between the two writes, a file copied over) are refused as a pair.
func TestTrajectoryIsTiedToItsCheckpoint(t *testing.T) {
	src := smallSource(t, 64, 32)
	cfg := config(SGD)
	cfg.Epochs = 1
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	var runs []*Result
	for seed := range uint64(2) {
		cfg.Seed = seed + 1
		res, err := Train(context.Background(), cfg, src, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, res)
	}
	if _, err := Save(path, cfg, runs[0], src.Name); err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if snaps, err := checkpoint.TrajectoryOf(ck); err != nil || len(snaps) < 2 {
		t.Fatalf("the pair as saved: %d snapshots, %v", len(snaps), err)
	}
	// The second run's checkpoint lands, its trajectory does not.
	if err := checkpoint.Save(path, cfg.Arch, runs[1].Params, Meta(cfg, runs[1], src.Name)); err != nil {
		t.Fatal(err)
	}
	if ck, err = checkpoint.Load(path); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.TrajectoryOf(ck); !errors.Is(err, checkpoint.ErrMismatch) {
		t.Fatalf("a mismatched pair: %v, want ErrMismatch", err)
	}
}

// Snapshots are bounded: a run that would keep more than the bound thins
// them and still spans the whole run.
func TestSnapshotsAreBounded(t *testing.T) {
	src := smallSource(t, 640, 32)
	cfg := config(SGD)
	cfg.Epochs, cfg.Batch, cfg.SnapshotEvery = 1, 8, 1 // 80 steps, a snapshot each
	per := int64(4 * cfg.Arch.NewParams().Len())
	defer func(old int64) { maxSnapshotBytes = old }(maxSnapshotBytes)
	maxSnapshotBytes = 10 * per
	res, err := Train(context.Background(), cfg, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := len(res.Trajectory)
	if int64(n)*per > maxSnapshotBytes || n < 5 {
		t.Fatalf("%d snapshots of %d bytes kept, bound %d", n, per, maxSnapshotBytes)
	}
	if first, last := res.Trajectory[0].Step, res.Trajectory[n-1].Step; first != 0 || last != res.Steps {
		t.Fatalf("the snapshots span steps %d–%d, want 0–%d", first, last, res.Steps)
	}
	for i := 1; i < n; i++ {
		if res.Trajectory[i].Step <= res.Trajectory[i-1].Step {
			t.Fatalf("steps out of order: %d after %d", res.Trajectory[i].Step, res.Trajectory[i-1].Step)
		}
	}
	if got := Meta(cfg, res, "")["snapshot_every"]; got == "" || got == "1" {
		t.Fatalf("snapshot_every recorded as %q, want the thinned interval", got)
	}
}

// Whatever bytes a progress file holds, what ParseLive accepts has no
// negative count and no step past its epoch.
func FuzzParseLive(f *testing.F) {
	l := NewLive(config(SGD))
	l.Add(progress.Step{Epoch: 1, Epochs: 2, Step: 3, Steps: 10, Global: 3, Loss: 0.5})
	l.Add(progress.Epoch{Epoch: 1, Epochs: 2, TrainLoss: 0.4})
	good, _ := json.Marshal(l)
	f.Add(good)
	f.Add([]byte(`{"epochs":-1,"last":{"Step":-5}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLive(b)
		if err != nil {
			return
		}
		if l.Epochs < 0 || l.Batch < 0 || l.Last.Step < 0 || l.Last.Step > l.Last.Steps || l.Last.Epoch > l.Last.Epochs {
			t.Fatalf("accepted %+v", l)
		}
	})
}
