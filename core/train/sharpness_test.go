package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
)

// The stability threshold is where the optimizer's own update stops
// converging on a quadratic ½λx² of known curvature λ: run SGD (with and
// without heavy-ball momentum, exactly as Step does it) at λ 1 % below and
// 1 % above the threshold.
func TestStabilityThresholdOnAQuadratic(t *testing.T) {
	for _, c := range []struct{ lr, momentum, want float64 }{{0.1, 0, 20}, {0.05, 0.9, 76}, {0.02, 0.5, 150}} {
		cfg := Config{Optimizer: SGD, LR: c.lr, Momentum: c.momentum}
		if got := cfg.StabilityThreshold(); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("lr %g momentum %g: threshold %v, want %v", c.lr, c.momentum, got, c.want)
		}
		for _, f := range []float64{0.99, 1.01} {
			lambda := f * c.want
			p := model.Params{{Name: "x", Shape: []int{1}, Data: []float32{1}}}
			g := p.ZerosLike()
			opt, err := NewOptimizer(SGD, c.lr, c.momentum, 0, p)
			if err != nil {
				t.Fatal(err)
			}
			for range 3000 {
				g[0].Data[0] = float32(lambda) * p[0].Data[0]
				opt.Step(p, g)
			}
			x := math.Abs(float64(p[0].Data[0]))
			if f < 1 && !(x < 1) || f > 1 && x < 1 { // NaN: grew past float32

				t.Errorf("lr %g momentum %g, λ = %.2f × threshold: |x| = %g after 3000 steps", c.lr, c.momentum, f, x)
			}
		}
	}
	if (Config{Optimizer: Adam, LR: 0.001}).StabilityThreshold() != 0 {
		t.Error("Adam has no threshold on λmax of H")
	}
}

// A track whose curvature is known (λ = 2 + 0.5·step) crosses 10 at step
// 16; after it, λ/threshold has the mean and sd of the points there.
func TestEdgeSummaryOfAKnownTrack(t *testing.T) {
	var pts []SharpnessPoint
	for s := 0; s <= 24; s += 2 {
		pts = append(pts, SharpnessPoint{Step: s, LambdaMax: 2 + 0.5*float64(s)})
	}
	e := SummarizeEdge(pts, 10)
	if e.FirstCrossing != 16 || e.Start != 2 || e.Peak != 14 || e.After != 5 {
		t.Fatalf("%+v", e)
	}
	if math.Abs(e.MeanRatio-1.2) > 1e-12 || math.Abs(e.SDRatio-math.Sqrt(0.025)) > 1e-12 {
		t.Errorf("after the crossing: %v ± %v, want 1.2 ± %v", e.MeanRatio, e.SDRatio, math.Sqrt(0.025))
	}
	if FirstCrossing(pts, 100) != -1 || FirstCrossing(pts, 0) != -1 {
		t.Error("a threshold never reached (or none) has no crossing")
	}
}

// Tracking along training: a measurement before the first step and every
// Every steps, each the Hessian's λmax at those weights on the fixed
// images (the first equals a fresh search at the initial weights), sent as
// events and saved in the checkpoint.
func TestTrainingTracksSharpness(t *testing.T) {
	src := smallSource(t, 320, 50)
	cfg := config(SGD)
	cfg.Epochs, cfg.Track = 1, Tracking{Every: 4, Images: 40}
	var events []progress.Sharpness
	res, err := Train(context.Background(), cfg, src, func(e progress.Event) {
		if s, ok := e.(progress.Sharpness); ok {
			events = append(events, s)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sharpness) != 3 || res.Sharpness[1].Step != 4 || res.Sharpness[2].Step != 8 || len(events) != 3 || math.Abs(events[0].Threshold-76) > 1e-9 {
		t.Fatalf("track %+v, events %+v", res.Sharpness, events)
	}
	idx, _ := data.SampleIndices(src.Train.Len(), 40, cfg.Seed)
	p, _ := hessian.NewProduct(cfg.Arch, cfg.Arch.Init(cfg.Seed), src.Train.Subset(idx))
	s := hessian.DefaultSearch()
	s.Seed, s.Tolerance = cfg.Seed, TrackTolerance
	top, _ := hessian.TopLanczos(context.Background(), p, s)
	if top.Value != res.Sharpness[0].LambdaMax || !(res.TrackTime > 0) || res.TrackTime > res.Elapsed {
		t.Fatalf("λmax at init %v, tracked %v; tracking %v of %v", top.Value, res.Sharpness[0].LambdaMax, res.TrackTime, res.Elapsed)
	}
	// And power iteration, run to a tight tolerance, agrees within the
	// tracked value's residual.
	s.Tolerance, s.MaxIterations = 1e-6, 300
	pw, _ := hessian.Top(context.Background(), p, 1, s, nil)
	if d := math.Abs(pw[0].Value - top.Value); d > res.Sharpness[0].Residual+1e-3*pw[0].Value {
		t.Errorf("λmax by power iteration %v, tracked %v ± %v", pw[0].Value, top.Value, res.Sharpness[0].Residual)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if _, err := Save(path, cfg, res, "subset"); err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeTrack(ck.Meta["sharpness_track"])
	if err != nil || len(back) != 3 || back[2] != res.Sharpness[2] || ck.Meta["stability_threshold"] != "76" {
		t.Fatalf("saved track %+v (%v), meta %v", back, err, ck.Meta)
	}
}

// Full-batch gradient descent: every step on all images, the loss going
// down, λmax measured at steps 0, 2, 4.
func TestFullBatchDescends(t *testing.T) {
	src := smallSource(t, 200, 10)
	arch, _ := model.Preset("mlp")
	cfg := Config{Arch: arch, Epochs: 4, LR: 0.1, Optimizer: SGD, Seed: 3, Track: Tracking{Every: 2}}
	var losses []float64
	res, err := FullBatch(context.Background(), cfg, src.Train, func(e progress.Event) {
		if s, ok := e.(progress.Step); ok {
			losses = append(losses, s.Loss)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 4 || len(losses) != 4 || !(losses[3] < losses[0]) || len(res.Sharpness) != 3 || res.Sharpness[2].Step != 4 {
		t.Fatalf("steps %d, losses %v, track %+v", res.Steps, losses, res.Sharpness)
	}
	if res.FinalLoss != losses[3] {
		t.Errorf("final loss %v, last step %v", res.FinalLoss, losses[3])
	}
	// The measurements run beside the descent: each must be what a search
	// at that step's weights finds, in order, reported once each. The run
	// keeps a snapshot every step here (4 steps), so replay them.
	var events []progress.Sharpness
	cfg.SnapshotEvery = 1
	res, err = FullBatch(context.Background(), cfg, src.Train, func(e progress.Event) {
		if s, ok := e.(progress.Sharpness); ok {
			events = append(events, s)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	track, err := newTracker(arch, res.Params, src.Train, src.Train.Len(), cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	for i, pt := range res.Sharpness {
		snap := res.Trajectory[pt.Step]
		want, err := track.find(context.Background(), snap.Params, snap.Step)
		if err != nil {
			t.Fatal(err)
		}
		if pt != want || len(events) != 3 || events[i].Step != pt.Step || events[i].LambdaMax != pt.LambdaMax {
			t.Errorf("measurement %d: %+v (event %+v), a search at step %d's weights %+v", i, pt, events, snap.Step, want)
		}
	}
}
