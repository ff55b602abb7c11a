package surface

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/jsonfloat"
	"github.com/basin-dev/basin/core/model"
)

// Axis is an evenly spaced coordinate range, like numpy.linspace.
type Axis struct {
	Min, Max float64
	N        int
}

// At returns coordinate i.
func (a Axis) At(i int) float64 {
	if a.N == 1 {
		return a.Min
	}
	return a.Min + (a.Max-a.Min)*float64(i)/float64(a.N-1)
}

// Coords returns every coordinate.
func (a Axis) Coords() []float64 {
	c := make([]float64, a.N)
	for i := range c {
		c[i] = a.At(i)
	}
	return c
}

// Validate reports an unusable axis.
func (a Axis) Validate(name string) error {
	switch {
	case math.IsNaN(a.Min) || math.IsNaN(a.Max) || math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0):
		return fmt.Errorf("%s range %g:%g is not finite", name, a.Min, a.Max)
	case a.Min >= a.Max:
		return fmt.Errorf("%s range %g:%g is empty or inverted: the first number must be below the second", name, a.Min, a.Max)
	case math.IsInf(a.Max-a.Min, 0):
		return fmt.Errorf("%s range %g:%g is too wide: its span overflows", name, a.Min, a.Max)
	case a.N < 2 || a.N > MaxPoints:
		return fmt.Errorf("%s has %d points: use 2 to %d", name, a.N, MaxPoints)
	}
	return nil
}

// MaxPoints is the most points along one axis.
const MaxPoints = 1001

// Meta records what produced a surface: enough to recompute any value.
type Meta struct {
	Kind          string  `json:"kind"` // "1d" or "2d"
	Checkpoint    string  `json:"checkpoint"`
	CheckpointSHA string  `json:"checkpoint_sha256"`
	Preset        string  `json:"preset"`
	Input         string  `json:"input,omitempty"`   // the model's images, C×H×W; "" for MNIST's
	Classes       int     `json:"classes,omitempty"` // the model's classes; 0 for MNIST's 10
	ArchText      string  `json:"arch,omitempty"`    // the model's architecture file, sizes filled in (model.Arch.Text)
	Seed          uint64  `json:"seed"`              // of the directions
	SampleSeed    uint64  `json:"sample_seed"`       // of the evaluation images
	Norm          string  `json:"normalization"`
	Biases        bool    `json:"bias_directions"`
	Split         string  `json:"split"`
	Samples       int     `json:"samples"`
	Data          string  `json:"data"`
	Alpha         Axis    `json:"alpha"`
	Beta          *Axis   `json:"beta,omitempty"`
	Cosine        float64 `json:"direction_cosine"`
	// An interpolation's second checkpoint: f(t) = L((1−t)·θA + t·θB),
	// with θA the Checkpoint above.
	CheckpointB    string `json:"checkpoint_b,omitempty"`
	CheckpointBSHA string `json:"checkpoint_b_sha256,omitempty"`
	// A trajectory plane's explained variance (PCA components 1 and 2)
	// and the runs whose paths the file holds, in order.
	Explained []float64 `json:"explained_variance,omitempty"`
	// Shard is set on a part of a scan split across processes (basin
	// merge joins them); nil on a whole scan.
	Shard        *Shard   `json:"shard,omitempty"`
	PathNames    []string `json:"paths,omitempty"`
	CentreLoss   float64  `json:"centre_loss"`
	CentreAcc    float64  `json:"centre_accuracy"`
	CentreLossSE float64  `json:"centre_loss_se"` // standard error of CentreLoss over the images
	Computed     int      `json:"points_computed"`
	Total        int      `json:"points_total"`
	Complete     bool     `json:"complete"`
	Version      string   `json:"basin_version"`
}

// Shard is part I of N of a scan's points (0 ≤ I < N).
type Shard struct {
	I int `json:"index"`
	N int `json:"count"`
}

// MaxShards bounds a split: more shards than points would leave some
// empty, and a job array of a million tasks is a mistake.
const MaxShards = 100000

