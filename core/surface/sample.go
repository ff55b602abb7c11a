package surface

import "math"

// OffScaleLoss is the loss above which a point counts as diverged: far
// beyond any trained or random network's cross-entropy (chance is ln 10 ≈
// 2.3), and where a colour scale stops meaning anything.
const OffScaleLoss = 1e3

// OffScale reports whether a computed loss is diverged: NaN, infinite or
// above OffScaleLoss.
func OffScale(loss float64) bool {
	return math.IsNaN(loss) || math.IsInf(loss, 0) || loss > OffScaleLoss
}

// At returns the loss at (α, β) interpolated from the computed points, and
// whether it is known. A scan fills the grid coarse to fine, so At uses the
// finest cell around the point whose four corners are computed: the picture
// is whole early and sharpens as points arrive. Off-scale corners make the
// result +Inf.
func (s *Surface) At(alpha, beta float64) (float64, bool) {
	fi, ok := frac(s.Alpha, alpha)
	if !ok {
		return math.NaN(), false
	}
	fj := 0.0
	if s.Is2D() {
		if fj, ok = frac(s.Beta, beta); !ok {
			return math.NaN(), false
		}
	}
	nx, ny := s.Alpha.N, s.NY()
	for step := 1; ; step *= 2 {
		i0, i1, ti := cell(fi, step, nx)
		j0, j1, tj := cell(fj, step, ny)
		k00, k10, k01, k11 := i0*ny+j0, i1*ny+j0, i0*ny+j1, i1*ny+j1
		if s.Done[k00] && s.Done[k10] && s.Done[k01] && s.Done[k11] {
			v00, v10, v01, v11 := s.Loss[k00], s.Loss[k10], s.Loss[k01], s.Loss[k11]
			if OffScale(v00) || OffScale(v10) || OffScale(v01) || OffScale(v11) {
				return math.Inf(1), true
			}
			return (v00*(1-ti)+v10*ti)*(1-tj) + (v01*(1-ti)+v11*ti)*tj, true
		}
		if step >= max(nx, ny) {
			return math.NaN(), false
		}
	}
}

// frac is the fractional grid index of v on the axis.
func frac(a Axis, v float64) (float64, bool) {
	if a.N < 2 || v < a.Min || v > a.Max || math.IsNaN(v) {
		return 0, false
	}
	return (v - a.Min) / (a.Max - a.Min) * float64(a.N-1), true
}

// cell returns the corners of the stride-step cell holding fractional
// index f on an axis of n points, and the position inside it.
func cell(f float64, step, n int) (lo, hi int, t float64) {
	if n == 1 {
		return 0, 0, 0
	}
	lo = min(int(f)/step*step, n-1)
	hi = min(lo+step, n-1)
	if hi == lo {
		return lo, hi, 0
	}
	return lo, hi, (f - float64(lo)) / float64(hi-lo)
}
