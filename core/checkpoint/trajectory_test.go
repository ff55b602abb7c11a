package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/basin-dev/basin/core/model"
)

// Snapshots come back in step order with their steps and weights; files
// of the old per-epoch layout ("epoch_N.") read with N × steps per epoch.
func TestTrajectoryRoundTrip(t *testing.T) {
	arch, _ := model.Preset("mlp")
	snaps := []Snapshot{{0, arch.Init(1)}, {7, arch.Init(2)}, {20, arch.Init(3)}}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.trajectory.safetensors")
	if err := SaveTrajectory(path, arch, snaps, map[string]string{"preset": "mlp"}); err != nil {
		t.Fatal(err)
	}
	a, back, meta, err := LoadTrajectory(path)
	if err != nil || a.Preset != "mlp" || len(back) != 3 || meta["snapshot_steps"] != "0,7,20" {
		t.Fatalf("%v %v %d %v", err, a.Preset, len(back), meta)
	}
	for i, s := range back {
		if s.Step != snaps[i].Step || s.Params.Dot(s.Params) != snaps[i].Params.Dot(snaps[i].Params) {
			t.Fatalf("snapshot %d: step %d", i, s.Step)
		}
	}
	var old model.Params
	for e, p := range []model.Params{arch.Init(1), arch.Init(2)} {
		for _, tn := range p {
			tn.Name = "epoch_" + string(rune('0'+e)) + "." + tn.Name
			old = append(old, tn)
		}
	}
	oldPath := filepath.Join(dir, "old.trajectory.safetensors")
	if err := Save(oldPath, arch, old, map[string]string{"preset": "mlp", "steps": "30", "epochs": "1"}); err != nil {
		t.Fatal(err)
	}
	if _, back, _, err = LoadTrajectory(oldPath); err != nil || len(back) != 2 || back[1].Step != 30 {
		t.Fatalf("old layout: %v %+v", err, back)
	}
	if _, _, _, err := LoadTrajectory(filepath.Join(dir, "none")); err == nil {
		t.Error("a missing file loaded")
	}
}

func FuzzParseTrajectory(f *testing.F) {
	arch, _ := model.Preset("mlp")
	dir := f.TempDir()
	path := filepath.Join(dir, "t.safetensors")
	if err := SaveTrajectory(path, arch, []Snapshot{{Step: 0, Params: arch.Init(1)}, {Step: 5, Params: arch.Init(2)}}, map[string]string{"steps": "5", "epochs": "1"}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add(mk(`{"step_-1.a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, snaps, _, err := ParseTrajectory("t", b)
		if err != nil {
			return
		}
		for i := 1; i < len(snaps); i++ {
			if snaps[i].Step < snaps[i-1].Step {
				t.Fatal("snapshots out of order")
			}
		}
	})
}
