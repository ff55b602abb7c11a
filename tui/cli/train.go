package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/flags"
)

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "basin train [--preset small] [--epochs 1] [--batch 64] [--lr 0.05] [--optimizer sgd|adam] [--seed 1] [--data DIR] --out model.safetensors", stdout)
	var tf flags.Train
	tf.Register(fs.FlagSet)
	out := fs.String("out", "", "checkpoint file to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required: name the checkpoint to write, like --out model.safetensors")
	}
	cfg, err := tf.Config()
	if err != nil {
		return usage(err)
	}
	// Before any training: a checkpoint that cannot be saved is not worth
	// computing.
	if err := atomicfile.CheckWritable(*out); err != nil {
		return usagef("--out: %w", err)
	}
	src, err := loadData(tf.Data)
	if err != nil {
		return err
	}
	rep := newReporter(stderr)
	rep.line("training %s (%d parameters) on %s: %s lr %g, batch %d, %d epoch(s), seed %d",
		cfg.Arch.Preset, cfg.Arch.NewParams().Len(), src.Name, cfg.Optimizer, cfg.LR, cfg.Batch, cfg.Epochs, cfg.Seed)
	var epochElapsed time.Duration // training time before the current epoch
	res, err := train.Train(ctx, cfg, src, func(e progress.Event) {
		switch e := e.(type) {
		case progress.Step:
			rep.update(fmt.Sprintf("epoch %d/%d", e.Epoch, e.Epochs), e.Step, e.Steps, etaOf(e.Step, e.Steps, e.Elapsed-epochElapsed),
				fmt.Sprintf("loss %.4f acc %.1f%% %.0f img/s", e.Loss, 100*e.RunningAccuracy, e.ImagesPerSec), e.Step == e.Steps)
		case progress.Epoch:
			epochElapsed = e.Elapsed
			rep.line("epoch %d/%d: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%% | %s",
				e.Epoch, e.Epochs, e.TrainLoss, 100*e.TrainAcc, e.TestLoss, 100*e.TestAcc, fmtDuration(e.EpochElapsed))
		}
	})
	if res == nil {
		return err
	}
	saved, saveErr := train.Save(*out, cfg, res, src.Name)
	if saveErr != nil {
		return errors.Join(err, saveErr)
	}
	if res.Diverged {
		rep.line("wrote the diverged weights to %s, not to %s", saved, *out)
		return err
	}
	if err != nil {
		rep.line("saved the weights as they were to %s", saved)
		return err
	}
	if res.Stopped {
		rep.line("stopped after %d steps; saved the last completed step to %s", res.Steps, *out)
		return context.Canceled
	}
	rep.line("saved %s and %s", *out, checkpoint.TrajectoryPath(*out))
	return nil
}
