package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
)

func smallSource(t *testing.T, train, test int) *data.Source {
	t.Helper()
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := data.SampleIndices(src.Train.Len(), train, 1)
	te, _ := data.SampleIndices(src.Test.Len(), test, 1)
	return &data.Source{Name: "subset", Train: src.Train.Subset(tr), Test: src.Test.Subset(te)}
}

func config(optimizer string) Config {
	arch, _ := model.Preset("small")
	return Config{Arch: arch, Epochs: 2, Batch: 32, LR: DefaultLR(optimizer), Momentum: 0.9, WeightDecay: 1e-4, Optimizer: optimizer, Seed: 7}
}

func TestTrainingIsDeterministicAndLearns(t *testing.T) {
	src := smallSource(t, 640, 200)
	for _, opt := range []string{SGD, Adam} {
		var runs []*Result
		for i := 0; i < 2; i++ {
			res, err := Train(context.Background(), config(opt), src, nil)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, res)
		}
		a, b := runs[0], runs[1]
		for i := range a.Params {
			for j, v := range a.Params[i].Data {
				if b.Params[i].Data[j] != v {
					t.Fatalf("%s: same seed, different weights at %s[%d]", opt, a.Params[i].Name, j)
				}
			}
		}
		if len(a.History) != 2 || len(a.Trajectory) != 41 || a.Steps != 40 || a.Trajectory[40].Step != 40 {
			t.Fatalf("%s: %d epochs, %d trajectory points, %d steps", opt, len(a.History), len(a.Trajectory), a.Steps)
		}
		if acc := a.History[1].TestAcc; acc < 0.6 {
			t.Fatalf("%s: test accuracy %.2f after 2 epochs on 640 images: not learning", opt, acc)
		}
		if t0, t2 := a.Trajectory[0].Params, a.Trajectory[40].Params; t0.Dot(t0) == t2.Dot(t0) {
			t.Fatalf("%s: trajectory does not move", opt)
		}
	}
	c := config(SGD)
	c.SnapshotEvery = 7 // and at each epoch's end (20 steps)
	snapped, _ := Train(context.Background(), c, src, nil)
	var steps []int
	for _, s := range snapped.Trajectory {
		steps = append(steps, s.Step)
	}
	if fmt.Sprint(steps) != "[0 7 14 20 21 28 35 40]" {
		t.Fatalf("snapshots at %v", steps)
	}
	c.SnapshotEvery = 0
	c.Seed = 8
	other, _ := Train(context.Background(), c, src, nil)
	first, _ := Train(context.Background(), config(SGD), src, nil)
	if other.Params.Dot(other.Params) == first.Params.Dot(other.Params) {
		t.Fatal("another seed gave the same weights")
	}
}

func TestCancelKeepsLastStep(t *testing.T) {
	src := smallSource(t, 640, 100)
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Train(ctx, config(SGD), src, func(e progress.Event) {
		if s, ok := e.(progress.Step); ok && s.Global == 5 {
			cancel()
		}
	})
	if err != nil || !res.Stopped || res.Steps != 5 || len(res.History) != 0 {
		t.Fatalf("err %v stopped %v steps %d", err, res.Stopped, res.Steps)
	}
	if !res.Params.Finite() {
		t.Fatal("weights after cancel are not finite")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Epochs = 0 },
		func(c *Config) { c.Batch = 0 },
		func(c *Config) { c.LR = -1 },
		func(c *Config) { c.Momentum = 1 },
		func(c *Config) { c.Optimizer = "rmsprop" },
	}
	for i, f := range bad {
		c := config(SGD)
		f(&c)
		if c.Validate() == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

// The default small net reaches 96 % test accuracy in one epoch.
func TestSmallReaches96PercentInOneEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("full epoch on 60,000 images")
	}
	src, err := data.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	arch, _ := model.Preset("small")
	res, err := Train(context.Background(), Config{Arch: arch, Epochs: 1, Batch: 64, LR: 0.05, Momentum: 0.9, Optimizer: SGD, Seed: 1}, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc := res.History[0].TestAcc; acc < 0.96 {
		t.Fatalf("test accuracy %.4f after one epoch, want ≥ 0.96", acc)
	}
}

func TestGatePausesTraining(t *testing.T) {
	src := smallSource(t, 320, 50)
	cfg := config(SGD)
	cfg.Epochs = 1
	cfg.Gate = &Gate{}
	steps := make(chan int, 100)
	done := make(chan *Result)
	go func() {
		res, _ := Train(context.Background(), cfg, src, func(e progress.Event) {
			if s, ok := e.(progress.Step); ok {
				if s.Global == 2 {
					cfg.Gate.SetPaused(true)
				}
				steps <- s.Global
			}
		})
		done <- res
	}()
	for s := range steps {
		if s == 2 {
			break
		}
	}
	select {
	case s := <-steps:
		t.Fatalf("step %d ran while paused", s)
	case <-time.After(300 * time.Millisecond):
	}
	cfg.Gate.SetPaused(false)
	if res := <-done; res.Steps != 10 {
		t.Fatalf("%d steps after resuming, want 10", res.Steps)
	}
}

// Unusable numbers are refused before training starts.
func TestValidateRefusesNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, mod := range []func(*Config){
		func(c *Config) { c.LR = nan }, func(c *Config) { c.LR = inf }, func(c *Config) { c.LR = -1 },
		func(c *Config) { c.Momentum = nan }, func(c *Config) { c.Momentum = 1 },
		func(c *Config) { c.WeightDecay = nan }, func(c *Config) { c.WeightDecay = inf },
	} {
		c := config(SGD)
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}

// A run that diverges stops at the first non-finite loss and never
// replaces a good checkpoint: its weights go beside it, named as such.
func TestDivergedRunDoesNotOverwrite(t *testing.T) {
	src := smallSource(t, 320, 50)
	c := config(SGD)
	c.LR, c.Epochs = 1e6, 3
	res, err := Train(context.Background(), c, src, nil)
	if !errors.Is(err, ErrDiverged) || !res.Diverged {
		t.Fatalf("lr 1e6: %v (diverged=%v)", err, res != nil && res.Diverged)
	}
	if res.Steps >= 30 {
		t.Fatalf("ran %d steps after diverging", res.Steps)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	good, _ := Train(context.Background(), config(SGD), smallSource(t, 64, 10), nil)
	if _, err := Save(path, config(SGD), good, "subset"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	saved, err := Save(path, c, res, "subset")
	if err != nil || saved != DivergedPath(path) {
		t.Fatalf("saved to %q (%v), want %q", saved, err, DivergedPath(path))
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("the good checkpoint was replaced by a diverged run")
	}
	ck, err := checkpoint.Load(saved)
	if err != nil || ck.Meta["diverged"] != "true" {
		t.Fatalf("diverged file: %v %v", err, ck)
	}
}
