package app

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/progress"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/figure"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

// trainView is the training state: it runs training when the app has no
// model to open, and shows the loss of every step (decimated at fixed
// memory), the epochs' evaluations and the latest progress.
type trainView struct {
	c               *common
	cfg             train.Config
	steps           history // loss per step, decimated at fixed memory
	epochs          []progress.Epoch
	last            progress.Step
	epochSum        float64 // the losses of this epoch's steps so far, summed
	epochSteps      int
	running, paused bool
	gate            *train.Gate
	cancel          context.CancelFunc
	saved           string
	stopping        bool
	opened          bool              // the model was opened, not trained in this session
	meta            map[string]string // the opened checkpoint's metadata
	sharp           []train.SharpnessPoint
	threshold       float64    // the stability threshold of the tracked run (0: none)
	runs            []sharpRun // an eos experiment's runs, all drawn, when the model is one
}

// historyPoints bounds the loss curve: more than any terminal is wide.
const historyPoints = 4096

func newTrainView(c *common) *trainView {
	return &trainView{c: c, cfg: c.opts.Train, steps: newHistory(historyPoints), gate: &train.Gate{}, threshold: c.opts.Train.StabilityThreshold()}
}

func (t *trainView) title() string { return "training" }

// begin starts training: the app has no model yet.
func (t *trainView) begin() {
	ctx, cancel := context.WithCancel(t.c.eng.Ctx)
	t.cancel = cancel
	cfg := t.cfg
	cfg.Gate = t.gate
	t.running = true
	t.c.eng.Train(ctx, cfg, t.c.src)
}

// restart trains a new model with cfg (the app's form), starting afresh.
func (t *trainView) restart(cfg train.Config) {
	t.cfg, t.threshold = cfg, cfg.StabilityThreshold()
	t.steps, t.epochs, t.last, t.sharp = newHistory(historyPoints), nil, progress.Step{}, nil
	t.epochSum, t.epochSteps = 0, 0
	t.opened, t.meta, t.saved, t.stopping, t.paused, t.runs = false, nil, "", false, false, nil
	t.gate = &train.Gate{}
	t.begin()
}

// open shows a model opened from the models list.
func (t *trainView) open(ck *checkpoint.Checkpoint) {
	t.steps, t.epochs, t.last, t.sharp = newHistory(historyPoints), nil, progress.Step{}, nil
	t.epochSum, t.epochSteps = 0, 0
	t.saved = ""
	t.ready()
}

// ready is called when the model is there, trained here or opened.
func (t *trainView) ready() {
	if ck := t.c.ck; ck != nil && !t.running {
		t.saved = ck.Path
		if t.steps.len() == 0 {
			t.opened, t.meta = true, ck.Meta
			t.sharp, t.threshold = nil, 0
			t.runs = nil
			if tr, err := train.TrackOf(ck.Meta); err == nil { // a run trained with --track-sharpness
				t.sharp, t.threshold = tr.Points, tr.Threshold
				t.runs = siblingRuns(t.c.eng.Files, ck.Path) // the other rates of an eos experiment
			}
		}
	}
}

func (t *trainView) keys() helpKeys {
	k := t.c.keys
	return helpKeys{short: []key.Binding{k.Pause, k.Stop, k.Next}, full: [][]key.Binding{{k.Pause, k.Stop}}}
}

func (t *trainView) key(msg tea.KeyMsg) bool {
	k := t.c.keys
	switch {
	case key.Matches(msg, k.Pause) && t.running:
		t.gate.SetPaused(!t.gate.Paused())
		t.paused = t.gate.Paused()
	case key.Matches(msg, k.Stop) && t.running && t.cancel != nil:
		t.gate.SetPaused(false)
		t.paused = false
		t.cancel()
		t.stopping = true
	default:
		return false
	}
	return true
}

