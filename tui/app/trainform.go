package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/flags"
)

// trainForm sets up a new training run from inside the app: the flags of
// basin train, filled in with the last run's values and checked as they
// are typed (the same checks as the command line's).
type trainForm struct {
	fields []trainField
	focus  int
	err    string // what is wrong with the values now, "" when they train
}

type trainField struct {
	label, help string
	in          textinput.Model
}

// trainFields are the form's fields, in order, with the flag each stands for.
var trainFields = []struct{ label, help string }{
	{"preset", "small, standard or mlp"},
	{"optimizer", "sgd or adam"},
	{"lr", "learning rate"},
	{"momentum", "SGD momentum"},
	{"batch", "images per step"},
	{"epochs", "passes over the training set"},
	{"seed", "initial weights and batch order"},
	{"weight decay", "L2"},
	{"snapshot every", "steps between trajectory snapshots (0: ~50 an epoch)"},
	{"track sharpness", "λmax every N steps (0: off; 250 adds ~37% to training small)"},
}

func newTrainForm(cfg train.Config) *trainForm {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	values := []string{cfg.Arch.Preset, cfg.Optimizer, f(cfg.LR), f(cfg.Momentum), strconv.Itoa(cfg.Batch), strconv.Itoa(cfg.Epochs),
		strconv.FormatUint(cfg.Seed, 10), f(cfg.WeightDecay), strconv.Itoa(cfg.SnapshotEvery), strconv.Itoa(cfg.Track.Every)}
	form := &trainForm{}
	for i, d := range trainFields {
		in := textinput.New()
		in.Prompt, in.CharLimit, in.Width = "", 24, 14
		in.SetValue(values[i])
		if i == 0 {
			in.Focus()
		}
		form.fields = append(form.fields, trainField{label: d.label, help: d.help, in: in})
	}
	return form
}

// config reads the fields into a training configuration, with the
// command line's checks; the error names the field.
func (f *trainForm) config() (train.Config, error) {
	v := func(i int) string { return strings.TrimSpace(f.fields[i].in.Value()) }
	var t flags.Train
	t.Preset, t.Optimizer = v(0), v(1)
	nums := []struct {
		i   int
		dst *float64
	}{{2, &t.LR}, {3, &t.Momentum}, {7, &t.WeightDecay}}
	for _, n := range nums {
		x, err := flags.Number(v(n.i))
		if err != nil {
			return train.Config{}, fmt.Errorf("%s: %v", f.fields[n.i].label, err)
		}
		*n.dst = x
	}
	ints := []struct {
		i   int
		dst *int
	}{{4, &t.Batch}, {5, &t.Epochs}, {8, &t.SnapshotEvery}, {9, &t.TrackEvery}}
	for _, n := range ints {
		x, err := strconv.Atoi(v(n.i))
		if err != nil {
			return train.Config{}, fmt.Errorf("%s %q: want a whole number", f.fields[n.i].label, v(n.i))
		}
		*n.dst = x
	}
	seed, err := strconv.ParseUint(v(6), 10, 64)
	if err != nil {
		return train.Config{}, fmt.Errorf("seed %q: want a whole number of 0 or more", v(6))
	}
	t.Seed, t.TrackImages = seed, train.DefaultTrackImages
	if t.LR == 0 {
		return train.Config{}, fmt.Errorf("lr: want a positive learning rate")
	}
	if t.Epochs > 1000 {
		return train.Config{}, fmt.Errorf("epochs %d: use 1 to 1000", t.Epochs)
	}
	return t.Config()
}

// update types into the form; it returns the configuration to train with
// on Enter (when valid), or done on Esc.
func (f *trainForm) update(msg tea.KeyMsg) (cfg *train.Config, done bool) {
	switch msg.String() {
	case "esc":
		return nil, true
	case "enter":
		c, err := f.config()
		if err != nil {
			f.err = err.Error()
			return nil, false
		}
		return &c, true
	case "tab", "down":
		f.move(1)
	case "shift+tab", "up":
		f.move(-1)
	default:
		f.fields[f.focus].in, _ = f.fields[f.focus].in.Update(msg)
	}
	f.err = ""
	if _, err := f.config(); err != nil { // checked as typed
		f.err = err.Error()
	}
	return nil, false
}

func (f *trainForm) move(d int) {
	f.fields[f.focus].in.Blur()
	f.focus = (f.focus + d + len(f.fields)) % len(f.fields)
	f.fields[f.focus].in.Focus()
}

func (f *trainForm) view(st styles, w int) string {
	var b strings.Builder
	b.WriteString(st.title.Render("Train a new model") + "  " + st.faint.Render("tab/↑↓: field · enter: train into a new run folder · esc: cancel") + "\n\n")
	for i, fl := range f.fields {
		mark := "  "
		if i == f.focus {
			mark = "▸ "
		}
		b.WriteString(truncate(fmt.Sprintf("%s%-16s %s  %s", mark, fl.label, fl.in.View(), st.faint.Render(fl.help)), w) + "\n")
	}
	b.WriteString("\n")
	if f.err != "" {
		b.WriteString(st.err.Render(truncate(f.err, w)))
	} else {
		b.WriteString(st.ok.Render("ready: enter trains; the views stay on the current model until it is done"))
	}
	return b.String()
}
