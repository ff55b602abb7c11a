package render

import (
	"math"
	"strconv"
	"strings"
)

// FormatTick formats an axis value compactly, never as "-0".
func FormatTick(v float64) string {
	if v == 0 || math.Abs(v) < 1e-12 {
		return "0"
	}
	switch a := math.Abs(v); { // steps and counts: 2.5k, not 2.5e3
	case a >= 1e3 && a < 1e6:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	case a >= 1e6 && a < 1e9:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	}
	s := strconv.FormatFloat(v, 'g', 3, 64)
	if strings.Contains(s, "e") {
		// 1e+03 → 1e3, 2.5e-05 → 2.5e-5
		mant, exp, _ := strings.Cut(s, "e")
		n, _ := strconv.Atoi(exp)
		s = mant + "e" + strconv.Itoa(n)
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// Ticks returns "nice" values (1, 2 or 5 × 10^k apart) inside [lo, hi],
// about n of them.
func Ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out
}

// LogTicks returns powers of ten (and 2×, 5× when few) inside [lo, hi].
func LogTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || lo <= 0 {
		return Ticks(lo, hi, n)
	}
	var out []float64
	for _, mults := range [][]float64{{1}, {1, 3}, {1, 2, 5}} {
		out = out[:0]
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range mults {
				if v := m * math.Pow(10, e); v >= lo && v <= hi {
					out = append(out, v)
				}
			}
		}
		if len(out) >= n/2+1 {
			break
		}
	}
	if len(out) < 2 {
		return Ticks(lo, hi, n)
	}
	return out
}

// Scale maps values to [0,1], linearly or logarithmically.
type Scale struct {
	Min, Max float64
	Log      bool
}

func (s Scale) f(v float64) float64 {
	if s.Log {
		return math.Log(math.Max(v, 1e-12))
	}
	return v
}

// T is the position of v on the scale, clamped to [0,1].
func (s Scale) T(v float64) float64 {
	lo, hi := s.f(s.Min), s.f(s.Max)
	if !(hi > lo) {
		return 0.5
	}
	return math.Max(0, math.Min(1, (s.f(v)-lo)/(hi-lo)))
}

// Value is the value at position t of the scale.
func (s Scale) Value(t float64) float64 {
	if s.Log {
		lo, hi := math.Log(math.Max(s.Min, 1e-12)), math.Log(math.Max(s.Max, 1e-12))
		return math.Exp(lo + t*(hi-lo))
	}
	return s.Min + t*(s.Max-s.Min)
}

// Levels returns n contour levels strictly inside the scale, evenly
// spaced on it (so log-spaced on a log scale).
func (s Scale) Levels(n int) []float64 {
	out := make([]float64, 0, n)
	for k := 1; k <= n; k++ {
		out = append(out, s.Value(float64(k)/float64(n+1)))
	}
	return out
}

// Finite reports whether v is neither NaN nor infinite.
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