// Validate says why a shard is unusable, or nil: every reader of a part
// checks it, so a file cannot make a merge loop (n = 0) or index outside
// its grid (i < 0, i ≥ n).
func (s Shard) Validate() error {
	if s.N < 1 || s.N > MaxShards || s.I < 0 || s.I >= s.N {
		return fmt.Errorf("shard %d/%d: want i/n with 0 ≤ i < n ≤ %d", s.I, s.N, MaxShards)
	}
	return nil
}

func (s *Shard) String() string {
	if s == nil {
		return "whole"
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Surface is a 1D curve (Beta.N == 0) or 2D grid of loss and accuracy.
// Values are row-major over (α, β): index i*NY + j holds f(α_i, β_j).
type Surface struct {
	Meta        Meta
	Alpha, Beta Axis
	Loss, Acc   []float64 // NaN where not computed
	// LossSE is each point's standard error of the mean loss over the
	// evaluation images (NaN where not computed or not recorded): a
	// difference smaller than a few of these is sampling noise.
	LossSE []float64
	// TestLoss, TestAcc and TestLossSE are the test split's values at the
	// same points when a scan records both splits (interpolations do);
	// nil otherwise.
	TestLoss, TestAcc, TestLossSE []float64
	Done                          []bool
	D, E                          model.Params // the directions (E nil for 1D)
	// Paths are training runs drawn on the plane (a trajectory surface):
	// their snapshots' coordinates and distances off the plane.
	Paths       []Path
	EvalIndices []int // the evaluation images, indices into the split
}

// Path is one training run on a plane: snapshot Steps, their coordinates
// (X along α, Y along β) and how far each lies off the plane.
type Path struct {
	Name      string    `json:"name"`
	Steps     []int     `json:"steps"`
	X, Y, Off []float64 `json:"-"`
}

// Distance is snapshot i's distance from the plane's centre θ*: along
// the plane and off it.
func (p Path) Distance(i int) float64 {
	return math.Sqrt(p.X[i]*p.X[i] + p.Y[i]*p.Y[i] + p.Off[i]*p.Off[i])
}

// New returns an empty surface over the axes (beta.N == 0 for 1D).
func New(alpha, beta Axis) *Surface {
	s := &Surface{Alpha: alpha, Beta: beta}
	n := s.Len()
	s.Loss, s.Acc, s.LossSE, s.Done = make([]float64, n), make([]float64, n), make([]float64, n), make([]bool, n)
	for i := range s.Loss {
		s.Loss[i], s.Acc[i], s.LossSE[i] = math.NaN(), math.NaN(), math.NaN()
	}
	return s
}

// Is2D reports whether the surface has a β axis.
func (s *Surface) Is2D() bool { return s.Beta.N > 0 }

// NY is the number of β points (1 for a 1D curve).
func (s *Surface) NY() int { return max(s.Beta.N, 1) }

// Len is the number of points.
func (s *Surface) Len() int { return s.Alpha.N * s.NY() }

// Coord returns (α, β) of point k.
func (s *Surface) Coord(k int) (alpha, beta float64) {
	i, j := k/s.NY(), k%s.NY()
	if s.Is2D() {
		beta = s.Beta.At(j)
	}
	return s.Alpha.At(i), beta
}

// Computed counts the computed points.
func (s *Surface) Computed() int {
	n := 0
	for _, d := range s.Done {
		if d {
			n++
		}
	}
	return n
}

// OnScale counts the computed points whose loss is not OffScale: what a
// picture of the surface can show.
func (s *Surface) OnScale() int {
	n := 0
	for k, d := range s.Done {
		if d && !OffScale(s.Loss[k]) {
			n++
		}
	}
	return n
}

// Tally records in Meta how many points are computed of how many (a
// surface holding both splits counts its test points too) and whether
// that is all of them.
func (s *Surface) Tally() {
	s.Meta.Computed, s.Meta.Total = s.Computed(), s.Len()
	if s.TestLoss != nil {
		for _, l := range s.TestLoss {
			if !math.IsNaN(l) {
				s.Meta.Computed++
			}
		}
		s.Meta.Total += len(s.TestLoss)
	}
	s.Meta.Complete = s.Meta.Computed == s.Meta.Total
}

// Missing lists the points not computed yet.
func (s *Surface) Missing() []int {
	var m []int
	for k, d := range s.Done {
		if !d {
			m = append(m, k)
		}
	}
	return m
}

// Set records the value of point k.
func (s *Surface) Set(k int, loss, acc float64) {
	s.Loss[k], s.Acc[k], s.Done[k] = loss, acc, true
}

// Record sets point k from an evaluation, its standard error included.
func (s *Surface) Record(k int, r model.Result) {
	s.Set(k, r.Loss, r.Accuracy)
	s.LossSE[k] = r.LossSE
}

// SameSettings reports the first setting in which other (a surface on
// disk) differs from s, so a resume never mixes two landscapes.
func (s *Surface) SameSettings(other *Surface) error {
	a, b := s.Meta, other.Meta
	checks := []struct {
		what       string
		mine, them any
	}{
		{"kind", a.Kind, b.Kind},
		{"checkpoint (SHA-256)", a.CheckpointSHA, b.CheckpointSHA},
		{"seed", a.Seed, b.Seed},
		{"sample seed", a.SampleSeed, b.SampleSeed},
		{"normalization", a.Norm, b.Norm},
		{"bias directions", a.Biases, b.Biases},
		{"split", a.Split, b.Split},
		{"samples", a.Samples, b.Samples},
		{"data", a.Data, b.Data},
		{"alpha range", s.Alpha, other.Alpha},
		{"beta range", s.Beta, other.Beta},
		{"shard", a.Shard.String(), b.Shard.String()},
	}
	for _, c := range checks {
		if c.mine != c.them {
			return fmt.Errorf("its %s is %v, this scan's is %v", c.what, c.them, c.mine)
		}
	}
	return nil
}

// Clone returns a copy of the surface's points and metadata that can be
// written independently. The directions and image indices are shared:
// nothing writes them after a scan is prepared.
func (s *Surface) Clone() *Surface {
	c := *s
	c.Loss, c.Acc, c.LossSE, c.Done = slices.Clone(s.Loss), slices.Clone(s.Acc), slices.Clone(s.LossSE), slices.Clone(s.Done)
	c.TestLoss, c.TestAcc, c.TestLossSE = slices.Clone(s.TestLoss), slices.Clone(s.TestAcc), slices.Clone(s.TestLossSE)
	if s.Meta.Beta != nil {
		b := *s.Meta.Beta
		c.Meta.Beta = &b
	}
	return &c
}

// UnmarshalJSON reads a Meta; a centre value written as null (it was NaN
// or infinite: a diverged model) reads back as NaN.
func (m *Meta) UnmarshalJSON(b []byte) error {
	type plain Meta
	if err := json.Unmarshal(b, (*plain)(m)); err != nil {
		return err
	}
	return jsonfloat.NaNForNull(b, map[string]*float64{
		"centre_loss": &m.CentreLoss, "centre_accuracy": &m.CentreAcc, "centre_loss_se": &m.CentreLossSE, "direction_cosine": &m.Cosine,
	})
}

// Arch is the layout of the model the surface was scanned on (its
// parameters' names and shapes; not its input normalization).
func (m Meta) Arch() (model.Arch, error) {
	in, classes := data.MNISTShape, data.Classes
	if m.Input != "" {
		var err error
		if in, err = data.ParseShape(m.Input); err != nil {
			return model.Arch{}, fmt.Errorf("metadata input: %w", err)
		}
	}
	if m.Classes != 0 {
		classes = m.Classes
	}
	norm := data.Identity(in.C) // the layout needs no normalization
	if m.ArchText == "" {
		// a file from before architectures were recorded
		return model.PresetFor(m.Preset, in, classes, norm)
	}
	f, err := model.ParseArch("in the metadata", []byte(m.ArchText))
	if err != nil {
		return model.Arch{}, err
	}
	return f.For(in, classes, norm)
}
