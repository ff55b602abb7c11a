package app

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/tui/jobs"
)

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
