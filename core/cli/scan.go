package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

func runScan(ctx context.Context, twoD bool, args []string, stdout, stderr io.Writer) error {
	name, synopsis := "scan1d", "basin scan1d --checkpoint F [--alpha -1:1] [--points 51] [--norm filter|layer|none] [--seed 1] [--samples 1000] [--split train] [--workers N] --out s.npz"
	if twoD {
		name, synopsis = "scan2d", "basin scan2d --checkpoint F [--alpha -1:1] [--beta -1:1] [--grid 21|41x21] [--norm filter|layer|none] [--seed 1] [--samples 1000] [--split train] [--workers N] --out s.npz"
	}
	fs := newFlags(name, synopsis, stdout)
	var ef evalFlags
	ef.register(fs)
	alpha := fs.String("alpha", "-1:1", "α range, min:max")
	beta, grid, points := new(string), new(string), new(int)
	if twoD {
		fs.StringVar(beta, "beta", "-1:1", "β range, min:max")
		fs.StringVar(grid, "grid", "21", "points per side: N, or NxM for N α points by M β points")
	} else {
		fs.IntVar(points, "points", 51, "number of α points")
	}
	norm := fs.String("norm", string(direction.Filter), "direction normalization: filter, layer or none")
	biases := fs.Bool("biases", false, "give biases a direction too (default: they stay at θ*)")
	workers := fs.Int("workers", 0, "parallel evaluations (default: one per core)")
	out := fs.String("out", "", "surface file to write: .npz, .csv or .json (required)")
	format := fs.String("format", "", "npz, csv or json (default: from the --out extension)")
	resume := fs.Bool("resume", false, "compute only the missing points of an existing --out .npz file")
	threshold := fs.Float64("threshold", surface.DefaultThreshold, "basin edge: loss above centre + this")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required: name the surface file to write, like --out s.npz")
	}
	fmtName, err := surface.FormatFor(*out, *format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	if *resume && fmtName != surface.NPZ {
		return usagef("--resume needs an .npz surface; %s files do not record the directions", fmtName)
	}
	if *workers < 0 {
		return usagef("--workers %d: use 0 (one per core) or more", *workers)
	}
	nm, err := direction.ParseNorm(*norm)
	if err != nil {
		return usagef("--norm: %v", err)
	}
	st := scan.Settings{Direction: direction.Spec{Seed: ef.seed, Norm: nm, Biases: *biases}, SampleSeed: ef.seed, Samples: ef.samples, Workers: *workers}
	if st.Alpha.Min, st.Alpha.Max, err = parseRange("alpha", *alpha); err != nil {
		return err
	}
	st.Alpha.N = *points
	if twoD {
		if st.Beta.Min, st.Beta.Max, err = parseRange("beta", *beta); err != nil {
			return err
		}
		if st.Alpha.N, st.Beta.N, err = parseGrid(*grid); err != nil {
			return err
		}
	} else if *points < 2 || *points > surface.MaxPoints {
		return usagef("--points %d: use 2 to %d", *points, surface.MaxPoints)
	}
	in, err := ef.load()
	if err != nil {
		return err
	}
	st.Split = in.split
	job, s, err := scan.Prepare(in.ck, in.src, st)
	if err != nil {
		return usageError{err.Error()}
	}
	in.src = nil // the scan needs only its evaluation images: let the rest go
	limitHeap(st.Workers)
	s.Meta.Version = Version
	rep := newReporter(stderr)
	if *resume {
		old, err := surface.Load(*out)
		if err != nil {
			return usageError{err.Error()}
		}
		if err := s.SameSettings(old); err != nil {
			return usagef("--resume: %s was made with other settings: %v", *out, err)
		}
		copy(s.Loss, old.Loss)
		copy(s.Acc, old.Acc)
		copy(s.Done, old.Done)
		rep.line("resuming %s: %d of %d points done", *out, s.Computed(), s.Len())
	} else if _, err := os.Stat(*out); err == nil {
		rep.line("overwriting %s (use --resume to fill in a partial surface instead)", *out)
	}
	rep.line("%s of %s (%s) on %d %s images, %s-normalized directions, seed %d, %d points",
		name, in.ck.Path, in.ck.Arch.Preset, st.Samples, st.Split, nm, st.Direction.Seed, s.Len())
	centre, err := scan.Centre(job)
	if err != nil {
		return err
	}
	s.Meta.CentreLoss, s.Meta.CentreAcc = centre.Loss, centre.Accuracy
	lastSave, already := time.Now(), s.Computed()
	var saveErr error
	runErr := scan.Run(ctx, job, s, func(e progress.Event) {
		p, ok := e.(progress.Point)
		if !ok {
			return
		}
		rate := float64(p.Done-already) / max(p.Elapsed.Seconds(), 1e-9)
		eta := etaOf(p.Done-already, p.Total-already, p.Elapsed)
		rep.update(name, p.Done, p.Total, eta, fmt.Sprintf("%.2f pts/s", rate), p.Done == p.Total)
		if time.Since(lastSave) > 10*time.Second && saveErr == nil {
			saveErr = surface.Save(*out, fmtName, s)
			lastSave = time.Now()
		}
	})
	if err := surface.Save(*out, fmtName, s); err != nil {
		return err
	}
	rep.done()
	printSummary(stdout, s, *threshold)
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			rep.line("saved %d of %d points to %s; missing points are NaN (finish with --resume)", s.Computed(), s.Len(), *out)
		}
		return runErr
	}
	if saveErr != nil {
		return saveErr
	}
	rep.line("saved %s", *out)
	return nil
}

// limitHeap sets a soft memory limit sized for a scan — a base for the
// evaluation images, weights and directions, and a share per worker for
// its network's activations — so the garbage collector keeps the heap near
// what is live instead of letting it double. GOMEMLIMIT, if set, wins.
func limitHeap(workers int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	debug.SetMemoryLimit(128<<20 + int64(workers)*96<<20)
	runtime.GC()
}

func printSummary(w io.Writer, s *surface.Surface, threshold float64) {
	sum := surface.Summarize(s, threshold)
	at := func(e surface.Extreme) string {
		if s.Is2D() {
			return fmt.Sprintf("α=%.4g β=%.4g", e.Alpha, e.Beta)
		}
		return fmt.Sprintf("α=%.4g", e.Alpha)
	}
	fmt.Fprintf(w, "centre    loss %.6f  accuracy %.2f%%\n", sum.CentreLoss, 100*sum.CentreAcc)
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
