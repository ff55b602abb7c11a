package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
)

func keys(m *Model, s ...string) {
	for _, k := range s {
		switch k {
		case "enter":
			m.Update(tea.KeyMsg{Type: tea.KeyEnter})
		case "tab":
			m.Update(tea.KeyMsg{Type: tea.KeyTab})
		case "down":
			m.Update(tea.KeyMsg{Type: tea.KeyDown})
		case "backspace":
			m.Update(tea.KeyMsg{Type: tea.KeyBackspace})
		case "esc":
			m.Update(tea.KeyMsg{Type: tea.KeyEsc})
		default:
			m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		}
	}
}

// T opens the training form with the current values; nonsense is named in
// place and Enter does nothing until it is fixed; then the new model
// trains into its own run folder, and the views switch to it when done.
// M lists the models and switches the views back to one.
func TestTrainFromTheApp(t *testing.T) {
	o := testOptions(t)
	first, _ := checkpoint.Pretrained("small")
	m := newModel(o, first, tiny, os.Stdout)
	defer m.eng.Shutdown()
	m.ready()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	keys(m, "T")
	if m.trainForm == nil || !strings.Contains(m.View(), "Train a new model") || !strings.Contains(m.View(), "0.05") {
		t.Fatalf("no form:\n%s", m.View())
	}
	keys(m, "tab", "tab", "x", "q") // lr "0.05xq": q types, it does not quit
	if !strings.Contains(m.View(), "lr") || m.trainForm.err == "" {
		t.Fatalf("bad lr not flagged: %q\n%s", m.trainForm.err, m.View())
	}
	keys(m, "enter")
	if m.trainForm == nil || m.trainer.running {
		t.Fatal("Enter trained with a bad learning rate")
	}
	keys(m, "backspace", "backspace", "tab", "tab", "tab", "tab", "tab", "tab", "tab", "backspace", "3") // lr 0.05, track sharpness 3
	if m.trainForm.err != "" {
		t.Fatalf("valid values refused: %s", m.trainForm.err)
	}
	keys(m, "enter")
	if m.trainForm != nil || !m.trainer.running || m.views[m.active] != view(m.trainer) || m.trainer.cfg.Track.Every != 3 {
		t.Fatalf("training did not start: running %v, on %s, cfg %+v", m.trainer.running, m.views[m.active].title(), m.trainer.cfg)
	}
	pump(t, m, func() bool { return !m.trainer.running })
	if m.ck == first || m.ck == nil || !strings.HasPrefix(m.ck.Path, o.RunsDir) || len(m.trainer.sharp) == 0 {
		t.Fatalf("after training the views show %v (track %d points)", m.ck, len(m.trainer.sharp))
	}
	trained := m.ck.Path
	// A second model goes into another run folder.
	keys(m, "T", "enter")
	pump(t, m, func() bool { return !m.trainer.running })
	if filepath.Dir(m.ck.Path) == filepath.Dir(trained) {
		t.Fatalf("both models in %s", filepath.Dir(trained))
	}
	// M: the list; Enter on the first model switches back to it.
	keys(m, "M")
	if m.picker == nil || !strings.Contains(m.View(), "Models") || !strings.Contains(m.View(), "(on screen)") ||
		!strings.Contains(m.View(), "small · sgd · batch 32") {
		t.Fatalf("no models list, or one that does not say what trained them:\n%s", m.View())
	}
	for m.picker.items[m.picker.sel] != trained {
		keys(m, "down")
	}
	keys(m, "enter")
	pump(t, m, func() bool { return m.ck.Path == trained || m.errMsg != "" })
	if m.errMsg != "" || !m.trainer.opened {
		t.Fatalf("switch: %q, trainer opened %v", m.errMsg, m.trainer.opened)
	}
}
