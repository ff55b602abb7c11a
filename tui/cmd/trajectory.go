package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/trajectory"
	"github.com/basin-dev/basin/tui/flags"
)

// listFlag collects a repeatable flag (or comma-separated values).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// runTrajectory is basin trajectory: the runs' path on their PCA plane,
// over a 2D scan of that plane.
func runTrajectory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("trajectory", "basin trajectory --checkpoint F [--also B.safetensors …] [--grid 21] [--alpha auto] [--beta auto] [--samples 1000] [--seed 1] --out traj.npz", stdout)
	mf := registerModel(fs)
	var also listFlag
	fs.Var(&also, "also", "more runs (checkpoints with trajectories, best from the same initial weights) on the same plane; repeat or comma-separate")
	var im flags.Images
	im.Register(fs.FlagSet, "seed")
	alpha := fs.String("alpha", "auto", "α range (first principal component), min:max, or auto: the paths with a margin")
	beta := fs.String("beta", "auto", "β range (second principal component), min:max, or auto")
	grid := fs.String("grid", "21", "points per side, N, or NxM")
	workers := fs.Int("workers", 0, "parallel evaluations (0: one per core)")
	out := outFlag(fs, "the surface file to write, like --out traj.npz", "surface file to write: .npz (with the paths), .csv or .json (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if mf.Checkpoint == "" {
		return usagef("--checkpoint is required: the run whose final weights are the centre")
	}
	if err := out.required(); err != nil {
		return err
	}
	fmtName, err := surface.FormatFor(out.Path, "")
	if err != nil {
		return usagef("--out: %w", err)
	}
	split, err := im.Validate()
	if err != nil {
		return usage(err)
	}
	nx, ny, err := flags.Grid(*grid)
	if err != nil {
		return usagef("--grid %v", err)
	}
	ranges, err := autoRanges(*alpha, *beta)
	if err != nil {
		return err
	}
	if err := scan.CheckWorkers(*workers); err != nil {
		return usagef("--workers %v", err)
	}
	if err := out.writable(); err != nil {
		return err
	}
	in, err := loadModel(mf, im, stderr)
	if err != nil {
		return err
	}
	rep := newReporter(stderr)
	start := time.Now()
	pl, paths, err := runsPlane(in.ck, append([]string{mf.Checkpoint}, also...))
	if err != nil {
		return usage(err)
	}
	rep.line("PCA of %d runs' snapshots around %s: components explain %.1f%% and %.1f%% of their variance (%s)",
		len(paths), in.ck.Path, 100*pl.Explained[0], 100*pl.Explained[1], fmtDuration(time.Since(start)))
	st := scan.Settings{SampleSeed: im.Seed, Split: split, Samples: im.Samples, Workers: *workers}
	st.Alpha, st.Beta = planeAxes(ranges, paths, nx, ny)
	ss, err := scan.NewTrajectorySession(in.ck, in.src, st, pl.D, pl.E, pl.Explained[:], paths)
	if err != nil {
		return usage(err)
	}
	ss.Out = func() (string, error) { return out.Path, nil }
	ss.Format, ss.SaveEvery = fmtName, 10*time.Second
	s := ss.Surface
	rep.line("scanning the plane: α %.3g:%.3g, β %.3g:%.3g, %dx%d points, %d %s images", st.Alpha.Min, st.Alpha.Max, st.Beta.Min, st.Beta.Max, nx, ny, st.Samples, split)
	label := "plane"
	runErr := ss.Run(ctx, rep.points(&label, 0, func(p progress.Point) string { return fmt.Sprintf("loss %.4f", p.Loss) }))
	printPaths(stdout, pl, paths)
	if runErr != nil {
		rep.line("stopped early: %s has %d of %d points", out.Path, s.Meta.Computed, s.Meta.Total)
		return runErr
	}
	rep.line("saved %s (%s)", out.Path, fmtDuration(time.Since(start)))
	return nil
}

