package compare

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
)

// Trained is one run of the batch-size experiment: a batch size, trained
// and saved.
type Trained struct {
	Batch  int
	Epochs int     // epochs run
	Loss   float64 // mean training loss of the last epoch
	Path   string
}

// BatchSize is the experiment of Keskar et al. (2017) and the future work
// of Li et al.: the same network from the same initial weights (cfg.Seed),
// with the same optimizer and learning rate, trained at two batch sizes,
// then compared. The first trains for cfg.Epochs epochs; the second until
// the mean training loss of an epoch reaches the first's last (at most
// maxEpochs), so both minima are reached to a comparable loss and differ
// in how, not in how far. Checkpoints go to dir as batch-N.safetensors.
func BatchSize(ctx context.Context, cfg train.Config, batches [2]int, maxEpochs int, src *data.Source, st Settings, dir string,
	say func(string), sink progress.Sink) ([2]Trained, *Comparison, error) {
	if say == nil {
		say = func(string) {}
	}
	var runs [2]Trained
	var cks [2]*checkpoint.Checkpoint
	for i, b := range batches {
		c := cfg
		c.Batch = b
		if i == 1 {
			c.Epochs, c.StopBelow = maxEpochs, runs[0].Loss
		}
		say(fmt.Sprintf("training batch %d (%s)", b, stopRule(c)))
		run, ck, err := trainAndLoad(ctx, c, src, filepath.Join(dir, fmt.Sprintf("batch-%d.safetensors", b)), sink)
		runs[i] = run
		if err != nil {
			return runs, nil, fmt.Errorf("train batch %d: %w", b, err)
		}
		cks[i] = ck
	}
	say("comparing")
	cmp, err := Run(ctx, cks[0], cks[1], src, st, say)
	return runs, cmp, err
}

// trainAndLoad trains c, saves the result to path (never over a good file
// with a failed run) and opens it again as a checkpoint. A run that
// stopped early is saved and reported with the error.
func trainAndLoad(ctx context.Context, c train.Config, src *data.Source, path string, sink progress.Sink) (Trained, *checkpoint.Checkpoint, error) {
	res, err := train.Train(ctx, c, src, sink)
	if res == nil {
		return Trained{}, nil, err
	}
	saved, saveErr := train.Save(path, c, res, src.Name)
	if errors.Is(saveErr, train.ErrNoSteps) {
		return Trained{}, nil, errors.Join(err, ctx.Err(), saveErr)
	}
	if saveErr != nil {
		return Trained{}, nil, saveErr
	}
	run := Trained{Batch: c.Batch, Epochs: len(res.History), Path: saved}
	if n := len(res.History); n > 0 {
		run.Loss = res.History[n-1].TrainLoss
	}
	if err != nil || res.Stopped {
		if err == nil {
			err = ctx.Err()
		}
		return run, nil, err
	}
	ck, err := checkpoint.Load(saved)
	return run, ck, err
}

func stopRule(c train.Config) string {
	if c.StopBelow > 0 {
		return fmt.Sprintf("until the training loss is ≤ %.4g, at most %d epochs", c.StopBelow, c.Epochs)
	}
	return fmt.Sprintf("%d epochs", c.Epochs)
}