// status names the training run.
func (t *trainView) status() []string {
	if t.opened { // what the checkpoint says about its own training
		var out []string
		for _, k := range []string{"optimizer", "lr", "batch", "seed"} {
			if v, ok := t.meta[k]; ok {
				out = append(out, strings.TrimPrefix(k+" ", "optimizer ")+v)
			}
		}
		return out
	}
	c := t.cfg
	return []string{c.Optimizer, fmt.Sprintf("lr %g", c.LR), fmt.Sprintf("batch %d", c.Batch), fmt.Sprintf("seed %d", c.Seed)}
}

func (t *trainView) activity() string {
	switch {
	case t.running && t.paused:
		return "training paused"
	case t.running && t.stopping:
		return "stopping training"
	case t.running:
		return "training " + t.cfg.Arch.Preset
	}
	return ""
}

// handle takes training's events; true once training has ended.
func (t *trainView) handle(ev any) bool {
	switch e := ev.(type) {
	case progress.Step:
		t.steps.add(e.Global, e.Loss)
		if e.Epoch != t.last.Epoch || e.Step < t.last.Step {
			t.epochSum, t.epochSteps = 0, 0
		}
		t.epochSum += e.Loss
		t.epochSteps++
		t.last = e
	case progress.Epoch:
		t.epochs = append(t.epochs, e)
	case progress.Sharpness:
		t.sharp = append(t.sharp, train.SharpnessPoint{Step: e.Step, LambdaMax: e.LambdaMax, Residual: e.Residual, Products: e.Products})
		t.threshold = e.Threshold
	case jobs.TrainDone:
		t.running, t.paused, t.stopping, t.cancel = false, false, false, nil
		if e.Checkpoint != nil {
			t.saved = e.Checkpoint.Path
		}
		return true
	}
	return false
}

// Smooth returns the trend of the losses v: at each step a straight line
// fitted by least squares to the log losses of the steps within a window
// of about a tenth of the run, read at that step. Near the ends the window
// keeps its width and shifts inward, so the last few losses of a run do
// not swing the line. A moving average lags, so at the end of a short run whose
// loss still falls it sits above the last losses; the local line does not.
// The window is at most what an average with weight maxWeight would span.
func Smooth(v []float64, maxWeight float64) []float64 {
	n := len(v)
	k := int(math.Min(float64(n)/20, 1/(1-maxWeight)))
	k = int(math.Max(float64(k), 2))
	out := make([]float64, n)
	for i := range v {
		if !(v[i] > 0) || math.IsInf(v[i], 0) {
			out[i] = math.NaN()
			continue
		}
		var sw, sx, sy, sxx, sxy float64
		lo := min(max(i-k, 0), max(n-1-2*k, 0))
		for j := lo; j <= min(lo+2*k, n-1); j++ {
			if !(v[j] > 0) || math.IsInf(v[j], 0) {
				continue
			}
			x, y := float64(j-lo-k), math.Log(v[j]) // x from the window's middle
			sw, sx, sy, sxx, sxy = sw+1, sx+x, sy+y, sxx+x*x, sxy+x*y
		}
		// The line read at the step, but no further than half a window
		// from the middle: an end's slope is the least sure part of it.
		at := math.Max(-float64(k)/2, math.Min(float64(i-lo-k), float64(k)/2))
		y := sy / sw
		if d := sw*sxx - sx*sx; d > 1e-12*sw*sw {
			b := (sw*sxy - sx*sy) / d
			y = (sy-b*sx)/sw + b*at
		}
		out[i] = math.Exp(y)
	}
	return out
}

func (t *trainView) totalSteps() int {
	if t.last.Steps > 0 {
		return t.last.Steps * t.last.Epochs
	}
	return 1
}

