package app

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

// SharpnessChart draws λmax along training (a title line, then the chart
// on steps 0..xmax): the measurements joined, the stability threshold as
// a line, and the first step at or above it marked.
func SharpnessChart(st styles, pts []train.SharpnessPoint, threshold, xmax float64, w, h, labelW int) string {
	last := pts[len(pts)-1]
	head := fmt.Sprintf("λmax %.4g ± %.2g (step %d)", last.LambdaMax, last.Residual, last.Step)
	if threshold > 0 {
		head += fmt.Sprintf(" · threshold %.4g", threshold)
		if c := train.FirstCrossing(pts, threshold); c >= 0 {
			head += fmt.Sprintf(", reached at step %d", c)
		} else {
			head += fmt.Sprintf(": %.0f%%", 100*last.LambdaMax/threshold)
		}
	}
	return st.faint.Render(truncate(head, w)) + "\n" + sharpnessChart(st, pts, threshold, xmax, w, h, labelW).Draw().String()
}

// sharpnessChart is SharpnessChart's chart, under its title line.
func sharpnessChart(st styles, pts []train.SharpnessPoint, threshold, xmax float64, w, h, labelW int) render.Chart {
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	hi := threshold
	for i, p := range pts {
		xs[i], ys[i] = float64(p.Step), p.LambdaMax
		if render.Finite(p.LambdaMax) {
			hi = math.Max(hi, p.LambdaMax)
		}
	}
	ch := render.Chart{W: w, H: h - 1, XMin: 0, XMax: math.Max(xmax, 1), YMin: 0, YMax: math.Max(hi*1.1, 1e-6),
		Series: []render.Series{{X: xs, Y: ys, Color: st.line}}, Cursor: math.NaN(), AxisColor: st.axis, MarkColor: st.cursor, LabelWidth: labelW}
	if threshold > 0 {
		ch.Series = append([]render.Series{{X: []float64{0, ch.XMax}, Y: []float64{threshold, threshold}, Color: st.centre}}, ch.Series...)
		if c := train.FirstCrossing(pts, threshold); c >= 0 {
			ch.Marks = []float64{float64(c)}
		}
	}
	return ch
}

// sharpRun is one run's λmax track of a basin experiment eos folder.
type sharpRun struct {
	name      string // "lr 0.1"
	pts       []train.SharpnessPoint
	threshold float64
}

// siblingRuns reads the tracks of every run of the eos experiment folder
// that holds path (lr-*.safetensors), by their metadata only; nil when
// the folder is not one or has a single run.
func siblingRuns(files *jobs.Files, path string) []sharpRun {
	paths, err := eosRuns(filepath.Dir(path))
	if err != nil || len(paths) < 2 {
		return nil
	}
	var runs []sharpRun
	for _, p := range paths {
		meta, err := files.Meta(p)
		if err != nil {
			continue
		}
		tr, err := train.TrackOf(meta)
		if err != nil || len(tr.Points) == 0 {
			continue
		}
		runs = append(runs, sharpRun{name: "lr " + meta["lr"], pts: tr.Points, threshold: tr.Threshold})
	}
	return runs
}

// runColors are the experiment's runs' colours, in order.
func runColors(st styles) []render.Color {
	return []render.Color{st.line, st.acc, st.cursor, st.centre, st.contour}
}

// ExperimentChart draws every run of an eos experiment on one step axis:
// each run's λmax and its threshold 2/η (faint) in the run's colour, with a
// legend of which rate reached its threshold and when.
func ExperimentChart(st styles, runs []sharpRun, xmax float64, w, h, labelW int) string {
	cols := runColors(st)
	var legend []string
	hi := 0.0
	ch := render.Chart{W: w, H: h - 1, XMin: 0, XMax: math.Max(xmax, 1), YMin: 0, Cursor: math.NaN(), AxisColor: st.axis, LabelWidth: labelW}
	for i, r := range runs {
		c := cols[i%len(cols)]
		xs, ys := make([]float64, len(r.pts)), make([]float64, len(r.pts))
		for j, p := range r.pts {
			xs[j], ys[j] = float64(p.Step), p.LambdaMax
			if render.Finite(p.LambdaMax) {
				hi = math.Max(hi, p.LambdaMax)
			}
		}
		hi = math.Max(hi, r.threshold)
		ch.Series = append(ch.Series, render.Series{X: []float64{0, ch.XMax}, Y: []float64{r.threshold, r.threshold}, Color: c, Faint: true},
			render.Series{X: xs, Y: ys, Color: c})
		item := fmt.Sprintf("━ %s: 2/η %.3g", r.name, r.threshold)
		if s := train.FirstCrossing(r.pts, r.threshold); s >= 0 {
			item += fmt.Sprintf(", reached at step %d", s)
		} else {
			item += ", not reached"
		}
		legend = append(legend, colored(st, item, c))
	}
	ch.YMax = math.Max(hi*1.1, 1e-6)
	return truncate(strings.Join(legend, "  "), w) + "\n" + ch.Draw().String()
}
