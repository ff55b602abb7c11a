package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/flags"
)

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "basin train [--preset small] [--epochs 1] [--batch 64] [--lr 0.05] [--optimizer sgd|adam] [--seed 1] [--data DIR] --out model.safetensors", stdout)
	var tf flags.Train
	tf.Register(fs.FlagSet)
	out := outFlag(fs, "the checkpoint to write, like --out model.safetensors", "checkpoint file to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := out.required(); err != nil {
		return err
	}
	cfg, err := tf.Config()
	if err != nil {
		return usage(err)
	}
	// Before any training: a checkpoint that cannot be saved is not worth
	// computing.
	if err := out.writable(); err != nil {
		return err
	}
	src, err := loadData(tf.Data)
	if err != nil {
		return err
	}
	if cfg, err = cfg.ForData(src); err != nil {
		return usage(err)
	}
	rep := newReporter(stderr)
	announceTraining(rep, cfg, src)
	var epochElapsed time.Duration // training time before the current epoch
	// The run's progress, for anyone watching it (basin's M list, basin serve).
	res, err := train.TrainLive(ctx, cfg, src, train.LivePath(out.Path), func(e progress.Event) {
		switch e := e.(type) {
		case progress.Step:
			rep.update(fmt.Sprintf("epoch %d/%d", e.Epoch, e.Epochs), e.Step, e.Steps, etaOf(e.Step, e.Steps, e.Elapsed-epochElapsed),
				fmt.Sprintf("loss %.4f acc %.1f%% %.0f img/s", e.Loss, 100*e.RunningAccuracy, e.ImagesPerSec), e.Step == e.Steps)
		case progress.Sharpness:
			line := fmt.Sprintf("step %d: λmax %.4g ± %.2g (%d products)", e.Step, e.LambdaMax, e.Residual, e.Products)
			if e.Threshold > 0 {
				line += fmt.Sprintf(", %.0f%% of the stability threshold %.4g", 100*e.LambdaMax/e.Threshold, e.Threshold)
			}
			rep.line("%s", line)
		case progress.Epoch:
			epochElapsed = e.Elapsed
			rep.line("epoch %d/%d: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%% | %s",
				e.Epoch, e.Epochs, e.TrainLoss, 100*e.TrainAcc, e.TestLoss, 100*e.TestAcc, fmtDuration(e.EpochElapsed))
		}
	})
	if res == nil {
		return err
	}
	saved, saveErr := train.Save(out.Path, cfg, res, src.Name)
	if errors.Is(saveErr, train.ErrNoSteps) {
		rep.line("%v", saveErr)
		if err == nil {
			err = context.Canceled
		}
		return err
	}
	if saveErr != nil {
		return errors.Join(err, saveErr)
	}
	if res.Diverged {
		rep.line("wrote the diverged weights to %s, not to %s", saved, out.Path)
		return err
	}
	if err != nil {
		rep.line("saved the weights as they were to %s", saved)
		return err
	}
	if res.Stopped {
		rep.line("stopped after %d steps; saved the last completed step to %s", res.Steps, out.Path)
		return context.Canceled
	}
	if len(res.Sharpness) > 0 {
		rep.line("%s", trackSummary(cfg, res))
	}
	rep.line("saved %s and %s", out.Path, checkpoint.TrajectoryPath(out.Path))
	return nil
}

// trackSummary says where λmax went, against which threshold, and how
// long the measurements ran (beside the steps: what they cost is the run's
// time against one without tracking).
func trackSummary(cfg train.Config, res *train.Result) string {
	first, last := res.Sharpness[0], res.Sharpness[len(res.Sharpness)-1]
	s := fmt.Sprintf("λmax %.4g at step %d → %.4g at step %d", first.LambdaMax, first.Step, last.LambdaMax, last.Step)
	if t := cfg.StabilityThreshold(); t > 0 {
		rule := "2/η"
		if cfg.Momentum > 0 {
			rule = "(2+2β)/η"
		}
		if c := train.FirstCrossing(res.Sharpness, t); c >= 0 {
			s += fmt.Sprintf("; first at or above %s = %.4g at step %d", rule, t, c)
		} else {
			s += fmt.Sprintf("; below %s = %.4g throughout", rule, t)
		}
	}
	return s + fmt.Sprintf("; tracking ran %s beside the %s of training", fmtDuration(res.TrackTime), fmtDuration(res.Elapsed))
}

// announceTraining says what is trained on what, before it starts.
func announceTraining(rep *reporter, cfg train.Config, src *data.Source) {
	rep.line("training %s (%d parameters) on %s (%v images, %d classes, normalized %v): %s lr %g, batch %d, %d epoch(s), seed %d",
		cfg.Arch.Preset, cfg.Arch.ParamCount(), src.Name, src.Shape(), cfg.Arch.Classes, cfg.Arch.Norm, cfg.Optimizer, cfg.LR, cfg.Batch, cfg.Epochs, cfg.Seed)
}
