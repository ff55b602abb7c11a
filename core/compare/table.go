package compare

import (
	"fmt"
	"math"

	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/surface"
)

// Row is one number for A and for B, and how B relates to A.
type Row struct {
	What string
	A, B string
	// Ratio is B/A, NaN when either is missing or A is 0.
	Ratio float64
}

// Rows lays the comparison out: generalization first, then the basin's
// size and shape, then sharpness. threshold is the basin's edge.
func (c *Comparison) Rows(threshold float64) []Row {
	var rows []Row
	add := func(what string, a, b float64, format func(float64) string) {
		r := Row{What: what, A: format(a), B: format(b), Ratio: math.NaN()}
		if a != 0 && !math.IsNaN(a) && !math.IsNaN(b) {
			r.Ratio = b / a
		}
		rows = append(rows, r)
	}
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }
	num := func(v float64) string {
		if math.IsNaN(v) {
			return "n/a"
		}
		return fmt.Sprintf("%.4g", v)
	}
	add("test accuracy", c.A.Test.Accuracy, c.B.Test.Accuracy, pct)
	add("test loss", c.A.Test.Loss, c.B.Test.Loss, num)
	if c.A.Line != nil && c.B.Line != nil {
		rows = append(rows, Row{What: "centre loss (scan images)",
			A:     fmt.Sprintf("%.4g ± %.2g", c.A.Line.Meta.CentreLoss, c.A.Line.Meta.CentreLossSE),
			B:     fmt.Sprintf("%.4g ± %.2g", c.B.Line.Meta.CentreLoss, c.B.Line.Meta.CentreLossSE),
			Ratio: c.B.Line.Meta.CentreLoss / c.A.Line.Meta.CentreLoss})
		wa, wb := surface.Summarize(c.A.Line, threshold).WidthAlpha, surface.Summarize(c.B.Line, threshold).WidthAlpha
		add(fmt.Sprintf("1D basin width (loss < centre + %g)", threshold), width(wa), width(wb), num)
	}
	if c.A.Plane != nil && c.B.Plane != nil {
		sa, sb := surface.Summarize(c.A.Plane, threshold), surface.Summarize(c.B.Plane, threshold)
		add("2D basin width along α", width(sa.WidthAlpha), width(sb.WidthAlpha), num)
		add("2D basin width along β", width(sa.WidthBeta), width(sb.WidthBeta), num)
	}
	if da, db := c.A.Directional, c.B.Directional; da.Width.N > 0 && db.Width.N > 0 {
		rows = append(rows,
			Row{What: fmt.Sprintf("width over %d directions", da.Width.N), A: da.Width.String(), B: db.Width.String(), Ratio: db.Width.Mean / da.Width.Mean},
			Row{What: fmt.Sprintf("curvature f''(0) over %d directions", da.Curvature.N), A: da.Curvature.String(), B: db.Curvature.String(), Ratio: db.Curvature.Mean / da.Curvature.Mean})
	}
	rows = append(rows, hessianRows(c.A.Hessian, c.B.Hessian)...)
	for i := range min(len(c.A.Epsilon), len(c.B.Epsilon)) {
		ea, eb := c.A.Epsilon[i], c.B.Epsilon[i]
		add(fmt.Sprintf("ε-sharpness at ε=%g (%%)", ea.Epsilon), ea.Sharpness, eb.Sharpness, num)
	}
	return rows
}

// width is a basin's size, NaN when none was found.
func width(w surface.Width) float64 {
	if !w.Valid {
		return math.NaN()
	}
	return w.Size()
}

// hessianRows are the Hessian's numbers of both sides, each with its error
// bar (an eigenvalue's residual ‖Hv − λv‖, the trace's standard error).
func hessianRows(a, b *hessian.Spectrum) []Row {
	if a == nil || b == nil {
		return nil
	}
	var rows []Row
	str := func(e hessian.Eigen) string {
		if !e.Converged {
			return EigenString(e) + " (not converged)"
		}
		return EigenString(e)
	}
	eig := func(what string, ea, eb hessian.Eigen) {
		rows = append(rows, Row{What: what, A: str(ea), B: str(eb), Ratio: eb.Value / ea.Value})
	}
	for i := range min(len(a.Top), len(b.Top)) {
		eig(fmt.Sprintf("Hessian λ%d", i+1), a.Top[i], b.Top[i])
	}
	if a.Bottom != nil && b.Bottom != nil {
		eig("Hessian λmin", *a.Bottom, *b.Bottom)
		if len(a.Top) > 0 && len(b.Top) > 0 {
			ra, rb := convexity(*a.Bottom, a.Top[0]), convexity(*b.Bottom, b.Top[0])
			rows = append(rows, Row{What: "|λmin/λmax| (Li et al.: small is convex)",
				A: fmt.Sprintf("%.3g", ra), B: fmt.Sprintf("%.3g", rb), Ratio: rb / ra})
		}
	}
	if a.Trace != nil && b.Trace != nil {
		rows = append(rows, Row{What: "Hessian trace", A: TraceString(*a.Trace), B: TraceString(*b.Trace), Ratio: b.Trace.Value / a.Trace.Value})
	}
	for i := range min(len(a.Layers), len(b.Layers)) {
		eig("λmax of "+a.Layers[i].Layer, a.Layers[i].Eigen, b.Layers[i].Eigen)
	}
	return rows
}

// convexity is |λmin/λmax|, 0 when λmin ≥ 0: how much the surface bends
// down against how much it bends up (Li et al.'s Figure 7 maps it).
func convexity(bottom, top hessian.Eigen) float64 {
	if bottom.Value >= 0 || top.Value == 0 {
		return 0
	}
	return math.Abs(bottom.Value / top.Value)
}

// EigenString is an eigenvalue with its residual bound.
func EigenString(e hessian.Eigen) string { return fmt.Sprintf("%.4g ± %.2g", e.Value, e.Residual) }

// TraceString is a trace estimate with its standard error.
func TraceString(t hessian.TraceEstimate) string {
	return fmt.Sprintf("%.4g ± %.2g", t.Value, t.SE)
}
