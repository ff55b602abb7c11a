package app

import (
	"context"

	"github.com/charmbracelet/bubbles/key"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/tui/jobs"
)

// newViews is the app's list of views, in tab order. The training view
// must be among them: it makes the model when none is opened.
func newViews(c *common) []view {
	plane := newPlaneView(c)
	views := []view{newTrainView(c), newLineView(c), plane, newSurfaceView(c, plane)}
	if c.other != nil { // basin --compare A B
		views = append(views, compareViews(c)...)
	}
	return append(views, newNumbersView(c), newTrajView(c))
}

// compareViews are the views of a second model B, listed before the views
// that work on request once there is a B (basin --compare, or b in M).
func compareViews(c *common) []view {
	return []view{newCompareLineView(c), newCompareView(c), newInterpView(c)}
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

	nextID int // scan jobs are numbered so late events of a replaced one are dropped
	// root is the model the views belong to: they ask it for what is not
	// theirs (other views' scans paused, another view shown) with the
	// request messages below.
	root root
	// scanner runs the views' scans: the engine (a test may watch them).
	scanner interface {
		Scan(ctx context.Context, j jobs.ScanJob) <-chan struct{}
	}
}

// root is what a view may ask of the model it belongs to.
type root interface {
	request(r any)        // one of the request types below
	onScreen(v view) bool // whether v is the view on screen
}

// Requests from a view to the root.
type (
	// pauseOthers pauses the scans of every view but asking's (they go
	// on when asking's scan is done).
	pauseOthers struct{ asking view }
	// startInterp shows the interpolation view and starts it (i in a
	// compare view).
	startInterp struct{}
)

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
