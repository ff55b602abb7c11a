package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
)

// TrainFlags are the flags that configure training, shared with the TUI.
type TrainFlags struct {
	Preset, Optimizer, Data   string
	Epochs, Batch             int
	LR, Momentum, WeightDecay float64
	Seed                      uint64
}

// Register adds the training flags to fs.
func (t *TrainFlags) Register(fs interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	Float64Var(*float64, string, float64, string)
	Uint64Var(*uint64, string, uint64, string)
}) {
	fs.StringVar(&t.Preset, "preset", model.DefaultPreset, "architecture: small, standard or mlp")
	fs.IntVar(&t.Epochs, "epochs", 1, "passes over the training set")
	fs.IntVar(&t.Batch, "batch", 64, "images per optimizer step")
	fs.Float64Var(&t.LR, "lr", 0, "learning rate (default 0.05 for sgd, 0.001 for adam)")
	fs.Float64Var(&t.Momentum, "momentum", 0.9, "SGD momentum")
	fs.Float64Var(&t.WeightDecay, "weight-decay", 0, "L2 weight decay")
	fs.StringVar(&t.Optimizer, "optimizer", train.SGD, "sgd (with momentum) or adam")
	fs.Uint64Var(&t.Seed, "seed", 1, "seed of the initial weights and the batch order")
	fs.StringVar(&t.Data, "data", "", "directory of an IDX data set in MNIST's layout (default: the embedded MNIST)")
}

// Config validates the flags into a training configuration.
func (t *TrainFlags) Config() (train.Config, error) {
	arch, err := model.Preset(t.Preset)
	if err != nil {
		return train.Config{}, usagef("--preset: %v", err)
	}
	lr := t.LR
	if lr == 0 {
		lr = train.DefaultLR(t.Optimizer)
	}
	cfg := train.Config{Arch: arch, Epochs: t.Epochs, Batch: t.Batch, LR: lr, Momentum: t.Momentum,
		WeightDecay: t.WeightDecay, Optimizer: t.Optimizer, Seed: t.Seed}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err.Error()}
	}
	return cfg, nil
}

// TrainMeta is the checkpoint metadata of a training result.
func TrainMeta(cfg train.Config, res *train.Result, dataName string) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	m := map[string]string{
		"seed": fmt.Sprint(cfg.Seed), "optimizer": cfg.Optimizer, "lr": f(cfg.LR),
		"momentum": f(cfg.Momentum), "weight_decay": f(cfg.WeightDecay), "batch": fmt.Sprint(cfg.Batch),
		"epochs_planned": fmt.Sprint(cfg.Epochs), "epochs": fmt.Sprint(len(res.History)),
		"steps": fmt.Sprint(res.Steps), "data": dataName, "basin_version": Version,
		"stopped_early": strconv.FormatBool(res.Stopped),
		"created":       time.Now().UTC().Format(time.RFC3339),
	}
	if n := len(res.History); n > 0 && !res.Stopped {
		m["test_loss"], m["test_accuracy"] = f(res.History[n-1].TestLoss), f(res.History[n-1].TestAcc)
	}
	return m
}

// SaveTraining writes the checkpoint and its trajectory beside it.
func SaveTraining(path string, cfg train.Config, res *train.Result, dataName string) error {
	meta := TrainMeta(cfg, res, dataName)
	if err := checkpoint.Save(path, cfg.Arch, res.Params, meta); err != nil {
		return err
	}
	return checkpoint.SaveTrajectory(checkpoint.TrajectoryPath(path), cfg.Arch, res.Trajectory, meta)
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "basin train [--preset small] [--epochs 1] [--batch 64] [--lr 0.05] [--optimizer sgd|adam] [--seed 1] [--data DIR] --out model.safetensors", stdout)
	var tf TrainFlags
	tf.Register(fs)
	out := fs.String("out", "", "checkpoint file to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required: name the checkpoint to write, like --out model.safetensors")
	}
	cfg, err := tf.Config()
	if err != nil {
		return err
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
	if saveErr := SaveTraining(*out, cfg, res, src.Name); saveErr != nil {
		return saveErr
	}
	if err != nil {
		rep.line("saved the weights as they were to %s", *out)
		return err
	}
	if res.Stopped {
		rep.line("stopped after %d steps; saved the last completed step to %s", res.Steps, *out)
		return context.Canceled
	}
	rep.line("saved %s and %s", *out, checkpoint.TrajectoryPath(*out))
	return nil
}
