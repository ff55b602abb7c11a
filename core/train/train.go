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
	Arch model.Arch
	// File is the architecture as written, built for the data by ForData
	// (nil: the preset Arch.Preset names).
	File        *model.File
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
	// Norm is the input normalization to train with (--mean/--std); nil
	// takes the data set's own.
	Norm *data.Norm
}

// ForData returns the configuration with its architecture built for the
// data: the preset on the data's image shape and classes, with the
// normalization asked for or the data's own. Train calls it; a caller
// may too, to say what will be trained before it starts.
func (c Config) ForData(src *data.Source) (Config, error) {
	norm := src.Norm
	if c.Norm != nil {
		norm = *c.Norm
	}
	if norm.Channels() == 0 { // a Source made by hand: the zero Norm is MNIST's
		norm = data.MNISTNorm()
		if src.Shape().C != 1 {
			norm = src.Train.Stats()
		}
	}
	if err := norm.Validate(src.Shape().C); err != nil {
		return c, fmt.Errorf("normalization for %s: %w", src.Name, err)
	}
	classes := max(src.Classes(), 2)
	file := c.File
	if file == nil {
		f, err := model.PresetFile(c.Arch.Preset)
		if err != nil {
			return c, fmt.Errorf("train on %s: %w", src.Name, err)
		}
		file = f
	}
	arch, err := file.For(src.Shape(), classes, norm)
	if err != nil {
		return c, fmt.Errorf("train on %s: %w", src.Name, err)
	}
	c.Arch = arch
	return c, nil
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
	TrackTime  time.Duration         // spent measuring it (FullBatch: beside the descent, not added to Elapsed)
	Elapsed    time.Duration         // the whole run, tracking included
	Steps      int                   // optimizer steps taken
	FinalLoss  float64               // the last step's training loss
	Stopped    bool                  // cancelled before the last epoch ended
	Diverged   bool                  // the loss or the weights stopped being finite
	Arch       model.Arch            // what was trained: the preset built for the data
	DataPath   string                // where its data set was loaded from ("" for the embedded MNIST)

	snapEvery int // the snapshot interval now: doubled each time the trajectory is thinned
}

// Train runs the configured training on src. When ctx is cancelled it
// stops before the next step and returns the weights of the last completed
// step with Stopped set and a nil error.
func Train(ctx context.Context, cfg Config, src *data.Source, sink progress.Sink) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg, err := cfg.ForData(src)
	if err != nil {
		return nil, err
	}
	steps := src.Train.Len() / cfg.Batch // the last partial batch is dropped, as drop_last=True
	if steps == 0 {
		return nil, fmt.Errorf("batch %d is larger than the %d training images", cfg.Batch, src.Train.Len())
	}
	r := &run{cfg: cfg, src: src, sink: sink, steps: steps, params: cfg.Arch.Init(cfg.Seed)}
	if r.net, err = model.NewNet(cfg.Arch, r.params, cfg.Batch, true); err != nil {
		return nil, err
	}
	r.net.SeedDropout(cfg.Seed)
	defer r.net.Close()
	if r.opt, err = NewOptimizer(cfg.Optimizer, cfg.LR, cfg.Momentum, cfg.WeightDecay, r.params); err != nil {
		return nil, err
	}
	r.eval = model.NewEvaluator(cfg.Arch, r.params)
	defer r.eval.Close()
	res := &Result{Arch: cfg.Arch, DataPath: src.Path, Params: r.params, Trajectory: []checkpoint.Snapshot{{Step: 0, Params: r.params.Clone()}}, snapEvery: cfg.snapshotEvery(steps)}
	r.res = res
	begin := time.Now()
	defer func() { res.Elapsed = time.Since(begin) }()
	defer func() {
		if r.inflight != nil {
			<-r.inflight.done // nothing outlives the run
		}
	}()
	if cfg.Track.Every > 0 {
		if r.track, err = newTracker(cfg.Arch, r.params, src.Train, cfg.Track.Images, cfg.Seed); err != nil {
			return nil, err
		}
		if err := r.measure(ctx); err != nil {
			if ctx.Err() == nil {
				return nil, err
			}
			res.Stopped = true
			return res, nil
		}
	}
	shuffle := rng.New(cfg.Seed, rng.StreamShuffle)
	r.order = make([]int, src.Train.Len())
	for i := range r.order {
		r.order[i] = i
	}
	r.start = time.Now()
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		shuffle.Shuffle(r.order)
		ev, end, err := r.epoch(ctx, epoch)
		if end {
			if err == nil && ctx.Err() == nil { // stopped from the gate: keep the last measurement
				err = r.collect()
			}
			return res, err
		}
		if cfg.StopBelow > 0 && ev.TrainLoss <= cfg.StopBelow {
			break
		}
	}
	if err := r.collect(); err != nil {
		if ctx.Err() == nil {
			return res, err
		}
		res.Stopped = true
		return res, nil
	}
	if !r.params.Finite() {
		res.Diverged = true
		return res, fmt.Errorf("%w: the weights are no longer finite (lower --lr)", ErrDiverged)
	}
	return res, nil
}

