package cmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/compare"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/flags"
)

// runExperiment is basin experiment: batch-size, skip or eos.
func runExperiment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && args[0] == "eos":
		return runEOS(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "batch-size":
		return runBatchSize(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "skip":
		return runSkip(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && (args[0] == "--help" || args[0] == "-h"):
		fmt.Fprintln(stdout, "usage: basin experiment batch-size|skip|eos [flags]   (see basin experiment batch-size --help, … skip --help, … eos --help)")
		return flag.ErrHelp
	}
	return usagef("name the experiment: basin experiment batch-size --batches 32,2048 --out DIR, basin experiment skip --out DIR, or basin experiment eos --out DIR")
}

// runBatchSize is basin experiment batch-size: a small and a large batch
// trained from the same weights to a comparable loss, then compared.
func runBatchSize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("experiment", "basin experiment batch-size --batches 32,2048 [--preset small] [--epochs 1] [--max-epochs 30] [--lr 0.05] [--seed 1] [scan flags] --out DIR", stdout)
	var tf flags.Train
	tf.Register(fs.FlagSet)
	var sf flags.Scan
	sf.Register(fs.FlagSet, flags.Both, "direction-seed")
	batches := fs.String("batches", "32,2048", "the two batch sizes, small first")
	maxEpochs := fs.Int("max-epochs", 30, "most epochs the large batch may take to reach the small batch's training loss")
	var shf flags.Sharpness
	shf.Register(fs.FlagSet)
	out := fs.String("out", "", "folder for the two checkpoints and compare.npz (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	batchSet := false
	fs.Visit(func(f *flag.Flag) { batchSet = batchSet || f.Name == "batch" })
	if batchSet {
		return usagef("--batch: the experiment trains at --batches, like --batches 32,2048")
	}
	bs, err := parseBatches(*batches)
	if err != nil {
		return err
	}
	switch {
	case *maxEpochs < 1 || *maxEpochs > 1000:
		return usagef("--max-epochs %d: use 1 to 1000", *maxEpochs)
	case *out == "":
		return usagef("--out is required: name a folder for the checkpoints and compare.npz, like --out bs-exp")
	}
	e, err := newExperiment(&tf, &sf, &shf, *out, stderr)
	if err != nil {
		return err
	}
	if err := fitsData(e.src, e.st, bs); err != nil {
		return err
	}
	cfg := e.cfg
	e.rep.line("batch-size experiment: %s, %s lr %g, seed %d, batches %d and %d", cfg.Arch.Preset, cfg.Optimizer, cfg.LR, cfg.Seed, bs[0], bs[1])
	runs, c, runErr := compare.BatchSize(ctx, cfg, bs, *maxEpochs, e.src, e.st, *out, e.say, e.epochs)
	reportRuns(e.rep, runs)
	if err := e.save(c, runErr); err != nil || c == nil {
		return err
	}
	fmt.Fprintf(stdout, "batch %d (A): %d epoch(s) to training loss %.4f; batch %d (B): %d epoch(s) to %.4f\n\n",
		runs[0].Batch, runs[0].Epochs, runs[0].Loss, runs[1].Batch, runs[1].Epochs, runs[1].Loss)
	printComparison(stdout, c, e.st.Threshold, []string{runs[0].Path, runs[1].Path})
	e.rep.line("saved %s (%s)", e.cmpPath, fmtDuration(time.Since(e.start)))
	return nil
}

// experiment is what the two comparison experiments share around their
// runs: the training and measuring settings, the folder's compare.npz
// (checked writable before any work), the data, and the progress lines.
type experiment struct {
	cfg     train.Config
	st      compare.Settings
	src     *data.Source
	cmpPath string
	rep     *reporter
	start   time.Time
}

func newExperiment(tf *flags.Train, sf *flags.Scan, shf *flags.Sharpness, out string, stderr io.Writer) (*experiment, error) {
	cfg, err := tf.Config()
	if err != nil {
		return nil, usage(err)
	}
	st, err := compareSettings(sf, shf)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, usagef("--out: %w", err)
	}
	cmpPath := filepath.Join(out, "compare.npz")
	if err := atomicfile.CheckWritable(cmpPath); err != nil {
		return nil, usagef("--out: %w", err)
	}
	src, err := loadData(tf.Data)
	if err != nil {
		return nil, err
	}
	return &experiment{cfg: cfg, st: st, src: src, cmpPath: cmpPath, rep: newReporter(stderr), start: time.Now()}, nil
}

// say reports a step with the time since the start.
func (e *experiment) say(what string) { e.rep.line("%s (%s)", what, fmtDuration(time.Since(e.start))) }

// epochs reports each finished epoch of a run.
func (e *experiment) epochs(ev progress.Event) {
	if ep, ok := ev.(progress.Epoch); ok {
		e.rep.line("  epoch %d: train loss %.4f | test loss %.4f acc %.2f%%", ep.Epoch, ep.TrainLoss, ep.TestLoss, 100*ep.TestAcc)
	}
}

// save writes what was measured (nothing when c is nil) and returns the
// runs' error, saying where the partial surfaces are when they stopped.
func (e *experiment) save(c *compare.Comparison, runErr error) error {
	if c == nil {
		return runErr
	}
	if err := c.Save(e.cmpPath); err != nil {
		return err
	}
	if runErr != nil {
		e.rep.line("stopped early: %s has the surfaces finished so far", e.cmpPath)
	}
	return runErr
}

// fitsData checks the images asked for are there: the samples in their
// split, each batch in the training images.
func fitsData(src *data.Source, st compare.Settings, bs [2]int) error {
	if n := src.Split(st.Line.Split).Len(); st.Line.Samples > n {
		return usagef("--samples %d is more than the %d images of the %s split", st.Line.Samples, n, st.Line.Split)
	}
	for _, b := range bs {
		if b > src.Train.Len() {
			return usagef("--batches: %d is more than the %d training images", b, src.Train.Len())
		}
	}
	return nil
}

// parseBatches reads --batches: two batch sizes, small first.
func parseBatches(batches string) ([2]int, error) {
	var bs [2]int
	parts := strings.Split(batches, ",")
	if len(parts) != 2 {
		return bs, usagef("--batches %q: give two batch sizes, small first, like 32,2048", batches)
	}
	for i, p := range parts {
		b, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || b < 1 {
			return bs, usagef("--batches %q: give two batch sizes, small first, like 32,2048", batches)
		}
		bs[i] = b
	}
	return bs, nil
}

// reportRuns says where each batch size's run got and where it went.
func reportRuns(rep *reporter, runs [2]compare.Trained) {
	for _, r := range runs {
		if r.Path != "" {
			rep.line("batch %d: %d epoch(s), training loss %.4f, saved %s", r.Batch, r.Epochs, r.Loss, r.Path)
		}
	}
}
