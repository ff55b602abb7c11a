package surface

import (
	"math"
	"strconv"
)

// DefaultThreshold is how far above the centre loss the basin's edge is.
const DefaultThreshold = 0.1

// Extreme is a loss value and where it is.
type Extreme struct {
	Loss        float64 `json:"loss"`
	Alpha, Beta float64
}

// Width is the interval around 0 along one axis where the loss stays
// below centre + threshold, found on the grid line through the point
// nearest the centre with linear interpolation at the crossings. Open
// sides (the loss never rose above the threshold within the range) are
// flagged: the basin is wider than the scan.
type Width struct {
	Lo, Hi         float64
	OpenLo, OpenHi bool
	Valid          bool // false when 0 is outside the range or the centre is missing
}

// Size is Hi − Lo.
func (w Width) Size() float64 { return w.Hi - w.Lo }

// String is "[lo, hi] width w", with < or > on a side the basin runs past
// the scan, or "n/a".
func (w Width) String() string {
	if !w.Valid {
		return "n/a"
	}
	num := func(v float64) string {
		if math.Abs(v) < 5e-13 {
			return "0"
		}
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	lo, hi := num(w.Lo), num(w.Hi)
	if w.OpenLo {
		lo = "<" + lo
	}
	if w.OpenHi {
		hi = ">" + hi
	}
	return "[" + lo + ", " + hi + "] width " + num(w.Size())
}

// Summary is what a landscape says in a few numbers.
type Summary struct {
	CentreLoss, CentreAcc float64
	Min, Max              Extreme
	Threshold             float64
	WidthAlpha, WidthBeta Width
	Computed, Total       int
	OffScale              int // points whose loss is off scale (see OffScale)
}

// Summarize computes the summary of the points computed so far. The
// centre is the surface's recorded centre evaluation.
func Summarize(s *Surface, threshold float64) Summary {
	sum := Summary{
		CentreLoss: s.Meta.CentreLoss, CentreAcc: s.Meta.CentreAcc, Threshold: threshold,
		Min: Extreme{Loss: math.Inf(1)}, Max: Extreme{Loss: math.Inf(-1)},
		Computed: s.Computed(), Total: s.Len(),
	}
	for k, l := range s.Loss {
		if !s.Done[k] {
			continue
		}
		if OffScale(l) {
			sum.OffScale++
			continue
		}
		a, b := s.Coord(k)
		if l < sum.Min.Loss {
			sum.Min = Extreme{l, a, b}
		}
		if l > sum.Max.Loss {
			sum.Max = Extreme{l, a, b}
		}
	}
	limit := sum.CentreLoss + threshold
	j0 := nearestZero(s.Beta)
	i0 := nearestZero(s.Alpha)
	if !s.Is2D() {
		j0 = 0
	}
	if j0 >= 0 {
		sum.WidthAlpha = width(s.Alpha, limit, func(i int) (float64, bool) {
			k := i*s.NY() + j0
			return s.Loss[k], s.Done[k]
		})
	}
	if s.Is2D() && i0 >= 0 {
		sum.WidthBeta = width(s.Beta, limit, func(j int) (float64, bool) {
			k := i0*s.NY() + j
			return s.Loss[k], s.Done[k]
		})
	}
	return sum
}

// nearestZero is the index of the coordinate closest to 0, or -1 when 0 is
// outside the axis.
func nearestZero(a Axis) int {
	if a.N == 0 || a.Min > 0 || a.Max < 0 {
		return -1
	}
	best, bi := math.Inf(1), -1
	for i := 0; i < a.N; i++ {
		if d := math.Abs(a.At(i)); d < best {
			best, bi = d, i
		}
	}
	return bi
}

// width walks out from the point nearest 0 along an axis while the loss
// stays below limit. Points not yet computed are skipped over.
func width(a Axis, limit float64, at func(int) (float64, bool)) Width {
	c := nearestZero(a)
	if c < 0 {
		return Width{}
	}
	if l, ok := at(c); !ok || !(l < limit) {
		return Width{}
	}
	w := Width{Valid: true, Lo: a.Min, Hi: a.Max, OpenLo: true, OpenHi: true}
	for _, step := range []int{-1, 1} {
		prev, prevL := c, 0.0
		prevL, _ = at(c)
		for i := c + step; i >= 0 && i < a.N; i += step {
			l, ok := at(i)
			if !ok {
				continue
			}
			if !(l < limit) { // NaN and Inf end the basin too
				x := a.At(i)
				if !math.IsNaN(l) && !math.IsInf(l, 0) && l != prevL {
					t := (limit - prevL) / (l - prevL)
					x = a.At(prev) + t*(a.At(i)-a.At(prev))
				}
				if step < 0 {
					w.Lo, w.OpenLo = x, false
				} else {
					w.Hi, w.OpenHi = x, false
				}
				break
			}
			prev, prevL = i, l
		}
	}
	return w
}
