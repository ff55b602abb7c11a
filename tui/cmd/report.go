package cmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/progress"
	"golang.org/x/term"
)

// reporter prints progress to stderr: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise (logs, CI, pipes).
type reporter struct {
	w        io.Writer
	tty      bool
	last     time.Time
	interval time.Duration
	width    int
	drawn    bool
}

func newReporter(w io.Writer) *reporter {
	r := &reporter{w: w, interval: 5 * time.Second}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.tty, r.interval = true, 100*time.Millisecond
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			r.width = cols
		}
	}
	return r
}

// update shows done/total with a label, details and the estimated time
// left (negative: unknown); final forces output.
func (r *reporter) update(label string, done, total int, eta time.Duration, details string, final bool) {
	if !final && time.Since(r.last) < r.interval {
		return
	}
	r.last = time.Now()
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	left := "--"
	if eta >= 0 {
		left = fmtDuration(eta)
	}
	if !r.tty {
		fmt.Fprintf(r.w, "%s %d/%d (%.0f%%) %s eta %s\n", label, done, total, 100*frac, details, left)
		return
	}
	bar := 24
	fill := int(frac * float64(bar))
	line := fmt.Sprintf("%s [%s%s] %3.0f%% %d/%d %s eta %s", label, strings.Repeat("█", fill), strings.Repeat("░", bar-fill), 100*frac, done, total, details, left)
	if r.width > 0 && len([]rune(line)) > r.width-1 {
		line = string([]rune(line)[:r.width-1])
	}
	fmt.Fprintf(r.w, "\r\x1b[K%s", line)
	r.drawn = true
	if final {
		r.done()
	}
}

// done ends the in-place line so later output starts on a fresh line.
func (r *reporter) done() {
	if r.tty && r.drawn {
		fmt.Fprintln(r.w)
		r.drawn = false
	}
}

// line prints a message on its own line.
func (r *reporter) line(format string, args ...any) {
	r.done()
	fmt.Fprintf(r.w, format+"\n", args...)
}

// etaOf estimates the time left when done of total took elapsed.
func etaOf(done, total int, elapsed time.Duration) time.Duration {
	if done <= 0 {
		return -1
	}
	return time.Duration(float64(elapsed) * float64(total-done) / float64(done))
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// points is the progress printer of a scan's points: label (read at each
// point, so a job of two parts can rename it), done of total with the
// time left (counted from the already points the job began with), and
// what detail says of the point.
func (r *reporter) points(label *string, already int, detail func(p progress.Point) string) progress.Sink {
	return func(e progress.Event) {
		if p, ok := e.(progress.Point); ok {
			r.update(*label, p.Done, p.Total, etaOf(p.Done-already, p.Total-already, p.Elapsed), detail(p), p.Done == p.Total)
		}
	}
}