// autoRanges reads --alpha and --beta: a range each, or nil for auto.
func autoRanges(alpha, beta string) ([2]*[2]float64, error) {
	var ranges [2]*[2]float64
	for i, r := range []struct{ name, v string }{{"--alpha", alpha}, {"--beta", beta}} {
		if r.v == "auto" {
			continue
		}
		lo, hi, err := flags.Range(r.v)
		if err == nil {
			err = flags.CheckRange(lo, hi)
		}
		if err != nil {
			return ranges, usagef("%s %q: %v (or auto)", r.name, r.v, err)
		}
		ranges[i] = &[2]float64{lo, hi}
	}
	return ranges, nil
}

// planeAxes are the plane's axes at nx×ny points: the ranges given, or
// (nil) the paths' extent with a margin.
func planeAxes(ranges [2]*[2]float64, paths []surface.Path, nx, ny int) (alpha, beta surface.Axis) {
	ea, eb := trajectory.Extent(paths)
	for i, e := range [][2]float64{ea, eb} {
		if ranges[i] == nil {
			ranges[i] = &e
		}
	}
	return surface.Axis{Min: ranges[0][0], Max: ranges[0][1], N: nx}, surface.Axis{Min: ranges[1][0], Max: ranges[1][1], N: ny}
}

// runsPlane is the PCA plane of the runs of the checkpoints at paths
// around centre (the first), and each run's path on it.
func runsPlane(centre *checkpoint.Checkpoint, paths []string) (*trajectory.Plane, []surface.Path, error) {
	var runs []trajectory.Run
	for _, path := range paths {
		r, err := loadRun(path, centre)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, r)
	}
	pl, err := trajectory.PCA(centre.Params, runs)
	if err != nil {
		return nil, nil, err
	}
	return pl, pl.ProjectAll(runs), nil
}

// loadRun reads a checkpoint's trajectory file, checking it belongs to
// that checkpoint and to the same architecture as the centre.
func loadRun(path string, centre *checkpoint.Checkpoint) (trajectory.Run, error) {
	ck := centre
	if path != centre.Path {
		var err error
		if ck, err = checkpoint.Load(path); err != nil {
			return trajectory.Run{}, err
		}
	}
	if err := ck.Arch.Same(centre.Arch); err != nil {
		return trajectory.Run{}, fmt.Errorf("%s and the centre are %w: one architecture per plane", path, err)
	}
	snaps, err := checkpoint.TrajectoryOf(ck)
	if errors.Is(err, checkpoint.ErrMismatch) {
		return trajectory.Run{}, err
	}
	if err != nil {
		return trajectory.Run{}, fmt.Errorf("%w (train with basin train to get one beside the checkpoint)", err)
	}
	return trajectory.Run{Name: path, Snaps: snaps}, nil
}

// printPaths tells where each run went on the plane, and how far from it.
func printPaths(w io.Writer, pl *trajectory.Plane, paths []surface.Path) {
	fmt.Fprintf(w, "plane: PCA of the snapshots around θ*, components 1 and 2 explain %.1f%% and %.1f%% of their variance\n", 100*pl.Explained[0], 100*pl.Explained[1])
	for _, p := range paths {
		fmt.Fprintf(w, "\n%s (%d snapshots)\n%8s %10s %10s %12s %10s\n", p.Name, len(p.Steps), "step", "α (PC1)", "β (PC2)", "off plane", "|θ−θ*|")
		stride := max(1, len(p.Steps)/12)
		for i := range p.Steps {
			if i%stride != 0 && i != len(p.Steps)-1 {
				continue
			}
			fmt.Fprintf(w, "%8d %10.4g %10.4g %12.4g %10.4g\n", p.Steps[i], p.X[i], p.Y[i], p.Off[i], p.Distance(i))
		}
	}
	fmt.Fprintln(w, "\noff plane: the distance from each snapshot to the plane. The path is drawn at its projection, so where that")
	fmt.Fprintln(w, "distance is large the surface under the path is not the loss the run saw: it can cross contours it never climbed.")
}
