package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/flags"
	"github.com/basin-dev/basin/tui/render"
)

// Options configure the app.
type Options struct {
	Train      train.Config // used when there is no checkpoint to open
	Data       string       // --data directory, "" for the embedded MNIST
	Checkpoint string       // open this model and go straight to scanning
	Pretrained bool         // open the shipped checkpoint of the preset
	Demo       bool         // play the tour for a projector (implies Pretrained)
	Alpha      surface.Axis // the 1D scan and the 2D scan's α axis
	Beta       surface.Axis
	Points     int // 1D points
	Direction  direction.Spec
	Split      data.Split
	Samples    int
	SampleSeed uint64 // of the evaluation images (the directions have Direction.Seed)
	Workers    int
	RunsDir    string
	ViewRuns   string // run folders to list in M and o instead of RunsDir (basin serve: read-only)
	Profile    render.Profile
	AutoColor  bool // the profile was detected, not asked for

	Compare string // basin --compare A B: B, the model compared with the checkpoint A
	// How the numbers view measures flatness (the flags of basin sharpness).
	Directions int
	Epsilons   []float64
	Threshold  float64
	Hessian    hessian.Options

	Source *data.Source           // the data, loaded already (basin serve, tests); nil: Data
	other  *checkpoint.Checkpoint // the loaded Compare model
}

// Synopsis is the app's usage line.
const Synopsis = "basin [--pretrained | --checkpoint F | --compare A B] [--preset small] [training flags] [--alpha -1:1] [--beta -1:1] [--grid 21] [--points 51] [--norm filter] [--samples 1000] [--color auto] [--runs DIR]"

// ParseFlags reads the app's flags (those of `basin train` plus the scan
// settings). Help goes to out; errors say what is wrong in one line.
func ParseFlags(args []string, out io.Writer, getenv func(string) string) (Options, error) {
	fs := flags.New("basin", Synopsis, "The terminal app: trains a model (or opens one) and scans its loss landscape.", "basin --help", out)
	var tf flags.Train
	tf.Register(fs.FlagSet)
	var sf flags.Scan
	sf.Register(fs.FlagSet, flags.Both, "direction-seed")
	var shf flags.Sharpness
	shf.Register(fs.FlagSet)
	o := Options{}
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "open a trained model (.safetensors, or an .onnx exported from PyTorch) and go straight to scanning")
	fs.BoolVar(&o.Pretrained, "pretrained", false, "open the pretrained checkpoint of --preset shipped with basin")
	fs.BoolVar(&o.Demo, "demo", false, "for a projector: the shipped model, and a tour (1D, 2D, a zoom into the basin, 3D turning) that loops until a key is pressed")
	fs.StringVar(&o.RunsDir, "runs", "runs", "folder for run folders (checkpoints and surfaces)")
	fs.String("compare", "", "A B: open checkpoint A and compare it with B on the same directions and images (a fourth view)")
	color := fs.String("color", "auto", "colours: auto, true, 256, 16 or none (NO_COLOR is honoured)")
	args, compare, err := cutCompare(args)
	if err != nil {
		return o, err
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if compare != nil {
		if o.Checkpoint != "" || o.Pretrained {
			return o, errors.New("--compare A B names the models: leave out --checkpoint and --pretrained")
		}
		o.Checkpoint, o.Compare = compare[0], compare[1]
	}
	if o.Train, err = tf.Config(); err != nil {
		return o, err
	}
	o.Data = tf.Data
	if st, err := os.Stat(o.Checkpoint); o.Checkpoint != "" && err == nil && st.IsDir() { // an eos experiment's folder
		runs, err := eosRuns(o.Checkpoint)
		if err != nil {
			return o, fmt.Errorf("--checkpoint: %w", err)
		}
		o.Checkpoint = runs[0]
	}
	if o.Demo && o.Checkpoint == "" {
		o.Pretrained = true
	}
	if o.Checkpoint != "" && o.Pretrained {
		return o, errors.New("--checkpoint and --pretrained both name a model: give one")
	}
	line, err := sf.Settings(false)
	if err != nil {
		return o, err
	}
	plane, err := sf.Settings(true)
	if err != nil {
		return o, err
	}
	o.Alpha, o.Points = plane.Alpha, line.Alpha.N
	o.Beta = plane.Beta
	o.Direction, o.SampleSeed, o.Split, o.Samples, o.Workers = plane.Direction, plane.SampleSeed, plane.Split, plane.Samples, plane.Workers
	if o.Directions, o.Epsilons, o.Threshold, err = shf.Values(); err != nil {
		return o, err
	}
	if o.Hessian, err = shf.Hessian(o.Direction.Seed); err != nil {
		return o, err
	}
	if o.Profile, o.AutoColor, err = render.ParseProfile(*color, getenv); err != nil {
		return o, fmt.Errorf("--color: %w", err)
	}
	return o, nil
}

