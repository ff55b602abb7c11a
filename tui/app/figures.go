package app

import (
	"fmt"

	"github.com/basin-dev/basin/tui/figure"
)

// Figures: F writes the view on screen as a figure for a paper (PNG, 300
// dpi) into the run folder, the way basin plot does.

// scanFigure is the figure of a scan view's surface as it stands.
func scanFigure(v *scanState, name string) (figure.Figure, string, error) {
	if v.cur == nil || v.cur.Computed() == 0 {
		return figure.Figure{}, "", fmt.Errorf("no points to draw yet")
	}
	s := v.cur.Clone()
	if v.along != nil {
		s.Meta.Kind, s.Meta.Explained, s.Paths = "trajectory", v.along.Explained, v.along.Paths
	}
	f, err := figure.Surface(s, v.log)
	return f, name, err
}
