package app

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// At 80x24 the help screen of every view lists every key it has, the
// mouse where it has one and every key all views share, turning pages
// with ? and closing after the last.
func TestHelpListsEveryBinding(t *testing.T) {
	o := testOptions(t)
	o.Pretrained = true
	ck, src, err := preload(o)
	if err != nil {
		t.Fatal(err)
	}
	o.other = ck // the compare views too
	m := newModel(o, ck, src, os.Stdout)
	defer m.eng.Shutdown()
	m.ready()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	question := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}}
	for i, v := range m.views {
		m.active = i
		m.Update(question)
		var screens []string
		for n := 0; m.showHelp && n < 10; n++ {
			screens = append(screens, ansi.Strip(m.View()))
			m.Update(question)
		}
		if m.showHelp {
			t.Fatalf("%s: ? never closes the help", v.title())
		}
		all := strings.Join(screens, "\n")
		var want []key.Binding
		for _, g := range v.keys().full {
			want = append(want, g...)
		}
		want = append(want, m.keys.global()...)
		for _, b := range want {
			if h := b.Help(); !strings.Contains(all, h.Key) || !strings.Contains(all, h.Desc) {
				t.Errorf("%s: the help lacks %q %q", v.title(), h.Key, h.Desc)
			}
		}
		if _, ok := v.(interface {
			mouse(tea.MouseMsg, int, int) bool
		}); ok && !strings.Contains(all, "wheel") {
			t.Errorf("%s: the help lacks the mouse", v.title())
		}
		if !strings.Contains(all, "show a view") {
			t.Errorf("%s: the help lacks the view keys", v.title())
		}
	}
}

// A message too long for the header keeps its start and its end (the
// file name), the tabs shrinking to their numbers first.
func TestHeaderKeepsTheEndOfAMessage(t *testing.T) {
	o := testOptions(t)
	o.Pretrained = true
	ck, src, err := preload(o)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(o, ck, src, os.Stdout)
	defer m.eng.Shutdown()
	m.ready()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.note = "figure saved: runs/20261207-020715-standard-with-a-long-name/figure-2d-12.png"
	h := ansi.Strip(m.header())
	if !strings.HasSuffix(h, "figure-2d-12.png") || !strings.Contains(h, "figure saved") || ansi.StringWidth(h) > 80 {
		t.Errorf("header %q", h)
	}
	if got := shortenMiddle("abcdefghij", 7); got != "ab…ghij" {
		t.Errorf("shortenMiddle: %q", got)
	}
}

// A square window is drawn about square: twice as many columns as rows
// (cells are about twice as tall as wide), or as wide as the screen allows.
func TestPlaneIsDrawnToItsAspect(t *testing.T) {
	for _, c := range []struct {
		w, h   int
		aspect float64
		pw     int
	}{{120, 37, 1, 66}, {200, 57, 1, 106}, {80, 21, 1, 34}, {80, 21, 2, 60}, {120, 37, 0.5, 33}} {
		if _, _, pw, ph := planeLayout(c.w, c.h, c.aspect); pw != c.pw {
			t.Errorf("%dx%d, aspect %g: %d×%d cells, want %d wide", c.w, c.h, c.aspect, pw, ph, c.pw)
		}
	}
}

// The smoothed loss follows a short run's falling loss to its end instead
// of lagging above it, and keeps a flat one flat.
func TestSmoothHasNoLag(t *testing.T) {
	n := 100
	v, flat := make([]float64, n), make([]float64, n)
	for i := range v {
		v[i] = 2 * math.Exp(-float64(i)/30) * (1 + 0.3*math.Sin(float64(i)*2.1)) // noise in proportion, as a loss's
		flat[i] = 0.3
	}
	s := Smooth(v, 0.95)
	trend := 2 * math.Exp(-float64(n-1)/30)
	if math.Abs(s[n-1]-trend) > 0.1*trend {
		t.Errorf("the smoothed curve ends at %.4f, the loss's trend at %.4f", s[n-1], trend)
	}
	for i, x := range Smooth(flat, 0.95) {
		if math.Abs(x-0.3) > 1e-12 {
			t.Fatalf("flat loss smoothed to %v at %d", x, i)
		}
	}
}
