package cmd

import (
	"context"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/compare"
	"github.com/basin-dev/basin/tui/flags"
)

func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", "basin compare A.safetensors B.safetensors [--alpha -1:1] [--beta -1:1] [--grid 21] [--points 51] [--norm filter] [--seed 1] [--samples 1000] [--directions 10] [--epsilon 1e-3,5e-4] [--top 1] [--per-layer] --out cmp.npz", stdout)
	var sf flags.Scan
	sf.Register(fs.FlagSet, flags.Both, "seed")
	mf := &modelFlags{}
	flags.RegisterData(fs.FlagSet, &mf.Data)
	mf.registerNorm(fs)
	out := outFlag(fs, "the .npz to write, like --out cmp.npz", "the .npz to write both models' surfaces and numbers into (required)")
	var shf flags.Sharpness
	shf.Register(fs.FlagSet)
	paths, err := parsePaths(fs, args, 2, "name two checkpoints to compare, like: basin compare A.safetensors B.safetensors --out cmp.npz")
	if err != nil {
		return err
	}
	if err := out.required(); err != nil {
		return err
	}
	st, err := compareSettings(&sf, &shf)
	if err != nil {
		return err
	}
	threshold := st.Threshold
	if err := out.writable(); err != nil {
		return err
	}
	mf.Checkpoint = paths[0]
	in, err := loadModel(mf, sf.Images, stderr) // A, and the data it is measured on
	if err != nil {
		return err
	}
	b, err := checkpoint.Open(paths[1])
	if err != nil {
		return usage(err)
	}
	if err := mf.applyNorm(b); err != nil {
		return err
	}
	rep := newReporter(stderr)
	start := time.Now()
	c, runErr := compare.Run(ctx, in.ck, b, in.src, st, func(what string) {
		rep.line("%s (%s)", what, fmtDuration(time.Since(start)))
	})
	if c == nil {
		return usage(runErr)
	}
	if err := c.Save(out.Path); err != nil {
		return err
	}
	if runErr != nil { // a half-measured side would read as numbers: no table
		rep.line("stopped early: %s has the surfaces finished so far", out.Path)
		return runErr
	}
	printComparison(stdout, c, threshold, paths)
	rep.line("saved %s (%s)", out.Path, fmtDuration(time.Since(start)))
	return nil
}

// compareSettings validates the scan and sharpness flags of compare and
// the batch-size experiment into what both models are measured with.
func compareSettings(sf *flags.Scan, shf *flags.Sharpness) (compare.Settings, error) {
	k, eps, threshold, err := shf.Values()
	if err != nil {
		return compare.Settings{}, usage(err)
	}
	st := compare.Settings{Directions: k, Epsilons: eps, Threshold: threshold}
	if st.Line, err = sf.Settings(false); err != nil {
		return st, usage(err)
	}
	if st.Hessian, err = shf.Hessian(st.Line.Direction.Seed); err != nil {
		return st, usage(err)
	}
	if st.Plane, err = sf.Settings(true); err != nil {
		return st, usage(err)
	}
	if k > 0 && (st.Line.Alpha.Min > 0 || st.Line.Alpha.Max < 0) {
		return st, usagef("--alpha %q: the range must contain the centre 0 to measure the basins", sf.Alpha)
	}
	return st, nil
}

func printComparison(w io.Writer, c *compare.Comparison, threshold float64, paths []string) {
	la, lb := checkpoint.DistinctNames(paths[0], paths[1])
	if c.A.Meta != nil && c.B.Meta != nil {
		la, lb = checkpoint.Labels(&checkpoint.Checkpoint{Path: paths[0], Meta: c.A.Meta}, &checkpoint.Checkpoint{Path: paths[1], Meta: c.B.Meta})
	}
	side := func(path, label string) string {
		if label == path {
			return path
		}
		return path + "  (" + label + ")"
	}
	fmt.Fprintf(w, "A  %s\nB  %s\n\n", side(paths[0], la), side(paths[1], lb))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tA\tB\tB/A")
	for _, r := range c.Rows(threshold) {
		ratio := "—"
		if !math.IsNaN(r.Ratio) && !math.IsInf(r.Ratio, 0) {
			ratio = fmt.Sprintf("%.3g", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.What, r.A, r.B, ratio)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nverdict: %s\n", compare.Decide(&c.A, &c.B).Line)
}
