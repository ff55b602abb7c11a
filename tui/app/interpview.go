package app

import (
	"context"
	"fmt"
	"math"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

// interpView is the straight line from A to B (basin --compare A B):
// f(t) = L((1−t)·θA + t·θB) on the training and the test images, computed
// on request (r here, or i in a compare view), like basin interp.
type interpView struct {
	c         *common
	id        int
	cancel    context.CancelFunc
	running   bool
	axis      surface.Axis
	train     []float64 // loss per point, NaN until computed
	test      []float64
	trainAcc  []float64
	testAcc   []float64
	split     data.Split // the pass running
	done, all int
	cursor    int
	file, err string
}

// The line interpolated: from t = −0.5 to 1.5, A at t = 0 and B at 1.
var interpAxis = surface.Axis{Min: -0.5, Max: 1.5, N: 41}

func newInterpView(c *common) *interpView {
	return &interpView{c: c, axis: interpAxis, cursor: 10}
}

func (v *interpView) title() string { return "interpolation" }
func (v *interpView) onRequest()    {}

// otherChanged: another B, another line; the old one is dropped.
func (v *interpView) otherChanged() {
	if v.cancel != nil {
		v.cancel()
	}
	v.running, v.train, v.test, v.id = false, nil, nil, v.c.nextJob()
}

func (v *interpView) keys() helpKeys {
	k := v.c.keys
	return helpKeys{short: []key.Binding{k.Measure, k.Left, k.Right}, full: [][]key.Binding{{k.Measure, k.Left, k.Right}}}
}

// start interpolates between the app's A and B.
func (v *interpView) start() {
	if v.running || v.c.ck == nil || v.c.other == nil || v.c.src == nil {
		return
	}
	o := v.c.opts
	st := scan.Settings{Alpha: v.axis, SampleSeed: o.SampleSeed, Samples: o.Samples, Workers: o.Workers, Nice: ScanNice,
		Direction: direction.Spec{Norm: direction.None}}
	n := v.axis.N
	v.train, v.test, v.trainAcc, v.testAcc = nans(n), nans(n), nans(n), nans(n)
	v.id, v.running, v.err, v.file, v.done, v.all = v.c.nextJob(), true, "", "", 0, 2*n
	ctx, cancel := context.WithCancel(v.c.eng.Ctx)
	v.cancel = cancel
	v.c.eng.Interp(ctx, v.id, v.c.ck, v.c.other, v.c.src, st)
	if v.c.root != nil { // the scans running pause for it and go on after
		v.c.root.request(pauseOthers{v})
	}
}

func nans(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

func (v *interpView) key(msg tea.KeyMsg) bool {
	k := v.c.keys
	switch {
	case key.Matches(msg, k.Measure):
		v.start()
	case key.Matches(msg, k.Left):
		v.cursor = max(v.cursor-1, 0)
	case key.Matches(msg, k.Right):
		v.cursor = min(v.cursor+1, v.axis.N-1)
	default:
		return false
	}
	return true
}

func (v *interpView) handle(ev any) bool {
	switch e := ev.(type) {
	case jobs.InterpStep:
		if e.ID != v.id {
			return false
		}
		v.split = e.Split
		if e.Split == data.Test {
			v.test[e.Point.Index], v.testAcc[e.Point.Index] = e.Point.Loss, e.Point.Acc
		} else {
			v.train[e.Point.Index], v.trainAcc[e.Point.Index] = e.Point.Loss, e.Point.Acc
		}
		v.done++
	case jobs.InterpDone:
		if e.ID != v.id {
			return false
		}
		v.running, v.file = false, e.File
		if e.Err != nil {
			v.err = e.Err.Error()
		}
		return true
	}
	return false
}

func (v *interpView) status() []string {
	return []string{fmt.Sprintf("t %g:%g", v.axis.Min, v.axis.Max), fmt.Sprintf("%d+%d imgs", v.c.opts.Samples, v.c.opts.Samples)}
}

func (v *interpView) activity() string {
	if v.running {
		return fmt.Sprintf("interpolating (%s) %d/%d", v.split, v.done, v.all)
	}
	return ""
}

func (v *interpView) view(w, h int) string {
	st := v.c.st
	head := st.title.Render("Interpolation") + "  " + colored(st, "━ train", st.line) + " " + colored(st, "━ test", st.acc) +
		st.faint.Render(fmt.Sprintf(" · f(t) = L((1−t)·θA + t·θB) · A at t=0, B at t=1 (dotted) · %d points · %d images each · log scale", v.axis.N, v.c.opts.Samples))
	if v.train == nil {
		msg := "Press r (or i in a compare view) to compute the loss on the straight line from A to B (Goodfellow et al. 2015),\n" +
			"on the training and the test images: a bump between the ends is a barrier, a flat line one connected basin."
		if v.c.other == nil {
			msg = "Open a second model first (o, or basin --compare A B)."
		}
		return truncate(head, w) + "\n\n" + st.faint.Width(max(w, 10)).Render(msg)
	}
	ch := v.chart(w, max(h-3, 4))
	return truncate(head, w) + "\n" + ch.Draw().String() + "\n" + v.readout(w) + "\n" + v.progress(w)
}

// chart draws both splits' losses along t.
func (v *interpView) chart(w, h int) render.Chart {
	st := v.c.st
	xs := v.axis.Coords()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range append(append([]float64(nil), v.train...), v.test...) {
		if render.Finite(l) && l > 0 && !surface.OffScale(l) {
			lo, hi = math.Min(lo, l), math.Max(hi, l)
		}
	}
	if !(hi > lo) {
		lo, hi = 0.01, 10
	}
	return render.Chart{W: w, H: h, XMin: v.axis.Min, XMax: v.axis.Max, YMin: lo / 1.1, YMax: hi * 1.1, LogY: true,
		Series: []render.Series{{X: xs, Y: v.test, Color: st.acc}, {X: xs, Y: v.train, Color: st.line}},
		Marks:  []float64{0, 1}, MarkColor: st.centre, Cursor: v.axis.At(v.cursor), CursorColor: st.cursor, AxisColor: st.axis}
}

func (v *interpView) readout(w int) string {
	st, k := v.c.st, v.cursor
	s := st.key.Render(fmt.Sprintf("t %.3g", v.axis.At(k)))
	for _, sp := range []struct {
		name      string
		loss, acc []float64
	}{{"train", v.train, v.trainAcc}, {"test", v.test, v.testAcc}} {
		if math.IsNaN(sp.loss[k]) {
			s += fmt.Sprintf(" · %s …", sp.name)
		} else {
			s += fmt.Sprintf(" · %s %.4f (%.2f%%)", sp.name, sp.loss[k], 100*sp.acc[k])
		}
	}
	if b, ok := scan.FindBarrier(v.axis, v.train); ok {
		s += fmt.Sprintf(" │ barrier (train) %.4f", b.Height)
	}
	return truncate(s, w)
}

func (v *interpView) progress(w int) string {
	st := v.c.st
	switch {
	case v.running && v.split == "":
		return st.faint.Render("starting: the running scan pauses for it…")
	case v.running:
		return st.faint.Render(fmt.Sprintf("interpolating on the %s images: %d/%d points", v.split, v.done, v.all))
	case v.err != "":
		return st.err.Render(v.err)
	case v.file != "":
		return st.ok.Render("done") + st.faint.Render(" · saved "+v.file)
	}
	return ""
}

// figure is the interpolation, drawn from its file (F).
func (v *interpView) figure() (figure.Figure, string, error) {
	if v.file == "" {
		return figure.Figure{}, "", fmt.Errorf("interpolate first (r); the figure is drawn from its file")
	}
	s, err := v.c.eng.Files.Surface(v.file)
	if err != nil {
		return figure.Figure{}, "", err
	}
	f, err := figure.Surface(s, true)
	return f, "figure-interp", err
}