// cutCompare takes "--compare A B" out of args: the flag package reads one
// value per flag.
func cutCompare(args []string) (rest, compare []string, err error) {
	for i, a := range args {
		if strings.HasPrefix(a, "--compare=") || strings.HasPrefix(a, "-compare=") {
			return nil, nil, errors.New("--compare takes two checkpoints: basin --compare A.safetensors B.safetensors")
		}
		if a != "--compare" && a != "-compare" {
			continue
		}
		if i+1 < len(args) {
			if pair, ok, err := experimentPair(args[i+1]); ok || err != nil {
				rest = append(append(rest, args[:i]...), args[i+2:]...)
				return rest, pair, err
			}
		}
		if i+2 >= len(args) || strings.HasPrefix(args[i+1], "-") || strings.HasPrefix(args[i+2], "-") {
			return nil, nil, errors.New("--compare takes two checkpoints: basin --compare A.safetensors B.safetensors (or a folder of basin experiment batch-size)")
		}
		rest = append(append(rest, args[:i]...), args[i+3:]...)
		return rest, args[i+1 : i+3], nil
	}
	return args, nil, nil
}

// experimentPair reads a folder of basin experiment batch-size: its two
// checkpoints batch-N.safetensors, the smaller batch as A. ok is false
// when dir is not a folder.
func experimentPair(dir string) (pair []string, ok bool, err error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, false, nil
	}
	runs := numberedRuns(dir, "batch-")
	if len(runs) != 2 {
		return nil, true, fmt.Errorf("--compare %s: want the two batch-N.safetensors of basin experiment batch-size there, found %d", dir, len(runs))
	}
	return runs, true, nil
}

// eosRuns lists the checkpoints of a basin experiment eos folder
// (lr-RATE.safetensors), lowest rate first; an error when dir is not one.
func eosRuns(dir string) ([]string, error) {
	runs := numberedRuns(dir, "lr-")
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s is a folder without the lr-RATE.safetensors of basin experiment eos: name a checkpoint file", dir)
	}
	return runs, nil
}

// numberedRuns lists an experiment folder's checkpoints named prefix, a
// number, .safetensors (its trajectories' names do not parse), in the
// numbers' order.
func numberedRuns(dir, prefix string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, prefix+"*.safetensors"))
	type run struct {
		x    float64
		path string
	}
	var runs []run
	for _, f := range files {
		x, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), prefix), ".safetensors"), 64)
		if err == nil {
			runs = append(runs, run{x, f})
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].x < runs[j].x })
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.path
	}
	return out
}

// listRuns is the folder of run folders the pickers list.
func (o Options) listRuns() string {
	if o.ViewRuns != "" {
		return o.ViewRuns
	}
	return o.RunsDir
}

// flagsNew is flags.New with the app's help command.
func flagsNew(name, synopsis, about string, out io.Writer) *flags.Set {
	return flags.New("basin "+name, synopsis, about, "basin "+name+" --help", out)
}
