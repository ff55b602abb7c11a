package app

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/tui/figure"
)

// view is one screen of the app: what every view has. The root model
// keeps its views in a list (views.go) — their tabs, number keys and Tab
// order follow it — sends keys to the one on screen and draws it between
// the header and the status bar. A new view is a type with these methods
// (and any of the optional ones below) in a file of its own, and one line
// in newViews.
type view interface {
	title() string  // the tab's label
	keys() helpKeys // its own keys, for the help line and the ? screen
	// key handles a key; false leaves it to the root.
	key(msg tea.KeyMsg) bool
	view(w, h int) string // the body, w×h cells
}

// What a view may also do; the root asks for each where it needs it, in
// the functions below, and nowhere else.
type (
	// readier begins work once the model exists (trained here or
	// opened), and again when another model is switched to.
	readier interface{ ready() }
	// handler takes an engine event (every view sees every event and
	// keeps its own); true when it finished the view's work, so the demo
	// flow may move on to the next view.
	handler interface{ handle(ev any) bool }
	// mouser handles a mouse event at body coordinates; true when it
	// acted.
	mouser interface {
		mouse(msg tea.MouseMsg, w, h int) bool
	}
	// statuser has fields for the status bar.
	statuser interface{ status() []string }
	// subjecter shows another model than the app's (the watch view): its
	// name and file, for the status bar.
	subjecter interface{ subject() (name, path string) }
	// busy says what its engine job is doing, "" when idle.
	busy interface{ activity() string }
	// capturer has a form that takes every key while it is open.
	capturer interface{ capturing() bool }
	// resizer redraws when the terminal changes size.
	resizer interface{ resize() }
	// scanPauser pauses its scans for the view the user works in.
	scanPauser interface{ pauseScans(asking view) }
	// onRequester works only when asked (a key): the demo flow does not
	// move on to it.
	onRequester interface{ onRequest() }
	// outOfFlower has no work of its own to show: the demo flow does not
	// move on to it by itself (the 3D view).
	outOfFlower interface{ outOfFlow() }
	// shower wants to know when it comes on screen.
	shower interface{ shown() }
	// figurer can be drawn as a figure (F).
	figurer interface {
		figure() (f figure.Figure, name string, err error)
	}
	// comparer shows the second model of a comparison.
	comparer interface {
		setB(ck *checkpoint.Checkpoint)
	}
	// otherWatcher shows B beside its own and redraws when B changes.
	otherWatcher interface{ otherChanged() }
	// animator turns by itself (the 3D view): the root sends it frames,
	// and the demo starts and stops it.
	animator interface {
		animating() bool
		setAnimating(on bool)
		frame()
	}
	// starter begins its work when the root shows it on a request
	// (startInterp: the interpolation view).
	starter interface{ start() }
)

func ready(v view) {
	if r, ok := v.(readier); ok {
		r.ready()
	}
}

func handle(v view, ev any) bool {
	h, ok := v.(handler)
	return ok && h.handle(ev)
}

func mouse(v view, msg tea.MouseMsg, w, h int) bool {
	m, ok := v.(mouser)
	return ok && m.mouse(msg, w, h)
}

// subject is the model view v shows, when not the app's own.
func subject(v view) (name, path string, ok bool) {
	if s, is := v.(subjecter); is {
		name, path = s.subject()
		return name, path, name != "" || path != ""
	}
	return "", "", false
}

func status(v view) []string {
	if s, ok := v.(statuser); ok {
		return s.status()
	}
	return nil
}

func activity(v view) string {
	if b, ok := v.(busy); ok {
		return b.activity()
	}
	return ""
}

func capturing(v view) bool {
	c, ok := v.(capturer)
	return ok && c.capturing()
}

func resize(v view) {
	if r, ok := v.(resizer); ok {
		r.resize()
	}
}

func shown(v view) {
	if s, ok := v.(shower); ok {
		s.shown()
	}
}

func scans(v view) bool {
	_, ok := v.(scanPauser)
	return ok
}

// onRequest reports whether v works only when asked.
func onRequest(v view) bool {
	_, ok := v.(onRequester)
	return ok
}

// outOfFlow reports whether the demo flow should not move on to v by
// itself.
func outOfFlow(v view) bool {
	_, ok := v.(outOfFlower)
	return ok
}

func animating(v view) bool {
	a, ok := v.(animator)
	return ok && a.animating()
}