func (t *trainView) view(w, h int) string {
	st, paused := t.c.st, t.paused
	side := 30
	chartW := max(w-side-1, 20)
	chartH := max(h-3, 4)
	var chart string
	if len(t.sharp) > 0 && chartH >= 10 { // the loss above, λmax below, one step axis
		lossH := chartH * 3 / 5
		if t.steps.len() == 0 { // an opened run: its message, then the track
			lossH = 4
		}
		labelW := sharpnessChart(st, t.sharp, t.threshold, t.stepAxis(), chartW, chartH-lossH, 0).LabelsWidth()
		if t.steps.len() > 0 {
			labelW = max(labelW, t.lossChart(st, chartW, lossH, 0).LabelsWidth())
		}
		if len(t.runs) > 1 {
			chart = t.chart(st, chartW, lossH, labelW) + "\n" + ExperimentChart(st, t.runs, t.stepAxis(), chartW, chartH-lossH, labelW)
		} else {
			chart = t.chart(st, chartW, lossH, labelW) + "\n" + SharpnessChart(st, t.sharp, t.threshold, t.stepAxis(), chartW, chartH-lossH, labelW)
		}
	} else {
		chart = t.chart(st, chartW, chartH, 0)
	}
	panel := t.panel(st, side, chartH+1)
	preset := t.cfg.Arch.Preset
	if t.opened && t.c.ck != nil {
		preset = t.c.ck.Arch.Preset
	}
	title := st.title.Render("Training") + st.faint.Render(fmt.Sprintf("  loss per step (log scale), smoothed; raw faint · %s on %s", preset, "MNIST"))
	top := lipgloss.JoinHorizontal(lipgloss.Top, st.faint.Render("")+chart, " ", panel)
	return truncate(title, w) + "\n" + top + "\n" + t.progressLine(st, w, paused)
}

// stepAxis is the last step the charts show: the run's planned steps, or
// the last tracked step of an opened run.
func (t *trainView) stepAxis() float64 {
	if t.steps.len() == 0 && len(t.sharp) > 0 {
		return float64(max(t.sharp[len(t.sharp)-1].Step, 1))
	}
	return float64(t.totalSteps())
}

// chart draws the loss per step, its y labels at least labelW wide (to
// line up with the λmax chart under it).
func (t *trainView) chart(st styles, w, h, labelW int) string {
	if t.steps.len() == 0 {
		msg := "waiting for the first step…"
		if t.opened {
			msg = "No training in this session: the model was opened from " + t.saved + ".\nPress 2 or 3 for its landscape."
		}
		return fitHeight(st.faint.Width(w).Render(msg), h) // wrapped to the chart, clear of the panel
	}
	return t.lossChart(st, w, h, labelW).Draw().String()
}

