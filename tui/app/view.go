package app

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/tui/jobs"
)

// view is one screen of the app. The root model keeps its views in a
// list — their tabs, number keys and Tab order follow it — sends keys and
// mouse events to the one on screen and engine events to all of them, and
// draws the one on screen between the header and the status bar. A new
// view is a type with these methods and one line in newViews.
//
// Three optional methods: pauseScans(asking view) lets a view that scans
// pause for the scans of the view the user works in; onRequest() marks a
// view that works only when asked, where the demo flow does not go;
// setB(ck) gives the compare views a new second model.
type view interface {
	title() string // the tab's label
	// ready is called once the model exists (trained here or opened);
	// views that scan it begin here.
	ready()
	keys() helpKeys // its own keys, for the help line and the ? screen
	// key handles a key; false leaves it to the root.
	key(msg tea.KeyMsg) bool
	// mouse handles a mouse event at body coordinates; true when it acted.
	mouse(msg tea.MouseMsg, w, h int) bool
	// handle takes an engine event (every view sees every event and
	// keeps its own); true when it finished the view's work, so the
	// demo flow may move on to the next view.
	handle(ev any) bool
	view(w, h int) string // the body, w×h cells
	status() []string     // its fields of the status bar
	activity() string     // what its engine job is doing, "" when idle
	capturing() bool      // a form has the keyboard: no global keys
	resize()              // the terminal changed size
}

// newViews is the app's list of views, in tab order. The training view
// must be among them: it makes the model when none is opened.
func newViews(c *common) []view {
	plane := newPlaneView(c)
	views := []view{newTrainView(c), newLineView(c), plane, newSurfaceView(c, plane)}
	if c.other != nil { // basin --compare A B
		views = append(views, newCompareLineView(c), newCompareView(c), newInterpView(c))
	}
	return append(views, newNumbersView(c), newTrajView(c))
}

// common is what every view shares: the options, styles and keys, the
// engine, and the model and data once there.
type common struct {
	opts Options
	st   styles
	keys keyMap
	eng  *jobs.Engine
	ck   *checkpoint.Checkpoint
	src  *data.Source
	// other is the second model of basin --compare A B (ck is A), nil
	// without one.
	other *checkpoint.Checkpoint

	nextID       int                 // scan jobs are numbered so late events of a replaced one are dropped
	yield        func(asking view)   // pauses the scans of every view but the one asking
	onScreen     func(v view) bool   // whether v is the view on screen
	interp       func()              // shows the interpolation view and starts it (i in a compare view)
	scanSettings func(scan.Settings) // tests watch the scans started; nil runs them
}

// nextJob numbers a new scan job.
func (c *common) nextJob() int {
	c.nextID++
	return c.nextID
}

// helpKeys adapts a view's keys to bubbles/help.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }
