package cmd

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/build"
	"github.com/basin-dev/basin/core/compare"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/jsonfloat"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/sharpness"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/flags"
)

func runSharpness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sharpness", "basin sharpness --checkpoint F [--directions 10] [--alpha -1:1] [--points 51] [--norm filter] [--seed 1] [--samples 1000] [--split train] [--threshold 0.1] [--epsilon 1e-3,5e-4] [--top 1] [--lambda-min] [--trace] [--per-layer] [--density 3] [--density-out d.png] [--format table|json]", stdout)
	var sf flags.Scan
	sf.Register(fs.FlagSet, flags.Line, "seed")
	mf := registerModel(fs)
	var shf flags.Sharpness
	shf.Register(fs.FlagSet)
	format := fs.String("format", "table", "table or json")
	densityOut := fs.String("density-out", "", "with --density, a figure of the eigenvalue density: .png, .svg or .pdf")
	if err := parse(fs, args); err != nil {
		return err
	}
	k, eps, threshold, err := shf.Values()
	if err != nil {
		return usage(err)
	}
	if k < 1 {
		return usagef("--directions %d: use 1 to 1000", k)
	}
	if *format != "table" && *format != "json" {
		return usagef("--format %q: use table or json", *format)
	}
	st, err := sf.Settings(false)
	if err != nil {
		return usage(err)
	}
	hopt, err := shf.Hessian(st.Direction.Seed)
	if err != nil {
		return usage(err)
	}
	if *densityOut != "" {
		if hopt.Density == 0 {
			return usagef("--density-out needs --density N (runs)")
		}
		if ext := strings.ToLower(filepath.Ext(*densityOut)); ext != ".png" && ext != ".svg" && ext != ".pdf" {
			return usagef("--density-out %q: a figure is .png, .svg or .pdf", *densityOut)
		}
		if err := atomicfile.CheckWritable(*densityOut); err != nil {
			return usagef("--density-out: %v", err)
		}
	}

	if st.Alpha.Min > 0 || st.Alpha.Max < 0 {
		return usagef("--alpha %q: the range must contain the centre 0", sf.Alpha)
	}
	in, err := loadModel(mf, sf.Images, stderr)
	if err != nil {
		return err
	}
	rep := newReporter(stderr)
	rep.line("basin along %d %s-normalized directions of %s (%s): α %g:%g at %d points, %d %s images",
		k, st.Direction.Norm, in.ck.Path, in.ck.Arch.Preset, st.Alpha.Min, st.Alpha.Max, st.Alpha.N, st.Samples, st.Split)
	start := time.Now()
	n := 0
	res, runErr := sharpness.AlongDirections(ctx, in.ck, in.src, st, k, threshold, nil, func(d sharpness.Direction) {
		n++
		rep.update("directions", n, k, etaOf(n, k, time.Since(start)),
			fmt.Sprintf("seed %d: width %s, curvature %.4g", d.Seed, d.Width, d.Curvature), n == k)
	})
	rep.done()
	report := sharpnessReport{Directional: res}
	if runErr == nil && (len(eps) > 0 || hopt.Enabled()) {
		if runErr = measureAtCentre(ctx, in, st, hopt, eps, &report, rep); isUsage(runErr) {
			return runErr
		}
	}
	if len(res.Directions) > 0 {
		if *format == "json" {
			b, err := jsonfloat.MarshalIndent(report, "", " ")
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			printDirectional(stdout, res)
			printEpsilon(stdout, report.Epsilon)
			printHessian(stdout, report.Hessian, st.Split)
			fmt.Fprintf(stdout, "took       %s\n", fmtDuration(time.Since(start)))
		}
	}
	if h := report.Hessian; *densityOut != "" && h != nil && h.Density != nil {
		f, err := figure.Density(h.Density, fmt.Sprintf("%s (%s) · %d %s images (seed %d) · %d runs × %d Lanczos steps · basin %s",
			in.ck.Path, in.ck.Arch.Preset, h.Images, st.Split, st.SampleSeed, h.Density.Runs, h.Density.Steps, build.Version))
		if err == nil {
			err = figure.Save(*densityOut, f)
		}
		if err != nil {
			return err
		}
		rep.line("wrote %s: the eigenvalue density", *densityOut)
	}
	if runErr != nil && len(res.Directions) > 0 && len(res.Directions) < k {
		rep.line("stopped after %d of %d directions; the table has those", len(res.Directions), k)
	}
	return runErr
}