func (t *trainView) lossChart(st styles, w, h, labelW int) render.Chart {
	xs, ys := t.steps.points()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range ys {
		if render.Finite(v) && v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if !(hi > lo) {
		lo, hi = lo*0.9, lo*1.1+1e-9
	}
	ch := render.Chart{
		W: w, H: h, XMin: 0, XMax: float64(t.totalSteps()), YMin: lo, YMax: hi, LogY: true,
		Series: []render.Series{
			{X: xs, Y: ys, Color: st.lineOld, Faint: true},
			{X: xs, Y: Smooth(ys, 0.95), Color: st.line},
		},
		Cursor: math.NaN(), AxisColor: st.axis, LabelWidth: labelW,
	}
	for _, e := range t.epochs {
		ch.Marks = append(ch.Marks, float64(e.Epoch*t.last.Steps))
	}
	ch.MarkColor = st.axis
	return ch
}

func (t *trainView) panel(st styles, w, h int) string {
	c := t.cfg
	var b strings.Builder
	if t.opened {
		fmt.Fprintf(&b, "%s\n", st.key.Render("checkpoint"))
		for _, k := range []string{"preset", "optimizer", "lr", "batch", "epochs", "steps", "seed", "test_loss", "test_accuracy"} {
			if v, ok := t.meta[k]; ok {
				fmt.Fprintf(&b, "%-13s %s\n", strings.ReplaceAll(k, "_", " "), metaValue(k, v))
			}
		}
		return fitPanel(b.String(), w, h)
	}
	fmt.Fprintf(&b, "%s\n", st.key.Render("hyper-parameters"))
	fmt.Fprintf(&b, "preset     %s\n", c.Arch.Preset)
	fmt.Fprintf(&b, "optimizer  %s", c.Optimizer)
	if c.Optimizer == train.SGD {
		fmt.Fprintf(&b, " (momentum %g)", c.Momentum)
	}
	fmt.Fprintf(&b, "\nlr %g · batch %d · wd %g\nepochs %d · seed %d\n\n", c.LR, c.Batch, c.WeightDecay, c.Epochs, c.Seed)
	fmt.Fprintf(&b, "%s\n", st.key.Render("epoch  test loss  test acc"))
	for _, e := range t.epochs {
		fmt.Fprintf(&b, "%5d  %9.4f  %7.2f%%\n", e.Epoch, e.TestLoss, 100*e.TestAcc)
	}
	if len(t.epochs) == 0 {
		b.WriteString(st.faint.Render("  (after the first epoch)") + "\n")
	}
	if t.saved != "" {
		b.WriteString("\n" + st.ok.Render("saved") + "\n" + t.saved + "\n")
	}
	return fitPanel(b.String(), w, h)
}

// epochLoss is the mean loss of this epoch's steps so far.
func (t *trainView) epochLoss() float64 {
	if t.epochSteps == 0 {
		return math.NaN()
	}
	return t.epochSum / float64(t.epochSteps)
}

// metaValue shows a checkpoint's metadata value for reading: a loss to
// four figures, an accuracy as a percentage.
func metaValue(k, v string) string {
	x, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil:
		return v
	case k == "test_accuracy":
		return fmt.Sprintf("%.2f%%", 100*x)
	case k == "test_loss":
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return v
}

// fitPanel cuts or pads every line of s to w cells and s to h lines.
func fitPanel(s string, w, h int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = padRight(truncate(lines[i], w), w)
	}
	return fitHeight(strings.Join(lines, "\n"), h)
}

func (t *trainView) progressLine(st styles, w int, paused bool) string {
	s := t.last
	if s.Steps == 0 {
		if t.running {
			return st.faint.Render("starting…")
		}
		return ""
	}
	total := t.totalSteps()
	frac := float64(s.Global) / float64(total)
	eta := "  eta --"
	if s.Global > 0 && s.Elapsed > 0 {
		eta = "  eta " + (time.Duration(float64(s.Elapsed) * float64(total-s.Global) / float64(s.Global))).Round(time.Second).String()
	}
	state := ""
	switch {
	case paused:
		state = st.err.Render(" paused")
	case !t.running: // finished or stopped: no time left to tell
		state, eta = st.ok.Render(" done"), ""
		if s.Global < total {
			state = st.ok.Render(" stopped")
		}
	}
	// The loss and accuracy both of this epoch so far (the last step's
	// loss alone jumps from batch to batch).
	info := fmt.Sprintf(" %3.0f%%  epoch %d/%d  step %d/%d  this epoch: loss %.4f acc %.1f%%  %.0f img/s%s",
		100*frac, s.Epoch, s.Epochs, s.Step, s.Steps, t.epochLoss(), 100*s.RunningAccuracy, s.ImagesPerSec, eta)
	barW := max(w-lipgloss.Width(info)-lipgloss.Width(state)-1, 10)
	fill := int(frac * float64(barW))
	bar := st.bar.Render(strings.Repeat("█", fill)) + st.faint.Render(strings.Repeat("░", barW-fill))
	return truncate(bar+info+state, w)
}

// figure is λmax along the run (F), for a run with a sharpness track.
func (t *trainView) figure() (figure.Figure, string, error) {
	if len(t.sharp) == 0 {
		return figure.Figure{}, "", fmt.Errorf("the training view draws a figure of its sharpness track: train with --track-sharpness")
	}
	f, err := figure.Track(t.sharp, t.threshold, fmt.Sprintf("%s · %s lr %g batch %d · basin", t.cfg.Arch.Preset, t.cfg.Optimizer, t.cfg.LR, t.cfg.Batch))
	return f, "figure-sharpness", err
}
