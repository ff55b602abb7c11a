package cmd

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/compare"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/tui/flags"
)

// runSkip is basin experiment skip: Li et al.'s Figure 5, a ResNet and
// the same net without shortcuts trained alike, then compared.
func runSkip(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("experiment", "basin experiment skip [--data DIR] [--epochs 1] [--batch 64] [--lr 0.05] [--seed 1] [scan flags] [--lambda-min] --out DIR", stdout)
	var tf flags.Train
	tf.Register(fs.FlagSet)
	var sf flags.Scan
	sf.Register(fs.FlagSet, flags.Both, "direction-seed")
	var shf flags.Sharpness
	shf.Register(fs.FlagSet)
	out := fs.String("out", "", "folder for the two checkpoints and compare.npz (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var fixed string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "preset" || f.Name == "arch" {
			fixed = f.Name
		}
	})
	if fixed != "" {
		return usagef("--%s: the experiment trains %s and %s", fixed, compare.SkipPresets[0], compare.SkipPresets[1])
	}
	if *out == "" {
		return usagef("--out is required: name a folder for the checkpoints and compare.npz, like --out skip-exp")
	}
	cfg, err := tf.Config()
	if err != nil {
		return usage(err)
	}
	st, err := compareSettings(&sf, &shf)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return usagef("--out: %w", err)
	}
	cmpPath := filepath.Join(*out, "compare.npz")
	if err := atomicfile.CheckWritable(cmpPath); err != nil {
		return usagef("--out: %w", err)
	}
	src, err := loadData(tf.Data)
	if err != nil {
		return err
	}
	if err := fitsData(src, st, [2]int{cfg.Batch, cfg.Batch}); err != nil {
		return err
	}
	rep := newReporter(stderr)
	rep.line("skip-connection experiment on %s: %s and %s, %s lr %g, batch %d, %d epoch(s), seed %d",
		src.Name, compare.SkipPresets[0], compare.SkipPresets[1], cfg.Optimizer, cfg.LR, cfg.Batch, cfg.Epochs, cfg.Seed)
	start := time.Now()
	runs, c, runErr := compare.Architectures(ctx, cfg, compare.SkipPresets, src, st, *out,
		func(what string) { rep.line("%s (%s)", what, fmtDuration(time.Since(start))) },
		func(e progress.Event) {
			if ep, ok := e.(progress.Epoch); ok {
				rep.line("  epoch %d: train loss %.4f | test loss %.4f acc %.2f%%", ep.Epoch, ep.TrainLoss, ep.TestLoss, 100*ep.TestAcc)
			}
		})
	for i, r := range runs {
		if r.Path != "" {
			rep.line("%s: %d epoch(s), training loss %.4f, saved %s", compare.SkipPresets[i], r.Epochs, r.Loss, r.Path)
		}
	}
	if c == nil {
		return runErr
	}
	if err := c.Save(cmpPath); err != nil {
		return err
	}
	if runErr != nil {
		rep.line("stopped early: %s has the surfaces finished so far", cmpPath)
		return runErr
	}
	printComparison(stdout, c, st.Threshold, []string{runs[0].Path, runs[1].Path})
	rep.line("saved %s (%s): basin %s shows both planes on one scale", cmpPath, fmtDuration(time.Since(start)), cmpPath)
	return nil
}
