package compare

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/basin-dev/basin/core/build"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/train"
)

// SkipPresets are the two nets of Li et al.'s Figure 5: a ResNet and the
// same net without its shortcuts.
var SkipPresets = [2]string{"resnet", "resnet-noshort"}

// Architectures trains two architectures from the same seed with the same
// optimizer, data and epochs (cfg with each preset in turn), saves them to
// dir as PRESET.safetensors, and measures both alike: Li et al.'s skip
// connection experiment with SkipPresets. The directions differ (each
// net is normalized against its own weights, as Li et al. do), the
// settings and images are the same.
func Architectures(ctx context.Context, cfg train.Config, presets [2]string, src *data.Source, st Settings, dir string,
	say func(string), sink progress.Sink) ([2]Trained, *Comparison, error) {
	if say == nil {
		say = func(string) {}
	}
	var runs [2]Trained
	var cks [2]*checkpoint.Checkpoint
	for i, name := range presets {
		c := cfg
		c.Arch, c.File = model.Arch{Preset: name}, nil
		say(fmt.Sprintf("training %s (%d epochs)", name, c.Epochs))
		res, err := train.Train(ctx, c, src, sink)
		if res == nil {
			return runs, nil, fmt.Errorf("train %s: %w", name, err)
		}
		path, saveErr := train.Save(filepath.Join(dir, name+".safetensors"), c, res, src.Name)
		if errors.Is(saveErr, train.ErrNoSteps) {
			return runs, nil, fmt.Errorf("train %s: %w", name, errors.Join(err, ctx.Err(), saveErr))
		}
		if saveErr != nil {
			return runs, nil, saveErr
		}
		runs[i] = Trained{Batch: c.Batch, Epochs: len(res.History), Path: path}
		if n := len(res.History); n > 0 {
			runs[i].Loss = res.History[n-1].TrainLoss
		}
		if err != nil || res.Stopped {
			if err == nil {
				err = ctx.Err()
			}
			return runs, nil, fmt.Errorf("train %s: %w", name, err)
		}
		if cks[i], err = checkpoint.Load(path); err != nil {
			return runs, nil, err
		}
	}
	c := &Comparison{Preset: presets[0] + " vs " + presets[1], Version: build.Version}
	c.Sides = [2]*Side{&c.A, &c.B}
	for i, ck := range cks {
		pool := model.NewPool(ck.Arch, scan.DefaultWorkers())
		err := measureSide(ctx, c.Sides[i], i, ck, src, st, pool, say)
		pool.Close()
		if err != nil {
			return runs, c, err
		}
	}
	return runs, c, nil
}
