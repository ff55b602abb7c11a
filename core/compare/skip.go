package compare

import (
	"context"
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
		run, ck, err := trainAndLoad(ctx, c, src, filepath.Join(dir, name+".safetensors"), sink)
		runs[i] = run
		if err != nil {
			return runs, nil, fmt.Errorf("train %s: %w", name, err)
		}
		cks[i] = ck
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
