package train

import (
	"context"
	"os"
	"testing"

	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
)

func TestZZFullBatchProfile(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	src := smallSource(t, 5000, 10)
	arch, _ := model.Preset("small")
	every := 0
	if os.Getenv("ZZ") == "track" {
		every = 10
	}
	cfg := Config{Arch: arch, Epochs: 40, LR: 0.1, Optimizer: SGD, Seed: 1, Track: Tracking{Every: every}}
	res, err := FullBatch(context.Background(), cfg, src.Train, func(e progress.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("elapsed %v track %v", res.Elapsed, res.TrackTime)
}
