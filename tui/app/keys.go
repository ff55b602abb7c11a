package app

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// keyMap holds every key binding; the help screen is generated from it.
// The keys that pick a view (1, 2, …) come from the list of views.
type keyMap struct {
	Next, Help, Quit, Open key.Binding
	Train, Models, Figure  key.Binding

	Pause, Stop key.Binding

	Left, Right, Up, Down             key.Binding
	PanLeft, PanRight, PanUp, PanDown key.Binding
	ZoomIn, ZoomOut, Reset            key.Binding
	Edit, Finer, Coarser              key.Binding
	NewDir, Norm, Scale, Layers       key.Binding
	Diff, Measure                     key.Binding
	PathPrev, PathNext                key.Binding
	Interp                            key.Binding
	Rotate, Tilt, Spin                key.Binding
}

// splitKeys returns the single keys of a message that holds several
// letters (typed fast, or over SSH, they arrive in one read and Bubble
// Tea makes one key of them: "ll", "++"), nil for a single key. A paste
// stays whole.
func splitKeys(msg tea.KeyMsg) []tea.KeyMsg {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || msg.Paste {
		return nil
	}
	keys := make([]tea.KeyMsg, len(msg.Runes))
	for i, r := range msg.Runes {
		keys[i] = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}
	}
	return keys
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Next:   b([]string{"tab", "shift+tab"}, "tab ⇧tab", "next or previous view"),
		Help:   b([]string{"?"}, "?", "all keys"),
		Quit:   b([]string{"q", "ctrl+c"}, "q", "quit"),
		Open:   b([]string{"o"}, "o", "open B to compare"),
		Train:  b([]string{"T"}, "T", "train a new model"),
		Models: b([]string{"M"}, "M", "models: switch, or compare"),
		Figure: b([]string{"F"}, "F", "save a figure (PNG)"),

		Pause: b([]string{"p", " "}, "p space", "pause/resume"),
		Stop:  b([]string{"s", "enter"}, "s enter", "stop & scan"),

		Left:     b([]string{"left", "h"}, "←/h", "cursor left"),
		Right:    b([]string{"right", "l"}, "→/l", "cursor right"),
		Up:       b([]string{"up", "k"}, "↑/k", "cursor up"),
		Down:     b([]string{"down", "j"}, "↓/j", "cursor down"),
		PanLeft:  b([]string{"shift+left", "H"}, "H ⇧←", "pan left"),
		PanRight: b([]string{"shift+right", "L"}, "L ⇧→", "pan right"),
		PanUp:    b([]string{"shift+up", "K"}, "K ⇧↑", "pan up"),
		PanDown:  b([]string{"shift+down", "J"}, "J ⇧↓", "pan down"),
		ZoomIn:   b([]string{"+", "="}, "+", "zoom in"),
		ZoomOut:  b([]string{"-", "_"}, "-", "zoom out"),
		Reset:    b([]string{"0"}, "0", "reset view"),
		Edit:     b([]string{"e"}, "e", "type ranges"),
		Finer:    b([]string{"]"}, "]", "more points"),
		Coarser:  b([]string{"["}, "[", "fewer points"),
		NewDir:   b([]string{"n"}, "n", "new direction"),
		Norm:     b([]string{"m"}, "m", "normalization"),
		Scale:    b([]string{"s"}, "s", "linear/log"),
		Layers:   b([]string{"c"}, "c", "heatmap/contours"),
		Diff:     b([]string{"d"}, "d", "A | B or A − B"),
		Measure:  b([]string{"r"}, "r", "measure"),
		Interp:   b([]string{"i"}, "i", "interpolate A → B"),
		Rotate:   b([]string{"left", "right"}, "←/→", "turn"),
		Tilt:     b([]string{"shift+up", "shift+down"}, "⇧↑/⇧↓", "tilt"),
		Spin:     b([]string{" "}, "space", "spin"),
		PathPrev: b([]string{","}, ",", "previous snapshot"),
		PathNext: b([]string{"."}, ".", "next snapshot"),
	}
}

// global are the keys every view has, after its own in the help.
func (k keyMap) global() []key.Binding {
	return []key.Binding{k.Next, k.Open, k.Train, k.Models, k.Figure, k.Help, k.Quit}
}
