package flags

import (
	"flag"
	"fmt"
	"strings"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/train"
)

// Train are the flags that configure training: basin train's and the
// app's.
type Train struct {
	Preset, Optimizer, Data   string
	Arch                      string // an architecture file; overrides Preset
	Mean, Std                 string // per-channel normalization, "" for the data's own
	Epochs, Batch             int
	LR, Momentum, WeightDecay float64
	Seed                      uint64
	TrackEvery, TrackImages   int
	SnapshotEvery             int
}

// Register adds the training flags to fs.
func (t *Train) Register(fs *flag.FlagSet) {
	fs.StringVar(&t.Preset, "preset", model.DefaultPreset, "architecture: "+strings.Join(model.Presets(), ", "))
	fs.StringVar(&t.Arch, "arch", "", "an architecture file (one layer per line; see the README), instead of --preset")
	fs.IntVar(&t.Epochs, "epochs", 1, "passes over the training set")
	fs.IntVar(&t.Batch, "batch", 64, "images per optimizer step")
	fs.Float64Var(&t.LR, "lr", 0, "learning rate (default 0.05 for sgd, 0.001 for adam)")
	fs.Float64Var(&t.Momentum, "momentum", 0.9, "SGD momentum")
	fs.Float64Var(&t.WeightDecay, "weight-decay", 0, "L2 weight decay")
	fs.StringVar(&t.Optimizer, "optimizer", train.SGD, "sgd (with momentum) or adam")
	fs.Uint64Var(&t.Seed, "seed", 1, "seed of the initial weights and the batch order")
	fs.IntVar(&t.SnapshotEvery, "snapshot-every", 0, "keep the weights every N steps for the trajectory (0: about 50 an epoch)")
	fs.IntVar(&t.TrackEvery, "track-sharpness", 0, "measure the Hessian's λmax every N steps, to watch the edge of stability (0: off)")
	fs.IntVar(&t.TrackImages, "track-images", train.DefaultTrackImages, "training images λmax is tracked on (a fixed, seeded sample)")
	fs.StringVar(&t.Mean, "mean", "", "per-channel input mean, comma-separated (default: the training images' own)")
	fs.StringVar(&t.Std, "std", "", "per-channel input standard deviation, comma-separated (default: the training images' own)")
	RegisterData(fs, &t.Data)
}

// RegisterData adds --data: every command that reads images has it.
func RegisterData(fs *flag.FlagSet, dir *string) {
	fs.StringVar(dir, "data", "", "a data set: a directory of IDX files (MNIST's layout, any image size) or CIFAR-10/100 binary batches, or an .npz file (default: the embedded MNIST)")
}

// Config validates the flags into a training configuration.
func (t *Train) Config() (train.Config, error) {
	var file *model.File
	var err error
	if t.Arch != "" {
		file, err = model.ReadArchFile(t.Arch)
	} else {
		file, err = model.PresetFile(t.Preset)
	}
	if err != nil {
		if t.Arch == "" {
			err = fmt.Errorf("--preset: %w", err)
		}
		return train.Config{}, err
	}
	arch := model.Arch{Preset: file.Name}
	lr := t.LR
	if lr == 0 {
		lr = train.DefaultLR(t.Optimizer)
	}
	cfg := train.Config{Arch: arch, File: file, Epochs: t.Epochs, Batch: t.Batch, LR: lr, Momentum: t.Momentum,
		WeightDecay: t.WeightDecay, Optimizer: t.Optimizer, Seed: t.Seed,
		Track: train.Tracking{Every: t.TrackEvery, Images: t.TrackImages}, SnapshotEvery: t.SnapshotEvery}
	if t.SnapshotEvery < 0 {
		return cfg, fmt.Errorf("--snapshot-every %d: use 0 (about %d an epoch) or a number of steps", t.SnapshotEvery, train.SnapshotsPerEpoch)
	}
	if t.TrackEvery < 0 {
		return cfg, fmt.Errorf("--track-sharpness %d: use 0 (off) or a number of steps", t.TrackEvery)
	}
	if t.TrackImages < 1 || t.TrackImages > 60000 {
		return cfg, fmt.Errorf("--track-images %d: use 1 to 60000", t.TrackImages)
	}
	if (t.Mean == "") != (t.Std == "") {
		return cfg, fmt.Errorf("--mean and --std go together: give both, or neither for the training images' own")
	}
	if t.Mean != "" {
		n, err := data.ParseNorm(t.Mean, t.Std)
		if err != nil {
			return cfg, err
		}
		cfg.Norm = &n
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}
