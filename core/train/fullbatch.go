package train

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
)

// FullBatch runs full-batch gradient descent: every step follows the mean
// gradient over all of set (Cohen et al. 2021 train on a fixed 5,000-image
// subset this way, the setting where the edge of stability is cleanest).
// cfg gives the architecture, seed, optimizer, learning rate and momentum;
// its Epochs are the steps; its Track.Every, if set, measures λmax on all
// of set every so many steps (Track.Images is ignored), each measurement
// running beside the steps after it on a copy of its weights. Cancelled,
// it returns what it has with Stopped set.
func FullBatch(ctx context.Context, cfg Config, set *data.Dataset, sink progress.Sink) (*Result, error) {
	cfg.Batch = max(set.Len(), 1)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set.Len() == 0 {
		return nil, fmt.Errorf("full-batch training: no images")
	}
	if err := cfg.Arch.Fits(set); err != nil {
		return nil, fmt.Errorf("full-batch training: %w (build the architecture with Config.ForData)", err)
	}
	params := cfg.Arch.Init(cfg.Seed)
	g := model.NewGradient(cfg.Arch)
	defer g.Close()
	opt, err := NewOptimizer(cfg.Optimizer, cfg.LR, cfg.Momentum, cfg.WeightDecay, params)
	if err != nil {
		return nil, err
	}
	res := &Result{Arch: cfg.Arch, Params: params, Trajectory: []checkpoint.Snapshot{{Step: 0, Params: params.Clone()}}}
	every := cfg.snapshotEvery(cfg.Epochs)
	begin := time.Now()
	defer func() { res.Elapsed = time.Since(begin) }()
	var track *tracker
	threshold := cfg.StabilityThreshold()
	if cfg.Track.Every > 0 {
		if track, err = newTracker(cfg.Arch, params, set, set.Len(), cfg.Seed); err != nil {
			return nil, err
		}
	}
	// Each measurement runs beside the next steps of descent, on a copy of
	// the weights it is taken at (neither reads the other's buffers, and
	// each alone leaves part of the cores idle); it is collected, in order,
	// before the next one starts or the run ends.
	var inflight *measurement
	defer func() {
		if inflight != nil {
			<-inflight.done // nothing outlives the run
		}
	}()
	collect := func() error {
		if inflight == nil {
			return nil
		}
		m := inflight
		<-m.done
		inflight = nil
		res.TrackTime += m.took
		if m.err != nil {
			return m.err
		}
		res.Sharpness = append(res.Sharpness, m.pt)
		m.pt.send(sink, threshold)
		return nil
	}
	stopped := func(err error) (*Result, error) {
		if ctx.Err() != nil {
			res.Stopped = true
			return res, nil
		}
		return res, err
	}
	for step := 0; step <= cfg.Epochs; step++ {
		if track != nil && step%cfg.Track.Every == 0 {
			if err := collect(); err != nil {
				return stopped(err)
			}
			inflight = track.begin(ctx, params, step)
		}
		if step == cfg.Epochs {
			break
		}
		if err := cfg.Gate.wait(ctx); err != nil {
			res.Stopped = true
			return res, nil
		}
		g.Params.CopyFrom(params)
		loss, err := g.Compute(set)
		if err != nil {
			return res, fmt.Errorf("full-batch step %d: %w", step+1, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			res.Diverged = true
			return res, fmt.Errorf("%w at step %d (loss %g): lower the learning rate", ErrDiverged, step+1, loss)
		}
		opt.Step(params, g.Grad)
		res.Steps++
		res.FinalLoss = loss
		if res.Steps%every == 0 || res.Steps == cfg.Epochs {
			res.snapshot(params)
		}
		sink.Send(progress.Step{Epoch: 1, Epochs: 1, Step: step + 1, Steps: cfg.Epochs, Global: step + 1, Loss: loss,
			ImagesPerSec: float64(set.Len()*(step+1)) / time.Since(begin).Seconds(), Elapsed: time.Since(begin)})
	}
	if err := collect(); err != nil {
		return stopped(err)
	}
	if !params.Finite() {
		res.Diverged = true
		return res, fmt.Errorf("%w: the weights are no longer finite (lower the learning rate)", ErrDiverged)
	}
	return res, nil
}

// measurement is a λmax search running on its own goroutine.
type measurement struct {
	done chan struct{}
	pt   SharpnessPoint
	err  error
	took time.Duration
}

// begin starts the search at a copy of params after step steps: the
// caller goes on changing them.
func (t *tracker) begin(ctx context.Context, params model.Params, step int) *measurement {
	m := &measurement{done: make(chan struct{})}
	params = params.Clone()
	go func() {
		defer close(m.done)
		t0 := time.Now()
		m.pt, m.err = t.find(ctx, params, step)
		m.took = time.Since(t0)
	}()
	return m
}
