package app

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/compare"
	"github.com/basin-dev/basin/core/hessian"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

// numbersView measures flatness on request (r): for the model, or for A
// and B with --compare, the test-split evaluation, the basin's width and
// curvature along K directions and ε-sharpness, as a table with the
// ratio B/A. It is basin sharpness (and compare's table) inside the app.
type numbersView struct {
	c       *common
	id      int
	running bool
	what    string // the step in progress
	sides   []*compare.Side
	err     string
	cancel  context.CancelFunc
}

func newNumbersView(c *common) *numbersView { return &numbersView{c: c} }

func (v *numbersView) title() string { return "numbers" }

// onRequest: the view measures on r only, so the demo flow stops before it.
func (v *numbersView) onRequest() {}

// ready: a model was switched to; what was measured (or is being) is
// the old model's, and goes.
func (v *numbersView) ready() {
	if v.cancel != nil {
		v.cancel()
	}
	v.id, v.running, v.sides, v.err, v.what = v.c.nextJob(), false, nil, "", ""
}

func (v *numbersView) keys() helpKeys {
	k := v.c.keys
	return helpKeys{short: []key.Binding{k.Measure}, full: [][]key.Binding{{k.Measure}}}
}

// settings are the app's 1D scan settings and the sharpness flags.
func (v *numbersView) settings() compare.Settings {
	o := v.c.opts
	line := scan.Settings{Alpha: o.Alpha, Direction: o.Direction, SampleSeed: o.SampleSeed,
		Split: o.Split, Samples: o.Samples, Workers: o.Workers}
	line.Alpha.N = o.Points
	return compare.Settings{Line: line, Directions: o.Directions, Epsilons: o.Epsilons, Threshold: o.Threshold, Hessian: o.Hessian}
}

func (v *numbersView) key(msg tea.KeyMsg) bool {
	if !key.Matches(msg, v.c.keys.Measure) || v.running || v.c.ck == nil || v.c.src == nil {
		return false
	}
	cks := []*checkpoint.Checkpoint{v.c.ck}
	if v.c.other != nil {
		cks = append(cks, v.c.other)
	}
	v.id = v.c.nextJob()
	v.running, v.err, v.sides, v.what = true, "", nil, "starting"
	var ctx context.Context
	ctx, v.cancel = context.WithCancel(v.c.eng.Ctx)
	v.c.eng.Measure(ctx, v.id, cks, v.c.src, v.settings())
	return true
}

func (v *numbersView) handle(ev any) bool {
	switch e := ev.(type) {
	case jobs.MeasureStep:
		if e.ID == v.id {
			v.what = e.What
		}
	case jobs.MeasureDone:
		if e.ID != v.id {
			return false
		}
		v.running, v.sides = false, e.Sides
		if e.Err != nil {
			v.err = e.Err.Error()
		}
		return true
	}
	return false
}

func (v *numbersView) status() []string {
	st := v.settings()
	return []string{fmt.Sprintf("%d directions", st.Directions), fmt.Sprintf("%d %s imgs", st.Line.Samples, st.Line.Split)}
}

func (v *numbersView) activity() string {
	if v.running {
		return "measuring: " + v.what
	}
	return ""
}

