package app

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/direction"
	"github.com/basin-dev/basin/core/model"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
	"github.com/basin-dev/basin/tui/jobs"
	"github.com/basin-dev/basin/tui/render"
)

// watchView follows a surface file in the run folders, read-only: a scan
// another process (basin scan2d, another app, a shard) is writing, redrawn
// each time the file changes. Under basin serve this is how a viewer
// watches work that runs on the server. It draws with the 1D or 2D view's
// drawing, on a view of its own that never scans.
type watchView struct {
	c       *common
	path    string
	id      int
	cancel  context.CancelFunc
	line    *lineView
	plane   *planeView
	trainer *trainView  // a training's progress file
	live    *train.Live // nil unless watching a training
	surf    *surface.Surface
	mod     time.Time
	err     string
}

func newWatchView(c *common) *watchView {
	return &watchView{c: c, line: newLineView(c), plane: newPlaneView(c), trainer: newTrainView(c)}
}

func (v *watchView) title() string { return "watch" }
func (v *watchView) onRequest()    {}

// watch starts following path (replacing the file followed before).
func (v *watchView) watch(path string) {
	if v.cancel != nil {
		v.cancel()
	}
	ctx, cancel := context.WithCancel(v.c.eng.Ctx)
	v.cancel, v.path, v.surf, v.live, v.err, v.id = cancel, path, nil, nil, "", v.c.nextJob()
	v.c.eng.WatchFile(ctx, v.id, path)
}

func (v *watchView) keys() helpKeys {
	k := v.c.keys
	return helpKeys{short: []key.Binding{k.Left, k.Right, k.Up, k.Down}, full: [][]key.Binding{{k.Left, k.Right, k.Up, k.Down}}}
}

// key moves the cursor only: the window is the file's.
func (v *watchView) key(msg tea.KeyMsg) bool {
	st := v.shown()
	if st == nil {
		return false
	}
	switch msg.String() {
	case "left", "h":
		st.step(0, -1)
	case "right", "l":
		st.step(0, 1)
	case "up", "k":
		if len(st.axes) > 1 {
			st.step(1, 1)
		}
	case "down", "j":
		if len(st.axes) > 1 {
			st.step(1, -1)
		}
	default:
		return false
	}
	st.dirty = true
	return true
}

// shown is the drawing state of the file's kind.
func (v *watchView) shown() *scanState {
	switch {
	case v.surf == nil:
		return nil
	case v.surf.Is2D():
		return &v.plane.scanState
	}
	return &v.line.scanState
}

func (v *watchView) handle(ev any) bool {
	e, ok := ev.(jobs.WatchLoaded)
	if !ok || e.ID != v.id {
		return false
	}
	if e.Err != nil {
		v.err = e.Err.Error()
		return false
	}
	if e.Live != nil {
		v.showTraining(e.Live, e.Modified)
		return false
	}
	v.surf, v.mod, v.err = e.Surface, e.Modified, ""
	st := v.shown()
	axes := []surface.Axis{e.Surface.Alpha}
	if e.Surface.Is2D() {
		axes = append(axes, e.Surface.Beta)
	}
	if len(st.axes) != len(axes) || st.axes[0] != axes[0] || (len(axes) > 1 && st.axes[1] != axes[1]) {
		st.axes, st.home = axes, append([]surface.Axis(nil), axes...)
		st.cursor = make([]float64, len(axes))
	}
	m := e.Surface.Meta
	st.cur, st.prev = e.Surface, nil
	st.centre = &model.Result{Loss: m.CentreLoss, Accuracy: m.CentreAcc, LossSE: m.CentreLossSE}
	st.dir.Seed, st.dir.Norm = m.Seed, direction.Norm(m.Norm)
	st.dirty = true
	return false
}

// showTraining puts a training's progress into the watch view's own
// training view, as if it ran here.
func (v *watchView) showTraining(l *train.Live, mod time.Time) {
	v.live, v.mod, v.err = l, mod, ""
	t := v.trainer
	arch, err := model.Preset(l.Preset)
	if err != nil {
		v.err = err.Error()
		return
	}
	t.cfg = train.Config{Arch: arch, Optimizer: l.Optimizer, LR: l.LR, Momentum: l.Momentum, Batch: l.Batch, Epochs: l.Epochs, Seed: l.Seed}
	t.steps = newHistory(historyPoints)
	for _, p := range l.Steps {
		t.steps.add(int(p[0]), p[1])
	}
	t.epochs, t.last, t.sharp, t.threshold = l.History, l.Last, l.Sharpness, l.Threshold
	t.running, t.opened, t.saved = !l.Done, false, ""
}

func (v *watchView) resize() {
	v.line.resize()
	v.plane.resize()
}

// subject is the watched run's preset (or surface's) and file.
func (v *watchView) subject() (string, string) {
	switch {
	case v.live != nil:
		return render.Clean(v.live.Preset), render.Clean(v.path)
	case v.surf != nil:
		return render.Clean(v.surf.Meta.Preset), render.Clean(v.path)
	}
	return "", render.Clean(v.path)
}

func (v *watchView) status() []string {
	return []string{"watching " + render.Clean(filepath.Base(v.path))}
}

func (v *watchView) view(w, h int) string {
	st := v.c.st
	if v.live != nil {
		state := "running"
		if v.live.Done {
			state = "ended"
		}
		head := st.title.Render("Watching") + st.faint.Render(fmt.Sprintf("  the training of %s (%s) · updated %s ago · read-only",
			render.Clean(v.path), state, time.Since(v.mod).Round(time.Second)))
		return truncate(head, w) + "\n" + v.trainer.view(w, h-1)
	}
	if v.surf == nil {
		msg := "Choose a surface in M to watch it here."
		if v.path != "" {
			msg = "waiting for " + render.Clean(v.path) + " …"
		}
		if v.err != "" {
			msg = v.err
		}
		return st.title.Render("Watch") + "\n\n" + st.faint.Width(max(w, 10)).Render(msg)
	}
	head := st.title.Render("Watching") + st.faint.Render(fmt.Sprintf("  %s · %d of %d points · written %s ago · read-only: the cursor moves, the window is the file's",
		render.Clean(v.path), v.surf.Computed(), v.surf.Len(), time.Since(v.mod).Round(time.Second)))
	var body string
	if v.surf.Is2D() {
		body = v.plane.view(w, h-1)
	} else {
		body = v.line.view(w, h-1)
	}
	return truncate(head, w) + "\n" + body
}

// surfaces lists the files of the run folders that can be watched —
// surfaces and trainings' progress — newest first.
func surfaces(runsDir string) []string {
	var out []string
	for _, pat := range []string{"*/*.npz", "*/*/*.npz", "*/*.progress.json", "*/*/*.progress.json"} {
		m, _ := filepath.Glob(filepath.Join(runsDir, pat))
		out = append(out, m...)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}
