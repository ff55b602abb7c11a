package app

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/tui/flags"
)

// rangeForm edits the α (and β) range: min and max per axis. It keeps the
// old values until Enter finds every field valid.
type rangeForm struct {
	labels []string
	inputs []textinput.Model
	focus  int
	err    string
}

// formResult is sent by the form: the new bounds, or cancelled.
type formResult struct {
	values    []float64
	cancelled bool
}

func newRangeForm(labels []string, values []float64) rangeForm {
	f := rangeForm{labels: labels}
	for i, v := range values {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = 24
		in.Width = 12
		in.SetValue(flags.FormatNumber(v))
		if i == 0 {
			in.Focus()
		}
		f.inputs = append(f.inputs, in)
	}
	return f
}

// validate parses every field; pairs (min, max) must be increasing.
func (f rangeForm) validate() ([]float64, error) {
	vals := make([]float64, len(f.inputs))
	for i, in := range f.inputs {
		v, err := flags.Number(in.Value())
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.labels[i], err)
		}
		vals[i] = v
	}
	for i := 0; i+1 < len(vals); i += 2 {
		if vals[i] >= vals[i+1] {
			return nil, fmt.Errorf("%s must be below %s (%g ≥ %g)", f.labels[i], f.labels[i+1], vals[i], vals[i+1])
		}
		if err := flags.CheckRange(vals[i], vals[i+1]); err != nil {
			return nil, fmt.Errorf("%s to %s: %v", f.labels[i], f.labels[i+1], err)
		}
	}
	return vals, nil
}

func (f rangeForm) update(msg tea.KeyMsg) (rangeForm, *formResult) {
	switch msg.String() {
	case "esc":
		return f, &formResult{cancelled: true}
	case "enter":
		vals, err := f.validate()
		if err != nil {
			f.err = err.Error() + " — kept the old range"
			return f, nil
		}
		return f, &formResult{values: vals}
	case "tab", "down":
		return f.move(1), nil
	case "shift+tab", "up":
		return f.move(-1), nil
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	_ = cmd // the cursor blink is not used
	f.err = ""
	return f, nil
}

func (f rangeForm) move(d int) rangeForm {
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + d + len(f.inputs)) % len(f.inputs)
	f.inputs[f.focus].Focus()
	return f
}

func (f rangeForm) view(st styles) string {
	var b strings.Builder
	b.WriteString(st.title.Render("Set the range") + "  " + st.faint.Render("tab: next field · enter: apply · esc: cancel") + "\n")
	for i, in := range f.inputs {
		mark := "  "
		if i == f.focus {
			mark = "▸ "
		}
		fmt.Fprintf(&b, "%s%-8s %s\n", mark, f.labels[i], in.View())
	}
	if f.err != "" {
		b.WriteString(st.err.Render(f.err))
	}
	return b.String()
}
