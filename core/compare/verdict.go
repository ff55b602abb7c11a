package compare

import (
	"fmt"
	"math"
	"strings"
)

// Finding is one flatness measure's answer to "which minimum is flatter?".
type Finding struct {
	What string
	// Flatter is "A" or "B", or "" when the two are within their error
	// bars (or a side lacks the measure).
	Flatter string
	// Bar says whether the measure has error bars; one without (ε-sharpness)
	// decides by its sign alone.
	Bar bool
}

// Verdict is the comparison's answer: each measure's finding and a line
// saying which is flatter, on how many measures, and which disagree.
type Verdict struct {
	Findings []Finding
	Line     string
}

// Decide reads the flatness measures of two sides: the basin's width
// along the directions (wider is flatter) and its curvature, the Hessian's
// λ1 and trace, ε-sharpness (smaller is flatter). A measure with error
// bars decides only when the two differ by more than twice their combined
// error (the standard error of a mean over directions, an eigenvalue's
// residual, the trace's standard error).
func Decide(a, b *Side) Verdict {
	var v Verdict
	add := func(what string, va, ea, vb, eb float64, higherFlatter, bar bool) {
		f := Finding{What: what, Bar: bar}
		if !math.IsNaN(va) && !math.IsNaN(vb) && math.Abs(va-vb) > 2*math.Hypot(ea, eb) && va != vb {
			if (vb > va) == higherFlatter {
				f.Flatter = "B"
			} else {
				f.Flatter = "A"
			}
		}
		v.Findings = append(v.Findings, f)
	}
	if da, db := a.Directional, b.Directional; da.Width.N > 1 && db.Width.N > 1 {
		se := func(sd float64, n int) float64 { return sd / math.Sqrt(float64(n)) }
		add("width", da.Width.Mean, se(da.Width.SD, da.Width.N), db.Width.Mean, se(db.Width.SD, db.Width.N), true, true)
		add("curvature", da.Curvature.Mean, se(da.Curvature.SD, da.Curvature.N), db.Curvature.Mean, se(db.Curvature.SD, db.Curvature.N), false, true)
	}
	if ha, hb := a.Hessian, b.Hessian; ha != nil && hb != nil {
		if len(ha.Top) > 0 && len(hb.Top) > 0 {
			add("λ1", ha.Top[0].Value, ha.Top[0].Residual, hb.Top[0].Value, hb.Top[0].Residual, false, true)
		}
		if ha.Trace != nil && hb.Trace != nil {
			add("trace", ha.Trace.Value, ha.Trace.SE, hb.Trace.Value, hb.Trace.SE, false, true)
		}
	}
	for i := range min(len(a.Epsilon), len(b.Epsilon)) {
		add(fmt.Sprintf("ε-sharpness %g", a.Epsilon[i].Epsilon), a.Epsilon[i].Sharpness, 0, b.Epsilon[i].Sharpness, 0, false, false)
	}
	v.Line = v.summary()
	return v
}

// summary writes the verdict line.
func (v Verdict) summary() string {
	if len(v.Findings) == 0 {
		return "no flatness measures to compare"
	}
	var forA, forB, ties []string
	for _, f := range v.Findings {
		switch f.Flatter {
		case "A":
			forA = append(forA, f.What)
		case "B":
			forB = append(forB, f.What)
		default:
			ties = append(ties, f.What)
		}
	}
	n := len(v.Findings)
	win, lose, wins, losses := "A", "B", forA, forB
	if len(forB) > len(forA) {
		win, lose, wins, losses = "B", "A", forB, forA
	}
	var s string
	switch {
	case len(forA) == 0 && len(forB) == 0:
		return fmt.Sprintf("neither is flatter: all %d measures agree within their error bars", n)
	case len(forA) == len(forB):
		s = fmt.Sprintf("undecided: A is flatter by %s, B by %s", strings.Join(forA, ", "), strings.Join(forB, ", "))
	default:
		s = fmt.Sprintf("%s is flatter on %d of %d measures (%s)", win, len(wins), n, strings.Join(wins, ", "))
		if len(losses) > 0 {
			s += fmt.Sprintf("; %s disagree%s, saying %s", strings.Join(losses, " and "), plural(len(losses) == 1), lose)
		}
	}
	if len(ties) > 0 {
		s += fmt.Sprintf("; within error bars: %s", strings.Join(ties, ", "))
	}
	return s
}

func plural(one bool) string {
	if one {
		return "s"
	}
	return ""
}