// run is a training run under way.
type run struct {
	cfg      Config
	src      *data.Source
	sink     progress.Sink
	steps    int // per epoch
	params   model.Params
	net      *model.Net
	opt      Optimizer
	eval     *model.Evaluator
	track    *tracker     // nil: λmax not tracked
	inflight *measurement // the λmax search running beside the steps
	res      *Result
	order    []int // this epoch's order of the training images
	start    time.Time
}

// measure collects the last λmax measurement and starts one at the
// weights now, which runs beside the next steps on a copy of them (the
// steps and the products each leave part of the cores idle); an error is
// the last measurement's.
func (r *run) measure(ctx context.Context) error {
	if err := r.collect(); err != nil {
		return err
	}
	r.inflight = r.track.begin(ctx, r.params, r.res.Steps)
	return nil
}

// collect waits for the measurement in flight, if any, and adds it to the
// result's track and reports it: the track stays in step order.
func (r *run) collect() error {
	m := r.inflight
	if m == nil {
		return nil
	}
	<-m.done
	r.inflight = nil
	r.res.TrackTime += m.took
	if m.err != nil {
		return m.err
	}
	r.res.Sharpness = append(r.res.Sharpness, m.pt)
	m.pt.send(r.sink, r.cfg.StabilityThreshold())
	return nil
}

// epoch runs one epoch's steps and evaluates it on the test split. end
// says the run ends here: stopped (err nil), diverged or failed.
func (r *run) epoch(ctx context.Context, epoch int) (ev progress.Epoch, end bool, err error) {
	cfg, res := r.cfg, r.res
	epochStart := time.Now()
	var lossSum float64
	var correct, seen int
	for s := 0; s < r.steps; s++ {
		if err := cfg.Gate.wait(ctx); err != nil {
			res.Stopped = true
			res.snapshot(r.params)
			return ev, true, nil
		}
		l, c, err := r.net.Run(r.src.Train, r.order[s*cfg.Batch:(s+1)*cfg.Batch])
		if err != nil {
			return ev, true, fmt.Errorf("epoch %d step %d: %w", epoch, s+1, err)
		}
		if math.IsNaN(l) || math.IsInf(l, 0) {
			res.Diverged = true
			return ev, true, fmt.Errorf("%w at epoch %d step %d (loss %g): lower --lr", ErrDiverged, epoch, s+1, l)
		}
		r.opt.Step(r.params, r.net.Grads)
		res.Steps++
		res.FinalLoss = l / float64(cfg.Batch)
		if res.Steps%res.snapEvery == 0 {
			res.snapshot(r.params)
		}
		if r.track != nil && res.Steps%cfg.Track.Every == 0 {
			if err := r.measure(ctx); err != nil {
				if ctx.Err() == nil {
					return ev, true, err
				}
				res.Stopped = true
				return ev, true, nil
			}
		}
		lossSum += l
		correct += c
		seen += cfg.Batch
		r.sink.Send(progress.Step{
			Epoch: epoch, Epochs: cfg.Epochs, Step: s + 1, Steps: r.steps, Global: res.Steps,
			Loss: l / float64(cfg.Batch), RunningAccuracy: float64(correct) / float64(seen),
			ImagesPerSec: float64(seen) / time.Since(epochStart).Seconds(), Elapsed: time.Since(r.start),
		})
	}
	test, err := r.eval.Evaluate(r.src.Test)
	if err != nil {
		return ev, true, fmt.Errorf("evaluate epoch %d on the test split: %w", epoch, err)
	}
	ev = progress.Epoch{
		Epoch: epoch, Epochs: cfg.Epochs,
		TrainLoss: lossSum / float64(seen), TrainAcc: float64(correct) / float64(seen),
		TestLoss: test.Loss, TestAcc: test.Accuracy,
		Elapsed: time.Since(r.start), EpochElapsed: time.Since(epochStart),
	}
	res.History = append(res.History, ev)
	res.snapshot(r.params)
	r.sink.Send(ev)
	return ev, false, nil
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
