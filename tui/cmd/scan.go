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

	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/flags"
)

// scanCmd is basin scan1d or scan2d, its flags read and checked.
type scanCmd struct {
	name      string
	st        scan.Settings
	images    flags.Images
	model     *modelFlags
	out       string
	format    string
	resume    bool
	threshold float64
	shardFrom string
}

func runScan(ctx context.Context, plane bool, args []string, stdout, stderr io.Writer) error {
	c, err := parseScan(plane, args, stdout)
	if err != nil {
		return err
	}
	begin := time.Now()
	in, err := loadModel(c.model, c.images, stderr)
	if err != nil {
		return err
	}
	ss, err := scan.NewSession(in.ck, in.src, c.st)
	if err != nil {
		return usage(err)
	}
	in.src = nil // the scan needs only its evaluation images: let the rest go
	limitHeap(c.st.Workers)
	ss.Out = func() (string, error) { return c.out, nil }
	ss.Format, ss.SaveEvery = c.format, 10*time.Second
	rep := newReporter(stderr)
	if err := c.start(ss, rep, in.ck.Path+" ("+in.ck.Arch.Preset+")", begin); err != nil {
		return err
	}
	s := ss.Surface
	already := s.Computed()
	runErr := ss.Run(ctx, rep.points(&c.name, already, func(p progress.Point) string {
		return fmt.Sprintf("%.2f pts/s", float64(p.Done-already)/max(p.Elapsed.Seconds(), 1e-9))
	}))
	rep.done()
	if s.Computed() > 0 && c.st.Shard == nil {
		printSummary(stdout, s, c.threshold)
	}
	switch {
	case errors.Is(runErr, context.Canceled) && ss.File() != "":
		rep.line("saved %d of %d points to %s; missing points are NaN (finish with --resume)", s.Computed(), s.Len(), c.out)
		return runErr
	case runErr != nil:
		if ss.File() != "" {
			rep.line("saved %d of %d points to %s", s.Computed(), s.Len(), ss.File())
		}
		return runErr
	}
	rep.line("saved %s", c.out)
	return nil
}

// parseScan reads and checks the flags of scan1d (plane false) or
// scan2d, before anything is loaded: settings, shard, format, --out.
func parseScan(plane bool, args []string, stdout io.Writer) (*scanCmd, error) {
	c := &scanCmd{name: "scan1d"}
	shape := flags.Line
	synopsis := "basin scan1d --checkpoint F [--alpha -1:1] [--points 51] [--norm filter|layer|none] [--seed 1] [--samples 1000] [--split train] [--workers N] --out s.npz"
	if plane {
		c.name, shape = "scan2d", flags.Plane
		synopsis = "basin scan2d --checkpoint F [--alpha -1:1] [--beta -1:1] [--grid 21|41x21] [--norm filter|layer|none] [--seed 1] [--samples 1000] [--split train] [--workers N] --out s.npz"
	}
	fs := newFlags(c.name, synopsis, stdout)
	var sf flags.Scan
	sf.Register(fs.FlagSet, shape, "seed")
	c.model = registerModel(fs)
	out := outFlag(fs, "the surface file to write, like --out s.npz", "surface file to write: .npz, .csv or .json (required)")
	format := fs.String("format", "", "npz, csv or json (default: from the --out extension)")
	fs.BoolVar(&c.resume, "resume", false, "compute only the missing points of an existing --out .npz file")
	fs.Float64Var(&c.threshold, "threshold", surface.DefaultThreshold, "basin edge: loss above centre + this")
	shardFlag := fs.String("shard", "", "compute only shard i of n of the grid, i/n (default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX when set); merge the parts with basin merge")
	shards := fs.Int("shards", 0, "number of shards, for a Kubernetes Indexed Job (or BASIN_SHARDS)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := out.required(); err != nil {
		return nil, err
	}
	shard, shardFrom, err := flags.Shard(*shardFlag, *shards, os.Getenv)
	if err != nil {
		return nil, usage(err)
	}
	if shard != nil {
		if !strings.Contains(out.Path, flags.ShardPlaceholder) && shardFrom[0] != '-' {
			return nil, usagef("--out %q: a job array's tasks would all write it; put %s in it, like --out parts/part-%s.npz", out.Path, flags.ShardPlaceholder, flags.ShardPlaceholder)
		}
		out.Path = flags.ShardOut(out.Path, shard)
		// The tasks of a job array share the parts' folder: the first makes it.
		if err := os.MkdirAll(filepath.Dir(out.Path), 0o755); err != nil {
			return nil, usagef("--out: %v", err)
		}
	}
	if c.format, err = surface.FormatFor(out.Path, *format); err != nil {
		return nil, usagef("--format: %w", err)
	}
	if shard != nil && c.format != surface.NPZ {
		return nil, usagef("--out: a shard's part must be an .npz (basin merge reads the directions from it)")
	}
	if c.resume && c.format != surface.NPZ {
		return nil, usagef("--resume needs an .npz surface; %s files do not record the directions", c.format)
	}
	if c.st, err = sf.Settings(plane); err != nil {
		return nil, usage(err)
	}
	c.st.Shard, c.shardFrom, c.images, c.out = shard, shardFrom, sf.Images, out.Path
	return c, out.writable()
}

// start resumes the session from --out when asked, and says what the
// scan is about to compute.
func (c *scanCmd) start(ss *scan.Session, rep *reporter, model string, begin time.Time) error {
	if c.resume {
		old, err := surface.Load(c.out)
		if err != nil {
			return usage(err)
		}
		if err := ss.Resume(old); err != nil {
			return usagef("--resume: %s was made with other settings: %w", c.out, err)
		}
		rep.line("resuming %s: %d of %d points done", c.out, ss.Surface.Computed(), ss.Surface.Len())
	} else if _, err := os.Stat(c.out); err == nil {
		rep.line("overwriting %s (use --resume to fill in a partial surface instead)", c.out)
	}
	s, st := ss.Surface, c.st
	rep.line("%s of %s on %d %s images, %s-normalized directions, seed %d, %d points",
		c.name, model, st.Samples, st.Split, st.Direction.Norm, st.Direction.Seed, s.Len())
	if sh := st.Shard; sh != nil {
		n := len(scan.ShardPoints(s.Alpha.N, s.NY(), *sh))
		if n == 0 {
			return usagef("shard %d/%d has no points: a grid of %d points splits into at most %d shards", sh.I, sh.N, s.Len(), s.Len())
		}
		rep.line("shard %d/%d from %s: %d of the %d points, into %s (ready in %s: checkpoint, data, directions, images)", sh.I, sh.N, c.shardFrom,
			n, s.Len(), c.out, fmtDuration(time.Since(begin)))
	}
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
