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
func registerModel(fs *flags.Set) (ckPath, dataDir *string) {
	ckPath = fs.String("checkpoint", "", "checkpoint to load (.safetensors, or pretrained:small, :standard, :mlp for a shipped one; required)")
	dataDir = new(string)
	flags.RegisterData(fs.FlagSet, dataDir)
	return ckPath, dataDir
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
func loadModel(ckPath, dataDir string, im flags.Images) (*evalInputs, error) {
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
	src, err := loadDataFor(ck, dataDir)
	if err != nil {
		return nil, err
	}
	if err := ck.Fits(src); err != nil {
		return nil, usage(err)
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
	ckPath, dataDir := registerModel(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	in, err := loadModel(*ckPath, *dataDir, im)
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
