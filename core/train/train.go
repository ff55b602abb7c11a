package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/rng"
)

// Config is everything that determines a training run. The same Config on
// the same data gives the same weights, bit for bit.
type Config struct {
	Arch        model.Arch
	Epochs      int
	Batch       int
	LR          float64
	Momentum    float64 // SGD only
	WeightDecay float64
	Optimizer   string // SGD or Adam
	Seed        uint64
	Gate        *Gate // lets a viewer pause between steps; nil never pauses
	// StopBelow ends training after the first epoch whose mean training
	// loss is at or below it (0: run every epoch): runs of different
	// batch sizes can then be stopped at a comparable loss.
	StopBelow float64
	// Track measures λmax every Track.Every steps (0: never).
	Track Tracking
	// SnapshotEvery keeps the weights every so many steps for the
	// trajectory (0: about 50 an epoch), and always at each epoch's end.
	SnapshotEvery int
}

// SnapshotsPerEpoch is how many snapshots an epoch keeps by default.
const SnapshotsPerEpoch = 50

// snapshotEvery is the snapshot interval for epochs of stepsPerEpoch.
func (c Config) snapshotEvery(stepsPerEpoch int) int {
	if c.SnapshotEvery > 0 {
		return c.SnapshotEvery
	}
	return max(1, stepsPerEpoch/SnapshotsPerEpoch)
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("epochs must be at least 1, got %d", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("batch must be at least 1, got %d", c.Batch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("learning rate must be a positive number, got %g", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("momentum must be in [0, 1), got %g", c.Momentum)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("weight decay must be a number of 0 or more, got %g", c.WeightDecay)
	case !(c.StopBelow >= 0) || math.IsInf(c.StopBelow, 0):
		return fmt.Errorf("the loss to stop below must be a number of 0 or more, got %g", c.StopBelow)
	case c.SnapshotEvery < 0:
		return fmt.Errorf("snapshot interval must be 0 (about %d an epoch) or a number of steps, got %d", SnapshotsPerEpoch, c.SnapshotEvery)
	case c.Track.Every < 0 || c.Track.Images < 0:
		return fmt.Errorf("sharpness tracking needs a step count and an image count of 0 or more")
	case c.Optimizer != SGD && c.Optimizer != Adam:
		return fmt.Errorf("unknown optimizer %q: use sgd or adam", c.Optimizer)
	}
	return nil
}

// ErrDiverged is wrapped by the error of a run whose loss or weights are
// no longer finite.
var ErrDiverged = errors.New("training diverged")

// Result is a trained model and how it got there.
type Result struct {
	Params     model.Params
	History    []progress.Epoch      // one per completed epoch
	Trajectory []checkpoint.Snapshot // the weights at step 0, every SnapshotEvery steps and at each epoch's end
	Sharpness  []SharpnessPoint      // λmax along the run, when tracked
	TrackTime  time.Duration         // spent measuring it
	Elapsed    time.Duration         // the whole run, tracking included
	Steps      int                   // optimizer steps taken
	FinalLoss  float64               // the last step's training loss
	Stopped    bool                  // cancelled before the last epoch ended
	Diverged   bool                  // the loss or the weights stopped being finite

	snapEvery int // the snapshot interval now: doubled each time the trajectory is thinned
}

// Train runs the configured training on src. When ctx is cancelled it
// stops before the next step and returns the weights of the last completed
// step with Stopped set and a nil error.
func Train(ctx context.Context, cfg Config, src *data.Source, sink progress.Sink) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	train := src.Train
	steps := train.Len() / cfg.Batch // the last partial batch is dropped, as drop_last=True
	if steps == 0 {
		return nil, fmt.Errorf("batch %d is larger than the %d training images", cfg.Batch, train.Len())
	}
	params := cfg.Arch.Init(cfg.Seed)
	net, err := model.NewNet(cfg.Arch, params, cfg.Batch, true)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	opt, err := NewOptimizer(cfg.Optimizer, cfg.LR, cfg.Momentum, cfg.WeightDecay, params)
	if err != nil {
		return nil, err
	}
	eval := model.NewEvaluator(cfg.Arch, params)
	defer eval.Close()
	res := &Result{Params: params, Trajectory: []checkpoint.Snapshot{{Step: 0, Params: params.Clone()}}, snapEvery: cfg.snapshotEvery(steps)}
	begin := time.Now()
	defer func() { res.Elapsed = time.Since(begin) }()
	var track *tracker
	threshold := cfg.StabilityThreshold()
	measure := func() error {
		t0 := time.Now()
		defer func() { res.TrackTime += time.Since(t0) }()
		pt, err := track.measure(ctx, params, res.Steps, threshold, sink)
		if err == nil {
			res.Sharpness = append(res.Sharpness, pt)
		}
		return err
	}
	if cfg.Track.Every > 0 {
		if track, err = newTracker(cfg.Arch, params, train, cfg.Track.Images, cfg.Seed); err != nil {
			return nil, err
		}
		if err := measure(); err != nil {
			if ctx.Err() == nil {
				return nil, err
			}
			res.Stopped = true
			return res, nil
		}
	}
	shuffle := rng.New(cfg.Seed, rng.StreamShuffle)
	order := make([]int, train.Len())
	for i := range order {
		order[i] = i
	}
	start := time.Now()
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		shuffle.Shuffle(order)
		epochStart := time.Now()
		var lossSum float64
		var correct, seen int
		for s := 0; s < steps; s++ {
			if err := cfg.Gate.wait(ctx); err != nil {
				res.Stopped = true
				res.snapshot(params)
				return res, nil
			}
			l, c, err := net.Run(train, order[s*cfg.Batch:(s+1)*cfg.Batch])
			if err != nil {
				return res, fmt.Errorf("epoch %d step %d: %w", epoch, s+1, err)
			}
			if math.IsNaN(l) || math.IsInf(l, 0) {
				res.Diverged = true
				return res, fmt.Errorf("%w at epoch %d step %d (loss %g): lower --lr", ErrDiverged, epoch, s+1, l)
			}
			opt.Step(params, net.Grads)
			res.Steps++
			res.FinalLoss = l / float64(cfg.Batch)
			if res.Steps%res.snapEvery == 0 {
				res.snapshot(params)
			}
			if track != nil && res.Steps%cfg.Track.Every == 0 {
				if err := measure(); err != nil {
					if ctx.Err() == nil {
						return res, err
					}
					res.Stopped = true
					return res, nil
				}
			}
			lossSum += l
			correct += c
			seen += cfg.Batch
			el := time.Since(epochStart)
			sink.Send(progress.Step{
				Epoch: epoch, Epochs: cfg.Epochs, Step: s + 1, Steps: steps, Global: res.Steps,
				Loss: l / float64(cfg.Batch), RunningAccuracy: float64(correct) / float64(seen),
				ImagesPerSec: float64(seen) / el.Seconds(), Elapsed: time.Since(start),
			})
		}
		test, err := eval.Evaluate(src.Test)
		if err != nil {
			return res, fmt.Errorf("evaluate epoch %d on the test split: %w", epoch, err)
		}
		ev := progress.Epoch{
			Epoch: epoch, Epochs: cfg.Epochs,
			TrainLoss: lossSum / float64(seen), TrainAcc: float64(correct) / float64(seen),
			TestLoss: test.Loss, TestAcc: test.Accuracy,
			Elapsed: time.Since(start), EpochElapsed: time.Since(epochStart),
		}
		res.History = append(res.History, ev)
		res.snapshot(params)
		sink.Send(ev)
		if cfg.StopBelow > 0 && ev.TrainLoss <= cfg.StopBelow {
			break
		}
	}
	if !params.Finite() {
		res.Diverged = true
		return res, fmt.Errorf("%w: the weights are no longer finite (lower --lr)", ErrDiverged)
	}
	return res, nil
}

