package flags

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// Images choose the images an evaluation runs on: basin eval's flags, and
// part of every scan's, so the same flags mean the same images.
type Images struct {
	Split   string
	Samples int
	Seed    uint64
}

// Register adds --split, --samples and the seed of the image sample,
// named seedFlag (basin eval's --seed).
func (f *Images) Register(fs *flag.FlagSet, seedFlag string) {
	f.register(fs)
	fs.Uint64Var(&f.Seed, seedFlag, 1, "seed of the image sample")
}

func (f *Images) register(fs *flag.FlagSet) {
	fs.StringVar(&f.Split, "split", string(data.Train), "images to evaluate on: train or test")
	fs.IntVar(&f.Samples, "samples", 1000, "number of images, drawn with the sample seed")
}

// Validate checks what can be checked without the data.
func (f *Images) Validate() (data.Split, error) {
	split, err := data.ParseSplit(f.Split)
	if err != nil {
		return "", fmt.Errorf("--split: %w", err)
	}
	if f.Samples < 1 {
		return "", fmt.Errorf("--samples %d: use at least 1", f.Samples)
	}
	return split, nil
}

// Shape says which axes a command scans.
type Shape int

// The scan shapes: scan1d, scan2d, and the app (both).
const (
	Line Shape = 1 << iota
	Plane
	Both = Line | Plane
)

// Scan are the flags that choose a scan. A scan has two seeds: the
// directions' (--seed in the headless commands, --direction-seed in the
// app, where --seed is training's) and the image sample's
// (--sample-seed, by default the same number). A surface file records
// both, so the app and the CLI reproduce each other's scans.
type Scan struct {
	Images
	DirectionSeed     uint64
	sampleSeed        optionalSeed
	shape             Shape
	Alpha, Beta, Grid string
	Points            int
	Norm              string
	Biases            bool
	Workers           int
}

// Register adds the scan flags of shape to fs; seedFlag as in Images.
func (f *Scan) Register(fs *flag.FlagSet, shape Shape, seedFlag string) {
	f.shape = shape
	f.Images.register(fs)
	fs.Uint64Var(&f.DirectionSeed, seedFlag, 1, "seed of the random directions (and of the image sample, unless --sample-seed is given)")
	fs.Var(&f.sampleSeed, "sample-seed", "seed of the image sample (default: the --"+seedFlag+")")
	fs.StringVar(&f.Alpha, "alpha", "-1:1", "α range, min:max")
	if shape&Line != 0 {
		fs.IntVar(&f.Points, "points", 51, fmt.Sprintf("1D scan: number of α points (2 to %d)", surface.MaxPoints))
	}
	if shape&Plane != 0 {
		fs.StringVar(&f.Beta, "beta", "-1:1", "β range of the plane, min:max")
		fs.StringVar(&f.Grid, "grid", "21", "plane: points per side, N, or NxM for N α points by M β points")
	}
	fs.StringVar(&f.Norm, "norm", string(direction.Filter), "direction normalization: filter, layer or none")
	fs.BoolVar(&f.Biases, "biases", false, "give biases a direction too (default: they stay at θ*)")
	fs.IntVar(&f.Workers, "workers", 0, fmt.Sprintf("parallel evaluations (default: one per core; at most %d here)", scan.MaxWorkers()))
}

// Settings validates the flags into the settings of a line (plane false)
// or a plane scan.
func (f *Scan) Settings(plane bool) (scan.Settings, error) {
	split, err := f.Images.Validate()
	if err != nil {
		return scan.Settings{}, err
	}
	f.Seed = f.DirectionSeed
	if f.sampleSeed.set {
		f.Seed = f.sampleSeed.v
	}
	st := scan.Settings{SampleSeed: f.Seed, Split: split, Samples: f.Samples, Workers: f.Workers}
	st.Direction.Seed, st.Direction.Biases = f.DirectionSeed, f.Biases
	if st.Direction.Norm, err = direction.ParseNorm(f.Norm); err != nil {
		return st, fmt.Errorf("--norm: %w", err)
	}
	if st.Alpha.Min, st.Alpha.Max, err = Range(f.Alpha); err != nil {
		return st, fmt.Errorf("--alpha %q: %w", f.Alpha, err)
	}
	if plane {
		if st.Beta.Min, st.Beta.Max, err = Range(f.Beta); err != nil {
			return st, fmt.Errorf("--beta %q: %w", f.Beta, err)
		}
		if st.Alpha.N, st.Beta.N, err = Grid(f.Grid); err != nil {
			return st, fmt.Errorf("--grid %w", err)
		}
	} else {
		st.Alpha.N = f.Points
		if f.Points < 2 || f.Points > surface.MaxPoints {
			return st, fmt.Errorf("--points %d: use 2 to %d", f.Points, surface.MaxPoints)
		}
	}
	if err := scan.CheckWorkers(f.Workers); err != nil {
		return st, fmt.Errorf("--workers %w", err)
	}
	return st, st.Validate()
}

// optionalSeed is a seed flag that knows whether it was given.
type optionalSeed struct {
	v   uint64
	set bool
}

func (o *optionalSeed) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.FormatUint(o.v, 10)
}

func (o *optionalSeed) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a seed (a whole number of 0 or more)", s)
	}
	o.v, o.set = v, true
	return nil
}
