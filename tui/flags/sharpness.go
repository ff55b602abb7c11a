package flags

import (
	"flag"
	"fmt"
	"math"
	"strings"

	"github.com/basin-dev/basin/core/surface"
)

// Sharpness are the flags that say how flatness is measured: basin
// sharpness's, compare's, the batch-size experiment's and the app's.
type Sharpness struct {
	Directions int
	Epsilon    string
	Threshold  float64
}

// Register adds --directions, --epsilon and --threshold.
func (f *Sharpness) Register(fs *flag.FlagSet) {
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
