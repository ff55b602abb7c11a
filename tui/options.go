package tui

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/basin-dev/basin/core/cli"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/render"
)

// Options configure the app.
type Options struct {
	Train      train.Config // used when there is no checkpoint to open
	Data       string       // --data directory, "" for the embedded MNIST
	Checkpoint string       // open this model and go straight to scanning
	Pretrained bool         // open the shipped checkpoint of the preset
	Alpha      surface.Axis // the 1D scan and the 2D scan's α axis
	Beta       surface.Axis
	Points     int // 1D points
	Direction  direction.Spec
	Split      data.Split
	Samples    int
	Workers    int
	RunsDir    string
	Profile    render.Profile
	AutoColor  bool // the profile was detected, not asked for

	source *data.Source // tests hand in a small data set
}

// Synopsis is the app's usage line.
const Synopsis = "basin [--pretrained | --checkpoint F] [--preset small] [training flags] [--alpha -1:1] [--beta -1:1] [--grid 21] [--points 51] [--norm filter] [--samples 1000] [--color auto] [--runs DIR]"

// ParseFlags reads the app's flags (those of `basin train` plus the scan
// settings). Help goes to out; errors say what is wrong in one line.
func ParseFlags(args []string, out io.Writer) (Options, error) {
	fs := flag.NewFlagSet("basin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var tf cli.TrainFlags
	tf.Register(fs)
	o := Options{}
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "open a trained model (.safetensors) and go straight to scanning")
	fs.BoolVar(&o.Pretrained, "pretrained", false, "open the pretrained checkpoint of --preset shipped with basin")
	alpha := fs.String("alpha", "-1:1", "α range, min:max")
	beta := fs.String("beta", "-1:1", "β range of the 2D scan, min:max")
	grid := fs.Int("grid", 21, "2D grid points per side (2 to 1001)")
	fs.IntVar(&o.Points, "points", 51, "1D scan points (2 to 1001)")
	norm := fs.String("norm", "filter", "direction normalization: filter, layer or none")
	dseed := fs.Uint64("direction-seed", 1, "seed of the directions and the evaluation images")
	fs.BoolVar(&o.Direction.Biases, "biases", false, "give biases a direction too")
	split := fs.String("split", "train", "images the scans evaluate on: train or test")
	fs.IntVar(&o.Samples, "samples", 1000, "images per scan point")
	fs.IntVar(&o.Workers, "workers", 0, "parallel evaluations per scan (default: one per core)")
	fs.StringVar(&o.RunsDir, "runs", "runs", "folder for run folders (checkpoints and surfaces)")
	color := fs.String("color", "auto", "colours: auto, true, 256, 16 or none (NO_COLOR is honoured)")
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: %s\n\nThe terminal app: trains a model (or opens one) and scans its loss landscape.\n\nflags:\n", Synopsis)
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return o, err
		}
		return o, fmt.Errorf("%v (see basin --help)", err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: run 'basin help' for the commands", fs.Arg(0))
	}
	var err error
	if o.Train, err = tf.Config(); err != nil {
		return o, err
	}
	o.Data = tf.Data
	if o.Checkpoint != "" && o.Pretrained {
		return o, errors.New("--checkpoint and --pretrained both name a model: give one")
	}
	if o.Alpha.Min, o.Alpha.Max, err = parseRange("alpha", *alpha); err != nil {
		return o, err
	}
	if o.Beta.Min, o.Beta.Max, err = parseRange("beta", *beta); err != nil {
		return o, err
	}
	o.Alpha.N, o.Beta.N = *grid, *grid
	if *grid < 2 || *grid > surface.MaxPoints || o.Points < 2 || o.Points > surface.MaxPoints {
		return o, fmt.Errorf("--grid %d / --points %d: each must be 2 to %d", *grid, o.Points, surface.MaxPoints)
	}
	if o.Direction.Norm, err = direction.ParseNorm(*norm); err != nil {
		return o, fmt.Errorf("--norm: %v", err)
	}
	o.Direction.Seed = *dseed
	if o.Split, err = data.ParseSplit(*split); err != nil {
		return o, fmt.Errorf("--split: %v", err)
	}
	if o.Samples < 1 {
		return o, fmt.Errorf("--samples %d: use at least 1", o.Samples)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("--workers %d: use 0 (one per core) or more", o.Workers)
	}
	if o.Profile, o.AutoColor, err = render.ParseProfile(*color); err != nil {
		return o, fmt.Errorf("--color: %v", err)
	}
	return o, nil
}

func parseRange(name, s string) (lo, hi float64, err error) {
	lo, hi, err = cli.ParseRange(s)
	if err != nil {
		return 0, 0, fmt.Errorf("--%s %q: %v", name, s, err)
	}
	return lo, hi, nil
}