func (v *numbersView) view(w, h int) string {
	st := v.c.st
	set := v.settings()
	var b strings.Builder
	b.WriteString(st.title.Render("Numbers") + st.faint.Render(fmt.Sprintf("  flatness with error bars · %d %s-normalized directions, α %g:%g at %d points · ε %v · %d %s images",
		set.Directions, set.Line.Direction.Norm, set.Line.Alpha.Min, set.Line.Alpha.Max, set.Line.Alpha.N, set.Epsilons, set.Line.Samples, set.Line.Split)) + "\n\n")
	switch {
	case v.running:
		b.WriteString(st.faint.Render("measuring — " + v.what + " …"))
	case v.sides == nil:
		b.WriteString("Press " + st.key.Render("r") + " to measure: the test-split evaluation, the basin's width and curvature f''(0) along\n")
		b.WriteString("each direction (mean ± sd), ε-sharpness (Keskar et al.) and the Hessian's top eigenvalues, λmin and trace,\nfor the model")
		if v.c.other != nil {
			b.WriteString(" and for B, with B/A")
		}
		b.WriteString(".\nIt runs between scans and takes about as long as K 1D scans.")
	default:
		b.WriteString(st.faint.Render("± is the sd over directions, an eigenvalue's residual ‖Hv − λv‖ (v's distance from an eigenvector), a mean's s.e.") + "\n")
		if len(v.sides) == 2 { // the whole verdict, wrapped: its end names what disagrees
			verdict := lipgloss.NewStyle().Width(w).Render("verdict: " + compare.Decide(v.sides[0], v.sides[1]).Line)
			b.WriteString(verdict + "\n")
		}
		b.WriteString(v.table())
		if chart := v.density(w, h-strings.Count(b.String(), "\n")-2); chart != "" {
			b.WriteString("\n" + chart)
		}
	}
	if v.err != "" {
		b.WriteString("\n" + st.err.Render(v.err))
	}
	lines := strings.Split(b.String(), "\n")
	for i := range lines {
		lines[i] = truncate(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

// density draws the first side's eigenvalue density (when measured: the
// --density flag) in what height is left: on a log axis, the bulk and λ1
// marked, B's over A's in its own colour.
func (v *numbersView) density(w, h int) string {
	if h < 6 || len(v.sides) == 0 || v.sides[0].Hessian == nil || v.sides[0].Hessian.Density == nil {
		return ""
	}
	st := v.c.st
	d := v.sides[0].Hessian.Density
	ch := render.Chart{W: w, H: h - 1, XMin: d.Grid[0], XMax: d.Grid[len(d.Grid)-1], LogY: true,
		Marks: []float64{d.Bulk[0], d.Bulk[1], d.Max}, MarkColor: st.axis, AxisColor: st.axis, Cursor: math.NaN()}
	peak := 0.0
	colors := []render.Color{st.line, st.acc}
	for i, s := range v.sides {
		if s.Hessian == nil || s.Hessian.Density == nil {
			continue
		}
		sd := s.Hessian.Density
		ch.XMin, ch.XMax = math.Min(ch.XMin, sd.Grid[0]), math.Max(ch.XMax, sd.Grid[len(sd.Grid)-1])
		for _, y := range sd.Values {
			peak = math.Max(peak, y)
		}
		ys := make([]float64, len(sd.Values))
		for k, y := range sd.Values {
			ys[k] = math.Max(y, 1e-7)
		}
		ch.Series = append(ch.Series, render.Series{X: sd.Grid, Y: ys, Color: colors[min(i, 1)]})
	}
	ch.YMin, ch.YMax = math.Max(peak*1e-6, 1e-7), peak*2
	head := st.title.Render("eigenvalue density") + st.faint.Render(fmt.Sprintf("  log scale · marks: the bulk (90%% of the weight) [%.3g, %.3g] and λ1 ≈ %.4g · %.1f%% of the weight negative",
		d.Bulk[0], d.Bulk[1], d.Max, 100*d.NegativeMass))
	return truncate(head, w) + "\n" + ch.Draw().String()
}

// table lays the sides out in columns, with B/A for two.
func (v *numbersView) table() string {
	type row struct {
		what string
		vals []string
		a, b float64
	}
	var rows []row
	add := func(what string, f func(s *compare.Side) (string, float64)) {
		r := row{what: what, a: math.NaN(), b: math.NaN()}
		for i, s := range v.sides {
			txt, x := f(s)
			r.vals = append(r.vals, txt)
			if i == 0 {
				r.a = x
			} else {
				r.b = x
			}
		}
		rows = append(rows, r)
	}
	add("test accuracy", func(s *compare.Side) (string, float64) {
		return fmt.Sprintf("%.2f%%", 100*s.Test.Accuracy), s.Test.Accuracy
	})
	add("test loss", func(s *compare.Side) (string, float64) { return fmt.Sprintf("%.4g", s.Test.Loss), s.Test.Loss })
	add("centre loss (scan images), ± s.e.", func(s *compare.Side) (string, float64) {
		c := s.Directional.Centre
		return fmt.Sprintf("%.4g ± %.2g", c.Loss, c.LossSE), c.Loss
	})
	add(fmt.Sprintf("basin width in α over %d directions, ± sd", v.settings().Directions), func(s *compare.Side) (string, float64) {
		return s.Directional.Width.String(), s.Directional.Width.Mean
	})
	add("curvature f''(0) in loss per α², ± sd", func(s *compare.Side) (string, float64) {
		return s.Directional.Curvature.String(), s.Directional.Curvature.Mean
	})
	for i, e := range v.c.opts.Epsilons {
		add(fmt.Sprintf("ε-sharpness at ε=%g (%%)", e), func(s *compare.Side) (string, float64) {
			if i >= len(s.Epsilon) {
				return "n/a", math.NaN()
			}
			return fmt.Sprintf("%.4g", s.Epsilon[i].Sharpness), s.Epsilon[i].Sharpness
		})
	}
	hessianRows(v.c.opts.Hessian, v.sides, add)
	head := []string{""}
	labels := []string{v.sides[0].Checkpoint}
	if len(v.sides) == 2 && v.c.other != nil {
		la, lb := checkpoint.Labels(v.c.ck, v.c.other)
		labels = []string{la, lb}
	}
	for i, s := range v.sides {
		if s.Name == "" {
			head = append(head, labels[i])
		} else {
			head = append(head, s.Name+"  "+labels[min(i, len(labels)-1)])
		}
	}
	if len(v.sides) == 2 {
		head = append(head, "B/A")
	}
	cells := [][]string{head}
	for _, r := range rows {
		line := append([]string{r.what}, r.vals...)
		if len(v.sides) == 2 {
			ratio := "—"
			if q := r.b / r.a; !math.IsNaN(q) && !math.IsInf(q, 0) {
				ratio = fmt.Sprintf("%.3g", q)
			}
			line = append(line, ratio)
		}
		cells = append(cells, line)
	}
	return columns(cells)
}

// columns aligns cells into left-justified columns two spaces apart.
func columns(cells [][]string) string {
	var widths []int
	for _, row := range cells {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		for i, c := range row {
			b.WriteString(c + strings.Repeat(" ", widths[i]-len([]rune(c))+2))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// hessianRows adds the Hessian's numbers (what o asked for) to a table,
// each with its error bar.
func hessianRows(o hessian.Options, sides []*compare.Side, add func(string, func(*compare.Side) (string, float64))) {
	eig := func(what string, pick func(*hessian.Spectrum) *hessian.Eigen) {
		add(what, func(s *compare.Side) (string, float64) {
			if s.Hessian == nil || pick(s.Hessian) == nil {
				return "n/a", math.NaN()
			}
			e := pick(s.Hessian)
			txt := compare.EigenString(*e)
			if !e.Converged {
				txt += " (not converged)"
			}
			return txt, e.Value
		})
	}
	for i := range o.Top {
		eig(fmt.Sprintf("Hessian λ%d, ± residual", i+1), func(h *hessian.Spectrum) *hessian.Eigen {
			if i >= len(h.Top) {
				return nil
			}
			return &h.Top[i]
		})
	}
	if o.Bottom {
		eig("Hessian λmin, ± residual", func(h *hessian.Spectrum) *hessian.Eigen { return h.Bottom })
	}
	if o.Trace {
		add("Hessian trace, ± s.e.", func(s *compare.Side) (string, float64) {
			if s.Hessian == nil || s.Hessian.Trace == nil {
				return "n/a", math.NaN()
			}
			return compare.TraceString(*s.Hessian.Trace), s.Hessian.Trace.Value
		})
	}
	if o.Density > 0 {
		add("density: bulk (90% of the weight)", func(s *compare.Side) (string, float64) {
			if s.Hessian == nil || s.Hessian.Density == nil {
				return "n/a", math.NaN()
			}
			d := s.Hessian.Density
			return fmt.Sprintf("[%.3g, %.3g]", d.Bulk[0], d.Bulk[1]), d.Bulk[1] - d.Bulk[0]
		})
		add("density: negative weight (%)", func(s *compare.Side) (string, float64) {
			if s.Hessian == nil || s.Hessian.Density == nil {
				return "n/a", math.NaN()
			}
			return fmt.Sprintf("%.2f", 100*s.Hessian.Density.NegativeMass), s.Hessian.Density.NegativeMass
		})
	}
	if !o.PerLayer || len(sides) == 0 || sides[0].Hessian == nil {
		return
	}
	for i, l := range sides[0].Hessian.Layers {
		eig("λmax of "+l.Layer, func(h *hessian.Spectrum) *hessian.Eigen {
			if i >= len(h.Layers) {
				return nil
			}
			return &h.Layers[i].Eigen
		})
	}
}
