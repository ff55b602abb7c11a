package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap holds every key binding; the help screen is generated from it.
type keyMap struct {
	Train, Line, Plane, Next key.Binding
	Help, Quit               key.Binding

	Pause, Stop key.Binding

	Left, Right, Up, Down             key.Binding
	PanLeft, PanRight, PanUp, PanDown key.Binding
	ZoomIn, ZoomOut, Reset            key.Binding
	Edit, Finer, Coarser              key.Binding
	NewDir, Norm, Scale, Layers       key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Train: b([]string{"1"}, "1", "training"),
		Line:  b([]string{"2"}, "2", "1D scan"),
		Plane: b([]string{"3"}, "3", "2D scan"),
		Next:  b([]string{"tab", "shift+tab"}, "tab", "next view"),
		Help:  b([]string{"?"}, "?", "all keys"),
		Quit:  b([]string{"q", "ctrl+c"}, "q", "quit"),

		Pause: b([]string{"p", " "}, "p", "pause/resume"),
		Stop:  b([]string{"s", "enter"}, "s", "stop & scan"),

		Left:     b([]string{"left", "h"}, "←/h", "cursor left"),
		Right:    b([]string{"right", "l"}, "→/l", "cursor right"),
		Up:       b([]string{"up", "k"}, "↑/k", "cursor up"),
		Down:     b([]string{"down", "j"}, "↓/j", "cursor down"),
		PanLeft:  b([]string{"shift+left", "H"}, "H", "pan left"),
		PanRight: b([]string{"shift+right", "L"}, "L", "pan right"),
		PanUp:    b([]string{"shift+up", "K"}, "K", "pan up"),
		PanDown:  b([]string{"shift+down", "J"}, "J", "pan down"),
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
	}
}

// helpKeys adapts the key map to bubbles/help for one view.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

func (k keyMap) forState(s state) helpKeys {
	global := []key.Binding{k.Train, k.Line, k.Plane, k.Next, k.Help, k.Quit}
	switch s {
	case stateTrain:
		return helpKeys{
			short: []key.Binding{k.Pause, k.Stop, k.Next, k.Help, k.Quit},
			full:  [][]key.Binding{{k.Pause, k.Stop}, global},
		}
	case stateLine:
		return helpKeys{
			short: []key.Binding{k.Left, k.ZoomIn, k.ZoomOut, k.Edit, k.NewDir, k.Help, k.Quit},
			full:  [][]key.Binding{{k.Left, k.Right, k.PanLeft, k.PanRight, k.ZoomIn, k.ZoomOut, k.Reset}, {k.Edit, k.Finer, k.Coarser, k.NewDir, k.Norm, k.Scale}, global},
		}
	}
	return helpKeys{
		short: []key.Binding{k.Up, k.ZoomIn, k.ZoomOut, k.PanLeft, k.Edit, k.Scale, k.Layers, k.Help, k.Quit},
		full: [][]key.Binding{
			{k.Left, k.Right, k.Up, k.Down},
			{k.PanLeft, k.PanRight, k.PanUp, k.PanDown},
			{k.ZoomIn, k.ZoomOut, k.Reset, k.Edit, k.Finer, k.Coarser},
			{k.NewDir, k.Norm, k.Scale, k.Layers},
			global,
		},
	}
}
