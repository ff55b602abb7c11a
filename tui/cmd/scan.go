package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/flags"
)

func runScan(ctx context.Context, plane bool, args []string, stdout, stderr io.Writer) error {
	name, shape := "scan1d", flags.Line
	synopsis := "basin scan1d --checkpoint F [--alpha -1:1] [--points 51] [--norm filter|layer|none] [--seed 1] [--samples 1000] [--split train] [--workers N] --out s.npz"
	if plane {
		name, shape = "scan2d", flags.Plane
		synopsis = "basin scan2d --checkpoint F [--alpha -1:1] [--beta -1:1] [--grid 21|41x21] [--norm filter|layer|none] [--seed 1] [--samples 1000] [--split train] [--workers N] --out s.npz"
	}
	fs := newFlags(name, synopsis, stdout)
	var sf flags.Scan
	sf.Register(fs.FlagSet, shape, "seed")
	ckPath, dataDir := registerModel(fs)
	out := fs.String("out", "", "surface file to write: .npz, .csv or .json (required)")
	format := fs.String("format", "", "npz, csv or json (default: from the --out extension)")
	resume := fs.Bool("resume", false, "compute only the missing points of an existing --out .npz file")
	threshold := fs.Float64("threshold", surface.DefaultThreshold, "basin edge: loss above centre + this")
	shardFlag := fs.String("shard", "", "compute only shard i of n of the grid, i/n (default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX when set); merge the parts with basin merge")
	shards := fs.Int("shards", 0, "number of shards, for a Kubernetes Indexed Job (or BASIN_SHARDS)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required: name the surface file to write, like --out s.npz")
	}
	shard, shardFrom, err := flags.Shard(*shardFlag, *shards, os.Getenv)
	if err != nil {
		return usage(err)
	}
	if shard != nil {
		if !strings.Contains(*out, flags.ShardPlaceholder) && shardFrom[0] != '-' {
			return usagef("--out %q: a job array's tasks would all write it; put %s in it, like --out parts/part-%s.npz", *out, flags.ShardPlaceholder, flags.ShardPlaceholder)
		}
		*out = flags.ShardOut(*out, shard)
		// The tasks of a job array share the parts' folder: the first makes it.
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return usagef("--out: %v", err)
		}
	}
	fmtName, err := surface.FormatFor(*out, *format)
	if err != nil {
		return usagef("--format: %w", err)
	}
	if shard != nil && fmtName != surface.NPZ {
		return usagef("--out: a shard's part must be an .npz (basin merge reads the directions from it)")
	}
	if *resume && fmtName != surface.NPZ {
		return usagef("--resume needs an .npz surface; %s files do not record the directions", fmtName)
	}
	st, err := sf.Settings(plane)
	if err != nil {
		return usage(err)
	}
	st.Shard = shard
	// Before any loading or computing: a scan that cannot be saved is
	// not worth starting.
	if err := atomicfile.CheckWritable(*out); err != nil {
		return usagef("--out: %w", err)
	}
	begin := time.Now()
	in, err := loadModel(*ckPath, *dataDir, sf.Images)
	if err != nil {
		return err
	}
	ss, err := scan.NewSession(in.ck, in.src, st)
	if err != nil {
		return usage(err)
	}
	in.src = nil // the scan needs only its evaluation images: let the rest go
	limitHeap(st.Workers)
	ss.Out = func() (string, error) { return *out, nil }
	ss.Format, ss.SaveEvery = fmtName, 10*time.Second
	rep := newReporter(stderr)
	if *resume {
		old, err := surface.Load(*out)
		if err != nil {
			return usage(err)
		}
		if err := ss.Resume(old); err != nil {
			return usagef("--resume: %s was made with other settings: %w", *out, err)
		}
		rep.line("resuming %s: %d of %d points done", *out, ss.Surface.Computed(), ss.Surface.Len())
	} else if _, err := os.Stat(*out); err == nil {
		rep.line("overwriting %s (use --resume to fill in a partial surface instead)", *out)
	}
	s := ss.Surface
	rep.line("%s of %s (%s) on %d %s images, %s-normalized directions, seed %d, %d points",
		name, in.ck.Path, in.ck.Arch.Preset, st.Samples, st.Split, st.Direction.Norm, st.Direction.Seed, s.Len())
	if shard != nil && len(scan.ShardPoints(s.Alpha.N, s.NY(), *shard)) == 0 {
		return usagef("shard %d/%d has no points: a grid of %d points splits into at most %d shards", shard.I, shard.N, s.Len(), s.Len())
	}
	if shard != nil {
		rep.line("shard %d/%d from %s: %d of the %d points, into %s (ready in %s: checkpoint, data, directions, images)", shard.I, shard.N, shardFrom,
			len(scan.ShardPoints(s.Alpha.N, s.NY(), *shard)), s.Len(), *out, fmtDuration(time.Since(begin)))
	}
	already := s.Computed()
	runErr := ss.Run(ctx, func(e progress.Event) {
		p, ok := e.(progress.Point)
		if !ok {
			return
		}
		rate := float64(p.Done-already) / max(p.Elapsed.Seconds(), 1e-9)
		eta := etaOf(p.Done-already, p.Total-already, p.Elapsed)
		rep.update(name, p.Done, p.Total, eta, fmt.Sprintf("%.2f pts/s", rate), p.Done == p.Total)
	})
	rep.done()
	if s.Computed() > 0 && shard == nil {
		printSummary(stdout, s, *threshold)
	}
	switch {
	case errors.Is(runErr, context.Canceled) && ss.File() != "":
		rep.line("saved %d of %d points to %s; missing points are NaN (finish with --resume)", s.Computed(), s.Len(), *out)
		return runErr
	case runErr != nil:
		if ss.File() != "" {
			rep.line("saved %d of %d points to %s", s.Computed(), s.Len(), ss.File())
		}
		return runErr
	}
	rep.line("saved %s", *out)
	return nil
}

func printSummary(w io.Writer, s *surface.Surface, threshold float64) {
	sum := surface.Summarize(s, threshold)
	at := func(e surface.Extreme) string {
		if s.Is2D() {
			return fmt.Sprintf("α=%.4g β=%.4g", e.Alpha, e.Beta)
		}
		return fmt.Sprintf("α=%.4g", e.Alpha)
	}
	fmt.Fprintf(w, "centre    loss %.6f ± %.6f  accuracy %.2f%%\n", sum.CentreLoss, s.Meta.CentreLossSE, 100*sum.CentreAcc)
	if sum.Computed > sum.OffScale {
		fmt.Fprintf(w, "minimum   loss %.6f at %s\n", sum.Min.Loss, at(sum.Min))
		fmt.Fprintf(w, "maximum   loss %.6f at %s\n", sum.Max.Loss, at(sum.Max))
	}
	if sum.OffScale > 0 {
		fmt.Fprintf(w, "off scale %d points with infinite or NaN loss\n", sum.OffScale)
	}
	fmt.Fprintf(w, "basin     loss < centre + %g: α %s", threshold, sum.WidthAlpha)
	if s.Is2D() {
		fmt.Fprintf(w, "  β %s", sum.WidthBeta)
	}
	fmt.Fprintln(w)
	if s.Is2D() {
		fmt.Fprintf(w, "cosine    between the directions %.2e\n", s.Meta.Cosine)
	}
	fmt.Fprintf(w, "points    %d of %d computed\n", sum.Computed, sum.Total)
}
