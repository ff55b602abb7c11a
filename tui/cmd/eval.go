package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/tui/flags"
)

// registerModel adds --checkpoint and --data, shared by eval and scans.
// modelFlags name a model and the data it is measured on.
type modelFlags struct {
	Checkpoint, Data string
	Mean, Std        string // "" for what the model records (an ONNX file: the data's own)
}

// registerModel adds --checkpoint, --data, --mean and --std.
func registerModel(fs *flags.Set) *modelFlags {
	mf := &modelFlags{}
	fs.StringVar(&mf.Checkpoint, "checkpoint", "", "model to load: a .safetensors checkpoint, an .onnx model, or pretrained:small, :standard, :mlp, :resnet for a shipped one (required)")
	flags.RegisterData(fs.FlagSet, &mf.Data)
	mf.registerNorm(fs)
	return mf
}

// registerNorm adds --mean and --std.
func (mf *modelFlags) registerNorm(fs *flags.Set) {
	fs.StringVar(&mf.Mean, "mean", "", "per-channel input mean, comma-separated, for an .onnx model (default: the data set's own, printed)")
	fs.StringVar(&mf.Std, "std", "", "per-channel input standard deviation, comma-separated, with --mean")
}

// applyNorm gives ck the --mean and --std asked for.
func (mf *modelFlags) applyNorm(ck *checkpoint.Checkpoint) error {
	if (mf.Mean == "") != (mf.Std == "") {
		return usagef("give --mean and --std together, like --mean 0.286 --std 0.353")
	}
	if mf.Mean == "" {
		return nil
	}
	n, err := data.ParseNorm(mf.Mean, mf.Std)
	if err != nil {
		return usagef("--mean/--std: %v", err)
	}
	if err := ck.SetNorm(n); err != nil {
		return usage(err)
	}
	return nil
}

type evalInputs struct {
	ck    *checkpoint.Checkpoint
	src   *data.Source
	split data.Split
}

// loadDataFor loads the data to evaluate ck on: --data when given, else
// the data set it was trained on (the embedded MNIST when it records none).
func loadDataFor(ck *checkpoint.Checkpoint, dataDir string) (*data.Source, error) {
	rec := ck.TrainedOn()
	if dataDir != "" || rec == "" {
		return loadData(dataDir)
	}
	src, err := data.Load(rec)
	if err != nil {
		return nil, usagef("%s was trained on %s, which cannot be read (%v): give --data", ck.Path, rec, err)
	}
	return src, nil
}

// loadModel reads the checkpoint and the data, checking that they fit
// and that the split has the images asked for.
func loadModel(mf *modelFlags, im flags.Images, stderr io.Writer) (*evalInputs, error) {
	ckPath, dataDir := mf.Checkpoint, mf.Data
	if ckPath == "" {
		return nil, usagef("--checkpoint is required: name a .safetensors file made by 'basin train'")
	}
	split, err := im.Validate()
	if err != nil {
		return nil, usage(err)
	}
	ck, err := checkpoint.Open(ckPath)
	if err != nil {
		return nil, usage(err)
	}
	if err := mf.applyNorm(ck); err != nil {
		return nil, err
	}
	src, err := loadDataFor(ck, dataDir)
	if err != nil {
		return nil, err
	}
	if err := ck.Fits(src); err != nil {
		return nil, usage(err)
	}
	if ck.NormNote() != "" {
		fmt.Fprintln(stderr, ck.NormNote())
	}
	if n := src.Split(split).Len(); im.Samples > n {
		return nil, usagef("--samples %d is more than the %d images of the %s split", im.Samples, n, split)
	}
	return &evalInputs{ck: ck, src: src, split: split}, nil
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "basin eval --checkpoint F [--split train] [--samples 1000] [--seed 1] [--data DIR]", stdout)
	var im flags.Images
	im.Register(fs.FlagSet, "seed")
	mf := registerModel(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	in, err := loadModel(mf, im, stderr)
	if err != nil {
		return err
	}
	set, _, err := scan.EvalSet(in.src, in.split, im.Samples, im.Seed)
	if err != nil {
		return usage(err)
	}
	ev := model.NewEvaluator(in.ck.Arch, in.ck.Params)
	defer ev.Close()
	r, err := ev.Evaluate(set)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loss %.6f ± %.6f  accuracy %.2f%%  (%s, %d %s images, seed %d)\n",
		r.Loss, r.LossSE, 100*r.Accuracy, in.ck.Path, im.Samples, in.split, im.Seed)
	return nil
}
