package app

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/tui/render"
	tea "github.com/charmbracelet/bubbletea"
)

// picker chooses a second checkpoint to compare with, among those in the
// run folders (and the shipped one of the same preset).
type picker struct {
	items  []string
	about  map[string]string // what trained each checkpoint, to tell them apart
	sel    int
	models bool   // the models list: enter switches the views, b opens as B
	asB    bool   // the choice is to be opened as B
	mark   string // the model on screen, marked in the list
}

// candidates lists the checkpoints and ONNX models under runsDir, newest
// run first, the models beside except (the one on screen, when it is not
// in a run folder: an .onnx a person opened) and the pretrained
// checkpoint of the preset; not trajectories, not except.
func candidates(runsDir, preset, except string) []string {
	var out []string
	for _, pat := range []string{"*/*.safetensors", "*/*/*.safetensors", "*.onnx", "*/*.onnx", "*/*/*.onnx"} {
		m, _ := filepath.Glob(filepath.Join(runsDir, pat))
		out = append(out, m...)
	}
	if dir := filepath.Dir(except); except != "" && !checkpoint.IsPretrained(except) && !within(dir, runsDir) {
		for _, pat := range []string{"*.safetensors", "*.onnx"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			out = append(out, m...)
		}
	}
	keep := out[:0]
	for _, p := range out {
		if !strings.HasSuffix(p, ".trajectory.safetensors") && !strings.HasSuffix(p, ".diverged.safetensors") && p != except {
			keep = append(keep, p)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keep))) // run folders are named by time
	if pre := checkpoint.PretrainedPrefix + preset; pre != except {
		keep = append(keep, pre)
	}
	return keep
}

// within reports whether dir is root or inside it.
func within(dir, root string) bool {
	d, err1 := filepath.Abs(dir)
	r, err2 := filepath.Abs(root)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(r, d)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// describe reads what trained each listed checkpoint (its metadata header
// only): preset, batch, learning rate, seed, test accuracy, so two files
// both named model.safetensors read apart. Not under basin serve, whose
// sessions read only through their confined Files.
func (p *picker) describe(local bool) {
	if !local {
		return
	}
	p.about = map[string]string{}
	for _, path := range p.items {
		if !strings.HasSuffix(path, ".safetensors") {
			continue
		}
		meta, err := checkpoint.ReadMeta(path)
		if err != nil {
			continue
		}
		var parts []string
		for _, k := range []struct{ key, name string }{{"preset", ""}, {"optimizer", ""}, {"batch", "batch "}, {"lr", "lr "}, {"seed", "seed "}} {
			if v := meta[k.key]; v != "" {
				parts = append(parts, k.name+v)
			}
		}
		if a, err := strconv.ParseFloat(meta["test_accuracy"], 64); err == nil {
			parts = append(parts, fmt.Sprintf("test %.2f%%", 100*a))
		}
		p.about[path] = strings.Join(parts, " · ")
	}
}

// key moves the selection; it returns the chosen path, or done with ""
// when the picker is dismissed.
func (p *picker) key(msg tea.KeyMsg) (chosen string, done bool) {
	switch msg.String() {
	case "up", "k":
		p.sel = max(p.sel-1, 0)
	case "down", "j":
		p.sel = min(p.sel+1, len(p.items)-1)
	case "enter", "b":
		if len(p.items) == 0 || msg.String() == "b" && (!p.models || !strings.HasSuffix(p.items[p.sel], ".safetensors") && !checkpoint.IsONNX(p.items[p.sel]) && !checkpoint.IsPretrained(p.items[p.sel])) {
			return "", msg.String() == "enter"
		}
		p.asB = !p.models || msg.String() == "b"
		return p.items[p.sel], true
	case "esc", "q", "o", "M":
		return "", true
	}
	return "", false
}

func (p *picker) view(st styles, w, h int) string {
	var b strings.Builder
	if p.models {
		b.WriteString(st.title.Render("Models") + "  " + st.faint.Render("↑↓ choose · enter: show it in every view (a surface: watch it as it is written) · b: open it as B · esc: cancel") + "\n\n")
	} else {
		b.WriteString(st.title.Render("Compare with") + "  " + st.faint.Render("↑↓ choose · enter: open as B · esc: cancel") + "\n\n")
	}
	if len(p.items) == 0 {
		b.WriteString(st.faint.Render("no other checkpoints in the run folders"))
	}
	first := max(0, min(p.sel-(h-4)/2, len(p.items)-(h-3)))
	for i := first; i < len(p.items) && i < first+h-3; i++ {
		mark := "  "
		line := render.Clean(p.items[i])
		if p.items[i] == p.mark {
			line += st.faint.Render("  (on screen)")
		}
		if a := p.about[p.items[i]]; a != "" {
			line += st.faint.Render("  " + render.Clean(a))
		}
		if strings.HasSuffix(p.items[i], ".npz") {
			line += st.faint.Render("  (surface: enter watches it)")
		}
		if strings.HasSuffix(p.items[i], ".progress.json") {
			line += st.faint.Render("  (training: enter watches it)")
		}
		if i == p.sel {
			mark = "▸ "
			line = st.key.Render(line)
		}
		b.WriteString(truncate(mark+line, w) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