// measureAtCentre adds the Hessian's numbers (as hopt asks) and the
// ε-sharpness at each of eps to report, on the scan's images.
func measureAtCentre(ctx context.Context, in *evalInputs, st scan.Settings, hopt hessian.Options, eps []float64, report *sharpnessReport, rep *reporter) error {
	set, _, err := scan.EvalSet(in.src, st.Split, st.Samples, st.SampleSeed)
	if err != nil {
		return usage(err)
	}
	if hopt.Enabled() {
		p, err := hessian.NewProduct(in.ck.Arch, in.ck.Params, set)
		if err != nil {
			return err
		}
		sp, err := hessian.Measure(ctx, p, hopt, func(pr hessian.Progress) {
			rep.update("hessian "+pr.Task, pr.Step, pr.Of, -1, pr.Estimate, pr.Done)
		})
		if sp.Products > 0 {
			report.Hessian = &sp
		}
		if err != nil {
			return err
		}
	}
	obj := sharpness.NewNetObjective(in.ck.Arch, set)
	defer obj.Close()
	for _, e := range eps {
		r, err := sharpness.EpsilonSharpness(ctx, obj, in.ck.Params, e, st.Direction.Seed)
		if r.Iterations > 0 {
			report.Epsilon = append(report.Epsilon, r)
			rep.line("ε-sharpness at ε=%g: %.4g%% (%d ascent steps, %s)", e, r.Sharpness, r.Iterations, fmtDuration(r.Took))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sharpnessReport is what basin sharpness prints as JSON.
type sharpnessReport struct {
	sharpness.Directional
	Epsilon []sharpness.Epsilon `json:"epsilon_sharpness"`
	Hessian *hessian.Spectrum   `json:"hessian,omitempty"`
}

// printHessian writes the Hessian's numbers, each with its error bar and
// what it cost.
func printHessian(w io.Writer, sp *hessian.Spectrum, split data.Split) {
	if sp == nil {
		return
	}
	fmt.Fprintf(w, "hessian    of the mean loss on %d %s images, %d parameters; exact Hv (R-operator), %d products, %s\n",
		sp.Images, split, sp.Params, sp.Products, fmtDuration(sp.Took))
	width := 10 // the name column: wide enough for the longest layer's name
	for _, l := range sp.Layers {
		width = max(width, utf8.RuneCountInString("λmax "+l.Layer))
	}
	eig := func(name string, e hessian.Eigen) {
		method := "power iteration"
		if name == "λmin" {
			method = "Lanczos"
		}
		fmt.Fprintf(w, "%s %s %s, %d products, %s%s\n", padRunes(name, width), padRunes(compare.EigenString(e), 26),
			method, e.Iterations, fmtDuration(e.Took), converged(e, sp))
	}
	for i, e := range sp.Top {
		eig(fmt.Sprintf("λ%d", i+1), e)
	}
	if sp.Bottom != nil {
		eig("λmin", *sp.Bottom)
	}
	if t := sp.Trace; t != nil {
		stop := fmt.Sprintf("stopped at SE < %g%%", 100*hessian.TraceTolerance)
		if !t.Converged {
			stop = fmt.Sprintf("SE still ≥ %g%% after %d products", 100*hessian.TraceTolerance, t.Probes)
		}
		fmt.Fprintf(w, "%s %s Hutch++, %d products (%d sketching the top), %s, %s\n", padRunes("trace", width), padRunes(compare.TraceString(*t), 26),
			t.Probes, 2*hessian.SketchSize, fmtDuration(t.Took), stop)
	}
	for _, l := range sp.Layers {
		eig("λmax "+l.Layer, l.Eigen)
	}
	if d := sp.Density; d != nil {
		fmt.Fprintf(w, "%s λ from %.4g to %.4g, 90%% of the weight in [%.3g, %.3g], %.1f%% negative (below −0.1%% of |λ|max); stochastic Lanczos quadrature, %d runs × %d steps, %s\n",
			padRunes("density", width), d.Min, d.Max, d.Bulk[0], d.Bulk[1], 100*d.NegativeMass, d.Runs, d.Steps, fmtDuration(d.Took))
	}
	fmt.Fprintf(w, "note       ± on an eigenvalue is ‖Hv − λv‖: an eigenvalue of H lies within it; on the trace, the standard error\n")
}

// padRunes pads s with spaces to n characters (fmt's %-ns counts bytes,
// and λ and ± take two).
func padRunes(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
}

func converged(e hessian.Eigen, sp *hessian.Spectrum) string {
	if e.Converged {
		return fmt.Sprintf(", converged to %g", sp.Tolerance)
	}
	return fmt.Sprintf(", not converged in %d", sp.MaxIterations)
}

func printEpsilon(w io.Writer, es []sharpness.Epsilon) {
	for _, e := range es {
		fmt.Fprintf(w, "ε-sharpness %.4g%% at ε=%g: max loss %.6f in the box |Δ_i| ≤ ε(|θ_i|+1) (%d ascent steps, %s; a lower bound)\n",
			e.Sharpness, e.Epsilon, e.Max, e.Iterations, fmtDuration(e.Took))
	}
}

func printDirectional(w io.Writer, r sharpness.Directional) {
	fmt.Fprintf(w, "centre     loss %.6f ± %.6f  accuracy %.2f%%\n", r.Centre.Loss, r.Centre.LossSE, 100*r.Centre.Accuracy)
	fmt.Fprintf(w, "%-6s  %-28s  %s\n", "seed", "basin (loss < centre + "+fmt.Sprint(r.Threshold)+")", "curvature f''(0)")
	open := 0
	for _, d := range r.Directions {
		fmt.Fprintf(w, "%-6d  %-28s  %.4g\n", d.Seed, d.Width, d.Curvature)
		if d.Open {
			open++
		}
	}
	fmt.Fprintf(w, "width      %s over %d directions\n", r.Width, r.Width.N)
	fmt.Fprintf(w, "curvature  %s over %d directions (quadratic fit to the %d points nearest the centre)\n", r.Curvature, r.Curvature.N, sharpness.FitPoints)
	if open > 0 {
		fmt.Fprintf(w, "note       %d of %d basins ran past α %g:%g: their width is a lower bound (widen --alpha)\n", open, len(r.Directions), r.Alpha.Min, r.Alpha.Max)
	}
}
