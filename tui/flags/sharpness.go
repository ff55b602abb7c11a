package flags

import (
	"flag"
	"fmt"
	"math"
	"strings"

	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/surface"
)

// Sharpness are the flags that say how flatness is measured: basin
// sharpness's, compare's, the batch-size experiment's and the app's.
type Sharpness struct {
	Directions int
	Epsilon    string
	Threshold  float64
	Top        int
	LambdaMin  bool
	Trace      bool
	PerLayer   bool
	// Density and DensitySteps: --density runs of --density-steps steps.
	Density, DensitySteps int
}

// Register adds --directions, --epsilon, --threshold and the Hessian's
// --top, --lambda-min, --trace and --per-layer.
func (f *Sharpness) Register(fs *flag.FlagSet) {
	fs.IntVar(&f.Top, "top", 1, "Hessian eigenvalues of largest magnitude to find, λ1..λk (0: none, and no λmin or --per-layer)")
	fs.BoolVar(&f.LambdaMin, "lambda-min", true, "also the Hessian's smallest eigenvalue (Lanczos, reorthogonalised)")
	fs.IntVar(&f.Density, "density", 0, "also the Hessian's eigenvalue density by stochastic Lanczos quadrature, from this many runs (0: none; 3 is usual)")
	fs.IntVar(&f.DensitySteps, "density-steps", 80, "Lanczos steps per density run")
	fs.BoolVar(&f.Trace, "trace", true, "also the Hessian's trace (Hutchinson's estimator, Rademacher vectors)")
	fs.BoolVar(&f.PerLayer, "per-layer", false, "also λmax of each layer's own diagonal block of the Hessian")
	fs.IntVar(&f.Directions, "directions", 10, "random directions to measure each basin along (seeds seed, seed+1, …)")
	fs.StringVar(&f.Epsilon, "epsilon", "1e-3,5e-4", "box sizes of ε-sharpness (Keskar et al.), comma-separated; \"\" for none")
	fs.Float64Var(&f.Threshold, "threshold", surface.DefaultThreshold, "basin edge: loss above centre + this")
}

// Values validates the flags.
func (f *Sharpness) Values() (directions int, epsilons []float64, threshold float64, err error) {
	if f.Directions < 0 || f.Directions > 1000 {
		return 0, nil, 0, fmt.Errorf("--directions %d: use 0 to 1000", f.Directions)
	}
	if !(f.Threshold > 0) || math.IsInf(f.Threshold, 0) {
		return 0, nil, 0, fmt.Errorf("--threshold %g: use a positive number", f.Threshold)
	}
	for _, s := range strings.Split(f.Epsilon, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		e, err := Number(s)
		if err != nil || !(e > 0) || e > 1 {
			return 0, nil, 0, fmt.Errorf("--epsilon %q: want box sizes between 0 and 1, like 1e-3,5e-4", f.Epsilon)
		}
		epsilons = append(epsilons, e)
	}
	return f.Directions, epsilons, f.Threshold, nil
}

// Hessian returns the Hessian measurements the flags ask for, their start
// vectors drawn from seed.
func (f *Sharpness) Hessian(seed uint64) (hessian.Options, error) {
	o := hessian.DefaultOptions()
	o.Top, o.Trace, o.PerLayer, o.Search.Seed = f.Top, f.Trace, f.PerLayer, seed
	o.Bottom = f.LambdaMin && f.Top > 0
	o.Density, o.DensitySteps = f.Density, f.DensitySteps
	if f.Density < 0 || f.Density > 100 {
		return o, fmt.Errorf("--density %d: use 0 (none) to 100 runs", f.Density)
	}
	if f.Density > 0 && (f.DensitySteps < 2 || f.DensitySteps > 1000) {
		return o, fmt.Errorf("--density-steps %d: use 2 to 1000", f.DensitySteps)
	}
	if f.Top < 0 || f.Top > 100 {
		return o, fmt.Errorf("--top %d: use 0 to 100 eigenvalues", f.Top)
	}
	if f.Top == 0 && f.PerLayer {
		return o, fmt.Errorf("--per-layer needs --top 1 or more")
	}
	return o, o.Validate()
}
