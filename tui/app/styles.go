package app

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/basin-dev/basin/tui/render"
)

// styles are built from one renderer whose colour profile matches the
// render package's, so text and charts agree on colours (and a session's
// renderer can be swapped in to serve the app over SSH).
type styles struct {
	profile                          render.Profile
	title, faint, err, key, bar, ok  lipgloss.Style
	statusBar, statusKey, statusWarn lipgloss.Style
	// colours for the render package
	axis, line, lineOld, centre, cursor, contour, cross, acc render.Color
}

func termenvProfile(p render.Profile) termenv.Profile {
	return [...]termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii}[p]
}

func newStyles(p render.Profile, out io.Writer) styles {
	r := lipgloss.NewRenderer(out, termenv.WithProfile(termenvProfile(p)))
	r.SetColorProfile(termenvProfile(p))
	c := func(true, ansi256, ansi16 string) lipgloss.TerminalColor {
		return lipgloss.CompleteColor{TrueColor: true, ANSI256: ansi256, ANSI: ansi16}
	}
	accent := c("#5fd7ff", "81", "14")
	st := styles{
		profile:    p,
		title:      r.NewStyle().Bold(true).Foreground(accent),
		faint:      r.NewStyle().Faint(true),
		err:        r.NewStyle().Bold(true).Foreground(c("#ff5f5f", "203", "9")),
		key:        r.NewStyle().Bold(true),
		bar:        r.NewStyle().Foreground(accent),
		ok:         r.NewStyle().Foreground(c("#87d787", "114", "10")),
		statusBar:  r.NewStyle().Reverse(true),
		statusKey:  r.NewStyle().Reverse(true).Bold(true),
		statusWarn: r.NewStyle().Reverse(true).Bold(true).Foreground(c("#ff5f5f", "203", "9")),
	}
	if p != render.NoColor {
		st.axis = p.RGB(138, 138, 138)
		st.line = p.RGB(95, 215, 255)
		st.lineOld = p.RGB(88, 88, 88)
		st.centre = p.RGB(255, 95, 95)
		st.cursor = p.RGB(255, 215, 0)
		st.contour = p.RGB(255, 255, 255)
		st.cross = p.RGB(255, 0, 0)
		st.acc = p.RGB(135, 215, 135)
		if p == render.ANSI16 {
			st.axis, st.line, st.lineOld, st.centre = render.ANSI(7), render.ANSI(14), render.ANSI(8), render.ANSI(9)
			st.cursor, st.contour, st.cross, st.acc = render.ANSI(11), render.ANSI(15), render.ANSI(9), render.ANSI(10)
		}
	}
	return st
}
