package app

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/tui/render"
)

// What the scan views read off their state: the value under any point of
// the window, the readout at the cursor, progress and status lines, and
// the cached drawing.

// value is the loss shown at (α, β): from the new scan where it has
// points, else from the one it replaces; +Inf when off scale, NaN when
// unknown.
func (v *scanState) value(a, b float64) float64 {
	for _, s := range []*surface.Surface{v.cur, v.prev} {
		if s == nil {
			continue
		}
		if l, ok := s.At(a, b); ok {
			if surface.OffScale(l) {
				return math.Inf(1)
			}
			return l
		}
	}
	return math.NaN()
}

// readout is the exact value at the cursor's grid point, if computed,
// with its standard error over the evaluation images.
func (v *scanState) readout() (loss, acc, se float64, ok bool) {
	if v.cur == nil {
		return 0, 0, 0, false
	}
	k := 0
	for i := range v.axes {
		k = k*v.axes[i].N + v.cursorIndex(i)
	}
	if k >= v.cur.Len() || !v.cur.Done[k] {
		return 0, 0, 0, false
	}
	return v.cur.Loss[k], v.cur.Acc[k], v.cur.LossSE[k], true
}

// gridPointNote says which grid point the readout shows when the cursor
// is between points (the trajectory view puts it on snapshots and on
// θ*): "(at grid point α 0.0125 β -0.0083)"; "" when it is on one.
func (v *scanState) gridPointNote() string {
	var at string
	off := false
	for i, a := range v.axes {
		g := a.At(v.cursorIndex(i))
		if math.Abs(g-v.cursor[i]) > 1e-9*(a.Max-a.Min) {
			off = true
		}
		at += " " + axisNames[i] + " " + render.FormatTick(g)
	}
	if !off {
		return ""
	}
	return "(at grid point" + at + ")"
}

func (v *scanState) gridLabel() string {
	if len(v.axes) == 1 {
		return fmt.Sprintf("%d points", v.axes[0].N)
	}
	return fmt.Sprintf("grid %dx%d", v.axes[0].N, v.axes[1].N)
}

func (v *scanState) kind() string { return fmt.Sprintf("%dD", len(v.axes)) }

func (v *scanState) scaleName() string {
	if v.log {
		return "log"
	}
	return "linear"
}

// status is the view's part of the status bar.
func (v *scanState) status() []string {
	o := v.c.opts
	if v.along != nil {
		return []string{v.along.Norm + " plane", fmt.Sprintf("%d %s imgs", o.Samples, o.Split), v.gridLabel()}
	}
	return []string{string(v.dir.Norm), fmt.Sprintf("seed %d", v.dir.Seed),
		fmt.Sprintf("%d %s imgs", o.Samples, o.Split), v.gridLabel()}
}

// activity is the job's progress, "" when idle.
func (v *scanState) activity() string {
	switch {
	case !v.running:
		return ""
	case v.paused || v.queued:
		return v.kind() + " waiting"
	case v.last.Total == 0:
		return v.kind() + " starting"
	}
	return fmt.Sprintf("%s %d/%d", v.kind(), v.last.Done, v.last.Total)
}

func (v *scanState) capturing() bool { return v.form != nil }

func (v *scanState) resize() { v.dirty = true }

// shownPoints is how many points of the window are computed.
func (v *scanState) shownPoints() int {
	if v.cur == nil {
		return 0
	}
	return v.cur.Computed()
}

// rate is points per second of the running job.
func (v *scanState) rate() float64 {
	if v.last.Elapsed <= 0 {
		return 0
	}
	return float64(v.last.Done-v.already) / v.last.Elapsed.Seconds()
}

func (v *scanState) eta() string {
	r := v.rate()
	if r <= 0 {
		return "--"
	}
	return (time.Duration(float64(v.last.Total-v.last.Done) / r * float64(time.Second))).Round(time.Second).String()
}

// progressLine is the scan's progress, speed and file.
func (v *scanState) progressLine(w int) string {
	st := v.c.st
	var s string
	switch {
	case v.paused || v.queued:
		s = st.faint.Render("waiting for the scan or measurement running now")
		if n := v.shownPoints(); n > 0 {
			s += st.faint.Render(fmt.Sprintf("; then it goes on from the %d points it has", n))
		}
	case v.running && v.last.Total == 0:
		s = st.faint.Render("evaluating the centre, drawing directions…")
	case v.running:
		frac := float64(v.last.Done) / float64(v.last.Total)
		barW := 16
		fill := int(frac * float64(barW))
		s = st.bar.Render(strings.Repeat("█", fill)) + st.faint.Render(strings.Repeat("░", barW-fill)) +
			fmt.Sprintf(" %d/%d points · %.1f pts/s · eta %s", v.last.Done, v.last.Total, v.rate(), v.eta())
	case v.cur != nil:
		s = st.ok.Render("done") + fmt.Sprintf(" %d points", v.cur.Computed())
	}
	if v.file != "" {
		s += st.faint.Render(" · saved " + v.file)
	}
	if v.err != "" {
		s += " " + st.err.Render(v.err)
	}
	return truncate(s, w)
}

// summary of the current surface, nil before the centre is known.
func (v *scanState) summary() *surface.Summary {
	if v.cur == nil || v.centre == nil {
		return nil
	}
	s := surface.Summarize(v.cur, surface.DefaultThreshold)
	return &s
}

// readoutLine shows the cursor's value and the landscape's numbers.
func (v *scanState) readoutLine(w int) string {
	st := v.c.st
	var s string
	for i := range v.axes {
		s += st.key.Render(axisNames[i]+" "+render.FormatTick(v.cursor[i])) + " "
	}
	if l, a, se, ok := v.readout(); ok {
		if at := v.gridPointNote(); at != "" {
			s += st.faint.Render(at) + " "
		}
		switch {
		case surface.OffScale(l):
			s += st.err.Render("loss off scale") + fmt.Sprintf(" (%.3g)", l)
		case math.IsNaN(se): // a surface from before standard errors
			s += fmt.Sprintf("loss %.4f acc %.2f%%", l, 100*a)
		default:
			s += fmt.Sprintf("loss %.4f ± %.4f acc %.2f%%", l, se, 100*a)
		}
	} else {
		s += st.faint.Render("loss …")
	}
	if sum := v.summary(); sum != nil {
		sep := st.faint.Render(" │ ")
		width := fmt.Sprintf("α %s", sum.WidthAlpha)
		if len(v.axes) > 1 {
			width += fmt.Sprintf(" β %s", sum.WidthBeta)
		}
		full := s + sep + fmt.Sprintf("centre %.4f", sum.CentreLoss) + sep +
			fmt.Sprintf("basin (loss < centre+%g) %s", sum.Threshold, width)
		if lipgloss.Width(full) > w { // narrow: the basin's numbers matter most
			full = s + sep + "basin " + strings.ReplaceAll(width, " width ", " ")
		}
		s = full
		if sum.OffScale > 0 {
			s += sep + st.err.Render(fmt.Sprintf("%d off scale", sum.OffScale))
		}
	}
	return truncate(s, w)
}

// cached returns the body drawn by draw, redrawn only when something
// changed; an open form takes the bottom of the body.
func (v *scanState) cached(w, h int, draw func(w, h int) string) string {
	if !v.dirty && v.cacheKey == [2]int{w, h} {
		return v.cache
	}
	out := draw(w, h)
	if v.form != nil {
		out = fitHeight(out, h-6) + "\n" + v.form.view(v.c.st)
	}
	v.cache, v.cacheKey, v.dirty = out, [2]int{w, h}, v.form != nil
	return out
}