// MaxSnapshotBytes bounds the weights a run keeps for its trajectory
// (float32). A run that would keep more (--snapshot-every 1 on the
// standard net is 4.5 GB an epoch) thins what it has kept to every other
// snapshot and doubles its interval, as often as needed: the trajectory
// still spans the whole run, at most this large.
const MaxSnapshotBytes = 1 << 30

var maxSnapshotBytes int64 = MaxSnapshotBytes // tests lower it

// snapshot keeps the weights after the steps taken so far, once per step.
func (res *Result) snapshot(params model.Params) {
	n := len(res.Trajectory)
	if n > 0 && res.Trajectory[n-1].Step == res.Steps {
		return
	}
	res.Trajectory = append(res.Trajectory, checkpoint.Snapshot{Step: res.Steps, Params: params.Clone()})
	if size := int64(len(res.Trajectory)) * int64(4*params.Len()); size > maxSnapshotBytes && len(res.Trajectory) > 2 {
		kept := res.Trajectory[:0]
		last := res.Trajectory[len(res.Trajectory)-1]
		for i, s := range res.Trajectory {
			if i%2 == 0 {
				kept = append(kept, s)
			}
		}
		if kept[len(kept)-1].Step != last.Step {
			kept = append(kept, last)
		}
		clear(res.Trajectory[len(kept):]) // let the dropped weights go
		res.Trajectory = kept
		res.snapEvery *= 2
	}
}
