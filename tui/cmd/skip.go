package cmd

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/basin-dev/basin/core/compare"
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
	e, err := newExperiment(&tf, &sf, &shf, *out, stderr)
	if err != nil {
		return err
	}
	cfg := e.cfg
	if err := fitsData(e.src, e.st, [2]int{cfg.Batch, cfg.Batch}); err != nil {
		return err
	}
	e.rep.line("skip-connection experiment on %s: %s and %s, %s lr %g, batch %d, %d epoch(s), seed %d",
		e.src.Name, compare.SkipPresets[0], compare.SkipPresets[1], cfg.Optimizer, cfg.LR, cfg.Batch, cfg.Epochs, cfg.Seed)
	runs, c, runErr := compare.Architectures(ctx, cfg, compare.SkipPresets, e.src, e.st, *out, e.say, e.epochs)
	for i, r := range runs {
		if r.Path != "" {
			e.rep.line("%s: %d epoch(s), training loss %.4f, saved %s", compare.SkipPresets[i], r.Epochs, r.Loss, r.Path)
		}
	}
	if err := e.save(c, runErr); err != nil || c == nil {
		return err
	}
	printComparison(stdout, c, e.st.Threshold, []string{runs[0].Path, runs[1].Path})
	e.rep.line("saved %s (%s): basin plot %s --out skip.png draws both planes on one scale",
		e.cmpPath, fmtDuration(time.Since(e.start)), e.cmpPath)
	return nil
}
