package app

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// The help screen (?): every key of the view on screen, its mouse, and
// the keys every view shares, in as many columns as the terminal has room
// for and in pages when even those do not fit; ? turns the page, esc
// closes it.

// helpEntry is one line of the help screen: keys and what they do.
type helpEntry struct{ keys, desc string }

// helpSection is a titled group of entries.
type helpSection struct {
	title   string
	entries []helpEntry
}

// entries turns bindings into help lines, each key once.
func entries(seen map[string]bool, groups ...[]key.Binding) []helpEntry {
	var out []helpEntry
	for _, g := range groups {
		for _, b := range g {
			h := b.Help()
			if h.Key == "" || seen[h.Key] {
				continue
			}
			seen[h.Key] = true
			out = append(out, helpEntry{h.Key, h.Desc})
		}
	}
	return out
}

// helpSections is what the help screen lists for view v.
func (m *Model) helpSections(v view) []helpSection {
	seen := map[string]bool{}
	secs := []helpSection{{title: v.title(), entries: entries(seen, v.keys().full...)}}
	if _, ok := v.(interface {
		mouse(tea.MouseMsg, int, int) bool
	}); ok {
		secs = append(secs, helpSection{title: "mouse", entries: []helpEntry{
			{"click", "put the cursor there"}, {"wheel", "zoom in or out at the pointer"}}})
	}
	views := helpEntry{"1–" + fmt.Sprint(len(m.pick)), "show a view"}
	if len(m.pick) == 1 {
		views.keys = "1"
	}
	global := append([]helpEntry{views}, entries(seen, m.keys.global())...)
	global = append(global, helpEntry{"esc", "close this help or a form"})
	return append(secs, helpSection{title: "every view", entries: global})
}

// renderHelp lays the sections out in columns that fit w, h lines a page,
// and returns page number page (clamped) and how many there are.
func renderHelp(st styles, secs []helpSection, w, h, page int) (string, int) {
	var lines []string
	for i, s := range secs {
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, st.title.Render(s.title))
		kw := 0
		for _, e := range s.entries {
			kw = max(kw, lipgloss.Width(e.keys))
		}
		for _, e := range s.entries {
			lines = append(lines, st.statusKey.Render(padRight(e.keys, kw))+"  "+e.desc)
		}
	}
	colW := 0
	for _, l := range lines {
		colW = max(colW, lipgloss.Width(l))
	}
	colW = min(colW+3, w)
	cols := max(w/colW, 1)
	rows := max(h-2, 1) // a blank line and the footer
	perPage := rows * cols
	pages := max((len(lines)+perPage-1)/perPage, 1)
	page = min(max(page, 0), pages-1)
	lines = lines[page*perPage : min((page+1)*perPage, len(lines))]
	out := make([]string, rows)
	for c := 0; c < cols; c++ {
		for r := 0; r < rows; r++ {
			i := c*rows + r
			if i >= len(lines) {
				break
			}
			cell := truncate(lines[i], colW-1)
			if c < cols-1 {
				cell = padRight(cell, colW)
			}
			out[r] += cell
		}
	}
	footer := "? or esc: close"
	if pages > 1 {
		footer = fmt.Sprintf("page %d of %d · ? next page · esc close", page+1, pages)
		if page == pages-1 {
			footer = fmt.Sprintf("page %d of %d · ? or esc: close", page+1, pages)
		}
	}
	return strings.Join(out, "\n") + "\n\n" + st.faint.Render(truncate(footer, w)), pages
}
