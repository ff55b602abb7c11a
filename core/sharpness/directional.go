package sharpness

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
)

// FitPoints is how many grid points nearest the centre the quadratic is
// fitted to: the centre and two on each side.
const FitPoints = 5

// Direction is the basin along one direction.
type Direction struct {
	Seed      uint64        `json:"seed"`
	Width     surface.Width `json:"-"`
	Size      float64       `json:"width"`     // Width.Size(), NaN when not found
	Open      bool          `json:"open"`      // the basin ran past the scan: Size is a lower bound
	Curvature float64       `json:"curvature"` // f''(0) of the quadratic fit
}

// Directional is the basin along K directions, summarized.
type Directional struct {
	Threshold  float64      `json:"threshold"`
	Centre     model.Result `json:"centre"`
	Directions []Direction  `json:"directions"`
	Width      MeanSD       `json:"width"`
	Curvature  MeanSD       `json:"curvature"`
	Alpha      surface.Axis `json:"alpha"`
}

// MeanSD is a mean and sample standard deviation over N values.
type MeanSD struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	N    int     `json:"n"`
}

func (m MeanSD) String() string {
	if m.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.4g ± %.2g", m.Mean, m.SD)
}

func meanSD(v []float64) MeanSD {
	var m MeanSD
	for _, x := range v {
		if !math.IsNaN(x) {
			m.Mean += x
			m.N++
		}
	}
	if m.N == 0 {
		return MeanSD{}
	}
	m.Mean /= float64(m.N)
	if m.N > 1 {
		for _, x := range v {
			if !math.IsNaN(x) {
				m.SD += (x - m.Mean) * (x - m.Mean)
			}
		}
		m.SD = math.Sqrt(m.SD / float64(m.N-1))
	}
	return m
}

// AlongDirections scans the loss along k directions of st's kind (seeds
// st.Direction.Seed, +1, …; st must be a 1D scan) on the same images and
// measures each basin's width and curvature, with evaluators from pool
// (nil: its own). Each direction is reported
// to done as it finishes. Cancelled, it returns the directions finished so
// far, summarized, with ctx's error.
func AlongDirections(ctx context.Context, ck *checkpoint.Checkpoint, src *data.Source, st scan.Settings, k int, threshold float64,
	pool *model.Pool, done func(Direction)) (Directional, error) {
	out := Directional{Threshold: threshold, Alpha: st.Alpha}
	if k < 1 {
		return out, fmt.Errorf("directions must be at least 1, got %d", k)
	}
	if st.Is2D() {
		return out, fmt.Errorf("directions are scanned along a line, not a plane")
	}
	if st.Alpha.Min > 0 || st.Alpha.Max < 0 {
		return out, fmt.Errorf("the α range %g:%g must contain the centre 0", st.Alpha.Min, st.Alpha.Max)
	}
	if pool == nil {
		pool = model.NewPool(ck.Arch, max(st.Workers, scan.DefaultWorkers()))
		defer pool.Close()
	}
	var centre *model.Result
	var err error
	for i := 0; i < k && err == nil; i++ {
		dst := st
		dst.Direction.Seed = st.Direction.Seed + uint64(i)
		var ss *scan.Session
		if ss, err = scan.NewSession(ck, src, dst); err != nil {
			break
		}
		ss.Job.Pool, ss.Centre = pool, centre
		if err = ss.Run(ctx, nil); err != nil {
			break
		}
		if centre == nil {
			c := model.Result{Loss: ss.Surface.Meta.CentreLoss, Accuracy: ss.Surface.Meta.CentreAcc, LossSE: ss.Surface.Meta.CentreLossSE}
			centre = &c
			out.Centre = c
		}
		d := measure(ss.Surface, threshold)
		d.Seed = dst.Direction.Seed
		out.Directions = append(out.Directions, d)
		if done != nil {
			done(d)
		}
	}
	var widths, curvs []float64
	for _, d := range out.Directions {
		widths, curvs = append(widths, d.Size), append(curvs, d.Curvature)
	}
	out.Width, out.Curvature = meanSD(widths), meanSD(curvs)
	return out, err
}

// measure reads the basin of one 1D surface.
func measure(s *surface.Surface, threshold float64) Direction {
	w := surface.Summarize(s, threshold).WidthAlpha
	d := Direction{Width: w, Size: math.NaN(), Open: w.OpenLo || w.OpenHi}
	if w.Valid {
		d.Size = w.Size()
	}
	d.Curvature = CentreCurvature(s)
	return d
}

// CentreCurvature is f”(0) of the least-squares quadratic through the
// FitPoints computed, finite points of a 1D surface nearest α = 0; NaN
// with fewer than three.
func CentreCurvature(s *surface.Surface) float64 {
	var ks []int
	for k := 0; k < s.Len(); k++ {
		if s.Done[k] && !surface.OffScale(s.Loss[k]) {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(a, b int) bool {
		xa, _ := s.Coord(ks[a])
		xb, _ := s.Coord(ks[b])
		return math.Abs(xa) < math.Abs(xb)
	})
	ks = ks[:min(len(ks), FitPoints)]
	xs, ys := make([]float64, len(ks)), make([]float64, len(ks))
	for i, k := range ks {
		xs[i], _ = s.Coord(k)
		ys[i] = s.Loss[k]
	}
	scale := 0.0 // fit on x/scale, in [-1, 1], for a well-conditioned system
	for _, x := range xs {
		scale = math.Max(scale, math.Abs(x))
	}
	if scale == 0 {
		return math.NaN()
	}
	for i := range xs {
		xs[i] /= scale
	}
	_, _, c, ok := fitQuadratic(xs, ys)
	if !ok {
		return math.NaN()
	}
	return 2 * c / (scale * scale)
}

// fitQuadratic fits y ≈ a + b·x + c·x² by least squares (the normal
// equations, solved by Cramer's rule on the 3×3 system); ok is false for
// fewer than three distinct x.
func fitQuadratic(xs, ys []float64) (a, b, c float64, ok bool) {
	var s [5]float64 // Σ x^0 … Σ x^4
	var t [3]float64 // Σ y, Σ x y, Σ x² y
	for i, x := range xs {
		p := 1.0
		for j := 0; j < 5; j++ {
			s[j] += p
			if j < 3 {
				t[j] += p * ys[i]
			}
			p *= x
		}
	}
	m := [3][3]float64{{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}}
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(m)
	if len(xs) < 3 || math.Abs(d) < 1e-300 {
		return 0, 0, 0, false
	}
	var sol [3]float64
	for col := 0; col < 3; col++ {
		mc := m
		for r := 0; r < 3; r++ {
			mc[r][col] = t[r]
		}
		sol[col] = det(mc) / d
	}
	return sol[0], sol[1], sol[2], true
}
