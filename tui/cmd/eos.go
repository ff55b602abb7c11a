package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/flags"
)

// runEOS is basin experiment eos: full-batch gradient descent on a fixed
// subset at each learning rate, λmax tracked along the way.
func runEOS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("experiment eos", "basin experiment eos [--preset small] [--subset 5000] [--lrs 0.1,0.2] [--steps 300] [--track-every 10] [--momentum 0] [--seed 1] --out DIR", stdout)
	var tf flags.Train
	tf.Register(fs.FlagSet)
	subset := fs.Int("subset", 5000, "training images: the fixed subset every step's gradient is taken over (Cohen et al.: 5,000)")
	lrs := fs.String("lrs", "0.1,0.2", "learning rates, comma-separated: one run each, from the same initial weights")
	steps := fs.Int("steps", 300, "gradient-descent steps per learning rate")
	every := fs.Int("track-every", 10, "steps between λmax measurements (on all of the subset)")
	out := fs.String("out", "", "folder for one checkpoint per learning rate (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	rates, err := parseRates(*lrs)
	if err != nil {
		return err
	}
	switch {
	case *subset < 1 || *subset > 60000:
		return usagef("--subset %d: use 1 to 60000 images", *subset)
	case *steps < 1 || *steps > 1000000:
		return usagef("--steps %d: use 1 to 1000000", *steps)
	case *every < 1:
		return usagef("--track-every %d: use 1 or more steps", *every)
	case *out == "":
		return usagef("--out is required: name a folder for the runs, like --out eos")
	}
	if tf.Optimizer != train.SGD {
		return usagef("--optimizer %s: the edge of stability is about gradient descent; use sgd", tf.Optimizer)
	}
	momentumSet := false
	fs.Visit(func(f *flag.Flag) { momentumSet = momentumSet || f.Name == "momentum" })
	if !momentumSet {
		tf.Momentum = 0 // plain gradient descent unless asked for
	}
	tf.LR = rates[0]
	cfg, err := tf.Config()
	if err != nil {
		return usage(err)
	}
	cfg.Track = train.Tracking{Every: *every, Images: *subset} // on the whole subset
	cfg.Epochs = *steps
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return usagef("--out: %w", err)
	}
	if err := atomicfile.CheckWritable(filepath.Join(*out, "lr.safetensors")); err != nil {
		return usagef("--out: %w", err)
	}
	src, err := loadData(tf.Data)
	if err != nil {
		return err
	}
	if cfg, err = cfg.ForData(src); err != nil {
		return usage(err)
	}
	idx, err := data.SampleIndices(src.Train.Len(), *subset, cfg.Seed)
	if err != nil {
		return usage(err)
	}
	set := src.Train.Subset(idx)
	rep := newReporter(stderr)
	runs, runErr, err := eosRunEach(ctx, cfg, rates, set, *out, *every, src.Name, rep)
	if err != nil {
		return err
	}
	var rs []float64
	var results []*train.Result
	for _, r := range runs {
		rs, results = append(rs, r.lr), append(results, r.res)
	}
	printEdges(stdout, cfg, rs, results)
	if runErr != nil {
		return runErr
	}
	if len(runs) > 0 && runs[len(runs)-1].res.Stopped {
		return context.Canceled
	}
	return nil
}

// eosRun is one learning rate's run.
type eosRun struct {
	lr   float64
	res  *train.Result
	path string
}

// eosRunEach runs full-batch gradient descent at each rate from cfg's
// initial weights, saving each run into out; it stops at the first run
// stopped or failed (runErr). err is a save that failed.
func eosRunEach(ctx context.Context, cfg train.Config, rates []float64, set *data.Dataset, out string, every int, dataName string, rep *reporter) (runs []eosRun, runErr, err error) {
	for _, lr := range rates {
		c := cfg
		c.LR, c.Batch = lr, set.Len() // full batch: every step sees the whole subset
		rep.line("lr %g: full-batch gradient descent on %d images, %d steps, λmax every %d; threshold %.4g", lr, set.Len(), c.Epochs, every, c.StabilityThreshold())
		var res *train.Result
		res, runErr = train.FullBatch(ctx, c, set, eosProgress(rep, lr))
		if res != nil {
			path := filepath.Join(out, "lr-"+strconv.FormatFloat(lr, 'g', -1, 64)+".safetensors")
			saved, err := train.Save(path, c, res, dataName+fmt.Sprintf(", %d-image subset (seed %d)", set.Len(), c.Seed))
			if errors.Is(err, train.ErrNoSteps) {
				break
			}
			if err != nil {
				return runs, runErr, err
			}
			runs = append(runs, eosRun{lr: lr, res: res, path: saved})
			rep.line("saved %s (%s; tracking ran %s beside the descent)", saved, fmtDuration(res.Elapsed), fmtDuration(res.TrackTime))
		}
		if runErr != nil || res.Stopped {
			break
		}
	}
	return runs, runErr, nil
}

// parseRates reads --lrs: positive learning rates, comma-separated.
func parseRates(lrs string) ([]float64, error) {
	var rates []float64
	for _, p := range strings.Split(lrs, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(r > 0) || r > 100 {
			return nil, usagef("--lrs %q: give positive learning rates, comma-separated, like 0.05,0.1", lrs)
		}
		rates = append(rates, r)
	}
	return rates, nil
}

// eosProgress prints a run's steps on one line and each λmax on its own,
// with the loss of the step it was measured at.
func eosProgress(rep *reporter, lr float64) progress.Sink {
	var lastLoss float64
	return func(e progress.Event) {
		switch e := e.(type) {
		case progress.Step:
			lastLoss = e.Loss
			rep.update(fmt.Sprintf("lr %g", lr), e.Step, e.Steps, etaOf(e.Step, e.Steps, e.Elapsed), fmt.Sprintf("loss %.4f", e.Loss), e.Step == e.Steps)
		case progress.Sharpness:
			line := fmt.Sprintf("  step %d: λmax %.4g ± %.2g, %.0f%% of the threshold", e.Step, e.LambdaMax, e.Residual, 100*e.LambdaMax/e.Threshold)
			if e.Step > 0 {
				line += fmt.Sprintf(" (loss %.4f)", lastLoss)
			}
			rep.line("%s", line)
		}
	}
}

// printEdges is the experiment's table: for each learning rate, where λmax
// started, peaked, first reached the threshold, and how it sat after.
func printEdges(w io.Writer, cfg train.Config, lrs []float64, results []*train.Result) {
	if len(results) == 0 {
		return
	}
	rule := "2/η"
	if cfg.Momentum > 0 {
		rule = "(2+2β)/η"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "lr\t%s\tλmax start\tλmax peak\tfirst ≥ %s\tλmax/threshold after (mean ± sd, n)\tfinal loss\n", rule, rule)
	for i, res := range results {
		c := cfg
		c.LR = lrs[i]
		e := train.SummarizeEdge(res.Sharpness, c.StabilityThreshold())
		cross, after := "never", "—"
		if e.FirstCrossing >= 0 {
			cross = fmt.Sprintf("step %d", e.FirstCrossing)
			after = fmt.Sprintf("%.2f ± %.2f (%d)", e.MeanRatio, e.SDRatio, e.After)
		}
		final := "—"
		if res.Steps > 0 {
			final = fmt.Sprintf("%.4f", res.FinalLoss)
		}
		fmt.Fprintf(tw, "%g\t%.4g\t%.4g\t%.4g\t%s\t%s\t%s\n", lrs[i], e.Threshold, e.Start, e.Peak, cross, after, final)
	}
	tw.Flush()
}
