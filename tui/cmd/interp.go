package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/flags"
)

// runInterp is basin interp A B: f(t) = L((1−t)·θA + t·θB).
func runInterp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("interp", "basin interp A.safetensors B.safetensors [--t -0.5:1.5] [--points 41] [--samples 1000] [--seed 1] [--workers N] --out interp.npz", stdout)
	tRange := fs.String("t", "-0.5:1.5", "range of t: 0 is A, 1 is B")
	points := fs.Int("points", 41, "points along t")
	samples := fs.Int("samples", 1000, "training images, and as many test images, drawn with --seed")
	seed := fs.Uint64("seed", 1, "seed of the image samples")
	workers := fs.Int("workers", 0, "parallel evaluations (0: one per core)")
	mf := &modelFlags{}
	flags.RegisterData(fs.FlagSet, &mf.Data)
	mf.registerNorm(fs)
	out := outFlag(fs, "the surface file to write, like --out interp.npz", "surface file to write: .npz, .csv or .json (required)")
	paths, err := parsePaths(fs, args, 2, "name two checkpoints, like: basin interp A.safetensors B.safetensors --out interp.npz")
	if err != nil {
		return err
	}
	if err := out.required(); err != nil {
		return err
	}
	fmtName, err := surface.FormatFor(out.Path, "")
	if err != nil {
		return usagef("--out: %w", err)
	}
	lo, hi, err := flags.Range(*tRange)
	if err == nil {
		err = flags.CheckRange(lo, hi)
	}
	if err != nil {
		return usagef("--t %q: %v", *tRange, err)
	}
	st := scan.Settings{Alpha: surface.Axis{Min: lo, Max: hi, N: *points}, SampleSeed: *seed, Split: data.Train, Samples: *samples, Workers: *workers,
		Direction: direction.Spec{Norm: direction.None}}
	if err := st.Validate(); err != nil {
		return usage(err)
	}
	if err := out.writable(); err != nil {
		return err
	}
	var cks [2]*checkpoint.Checkpoint
	for i, p := range paths {
		if cks[i], err = checkpoint.Open(p); err != nil {
			return usage(err)
		}
		if err := mf.applyNorm(cks[i]); err != nil {
			return err
		}
	}
	if err := cks[0].Arch.Same(cks[1].Arch); err != nil {
		return usagef("A and B are %v: interpolation needs one architecture", err)
	}
	src, err := loadDataFor(cks[0], mf.Data)
	if err != nil {
		return err
	}
	for _, ck := range cks {
		if err := ck.Fits(src); err != nil {
			return usage(err)
		}
		if ck.NormNote() != "" {
			fmt.Fprintln(stderr, ck.NormNote())
		}
	}
	rep := newReporter(stderr)
	rep.line("interpolating %s → %s (%s): t %g:%g at %d points, %d train and %d test images", paths[0], paths[1], cks[0].Arch.Preset, lo, hi, *points, *samples, *samples)
	start := time.Now()
	label := ""
	s, runErr := scan.Interpolate(ctx, cks[0], cks[1], src, st, nil, rep.points(&label, 0, func(p progress.Point) string {
		return fmt.Sprintf("t %.3g loss %.4f", p.Alpha, p.Loss)
	}), func(sp data.Split) { label = string(sp) })
	if s == nil {
		return usage(runErr)
	}
	if err := surface.Save(out.Path, fmtName, s); err != nil {
		return err
	}
	if runErr != nil {
		rep.line("stopped early: %s has the %d of %d points finished", out.Path, s.Meta.Computed, s.Meta.Total)
		return runErr
	}
	printInterp(stdout, s)
	rep.line("saved %s (%s)", out.Path, fmtDuration(time.Since(start)))
	return nil
}

// printInterp gives both ends and the barrier between them: the highest
// loss on 0 < t < 1 above the higher end (Frankle et al. 2020's linear
// mode connectivity reads it; near 0, A and B sit in one basin).
func printInterp(w io.Writer, s *surface.Surface) {
	ends, _ := scan.FindBarrier(s.Alpha, s.Loss)
	fmt.Fprintf(w, "%-10s %-22s %-22s\n", "", "train loss (acc)", "test loss (acc)")
	for _, r := range []struct {
		name string
		k    int
	}{{"t=0 (A)", ends.A}, {"t=1 (B)", ends.B}} {
		fmt.Fprintf(w, "%-10s %-22s %-22s\n", r.name, fmt.Sprintf("%.4f (%.2f%%)", s.Loss[r.k], 100*s.Acc[r.k]), fmt.Sprintf("%.4f (%.2f%%)", s.TestLoss[r.k], 100*s.TestAcc[r.k]))
	}
	for _, split := range []struct {
		name string
		loss []float64
	}{{"train", s.Loss}, {"test", s.TestLoss}} {
		if b, ok := scan.FindBarrier(s.Alpha, split.loss); ok {
			fmt.Fprintf(w, "barrier (%s): %.4f at t=%.3g, the highest loss between A and B above the higher end\n", split.name, b.Height, b.At)
		}
	}
}
