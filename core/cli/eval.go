package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
)

// evalFlags choose a checkpoint and the images it is evaluated on; eval
// and the scans share them so the same flags mean the same images.
type evalFlags struct {
	checkpoint, split, data string
	samples                 int
	seed                    uint64
}

func (f *evalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint to load (.safetensors; required)")
	fs.StringVar(&f.split, "split", string(data.Train), "images to evaluate on: train or test")
	fs.IntVar(&f.samples, "samples", 1000, "number of images, drawn with the seed")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the image sample (and of the directions in a scan)")
	fs.StringVar(&f.data, "data", "", "directory of an IDX data set in MNIST's layout (default: the embedded MNIST)")
}

type evalInputs struct {
	ck    *checkpoint.Checkpoint
	src   *data.Source
	split data.Split
}

func (f *evalFlags) load() (*evalInputs, error) {
	if f.checkpoint == "" {
		return nil, usagef("--checkpoint is required: name a .safetensors file made by 'basin train'")
	}
	split, err := data.ParseSplit(f.split)
	if err != nil {
		return nil, usagef("--split: %v", err)
	}
	if f.samples < 1 {
		return nil, usagef("--samples %d: use at least 1", f.samples)
	}
	ck, err := checkpoint.Load(f.checkpoint)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	src, err := loadData(f.data)
	if err != nil {
		return nil, err
	}
	if n := src.Split(split).Len(); f.samples > n {
		return nil, usagef("--samples %d is more than the %d images of the %s split", f.samples, n, split)
	}
	return &evalInputs{ck: ck, src: src, split: split}, nil
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "basin eval --checkpoint F [--split train] [--samples 1000] [--seed 1] [--data DIR]", stdout)
	var ef evalFlags
	ef.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	in, err := ef.load()
	if err != nil {
		return err
	}
	set, _, err := scan.EvalSet(in.src, in.split, ef.samples, ef.seed)
	if err != nil {
		return usageError{err.Error()}
	}
	r, err := model.NewEvaluator(in.ck.Arch, in.ck.Params).Evaluate(set)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loss %.6f  accuracy %.2f%%  (%s, %d %s images, seed %d)\n",
		r.Loss, 100*r.Accuracy, in.ck.Path, ef.samples, in.split, ef.seed)
	return nil
}
