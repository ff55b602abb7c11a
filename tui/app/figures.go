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

func (v *lineView) figure() (figure.Figure, string, error) {
	return scanFigure(&v.scanState, "figure-1d")
}
func (v *planeView) figure() (figure.Figure, string, error) {
	return scanFigure(&v.scanState, "figure-2d")
}
func (v *surfaceView) figure() (figure.Figure, string, error) {
	return scanFigure(&v.plane.scanState, "figure-2d")
}
func (v *trajView) figure() (figure.Figure, string, error) {
	return scanFigure(&v.scanState, "figure-trajectory")
}

func (v *compareView) figure() (figure.Figure, string, error) {
	a, b := v.a.cur, v.b.cur
	if a == nil || b == nil || a.Computed() == 0 || b.Computed() == 0 {
		return figure.Figure{}, "", fmt.Errorf("no points to draw yet")
	}
	f, err := figure.Compare(a, b, v.a.log)
	return f, "figure-compare", err
}

func (v *interpView) figure() (figure.Figure, string, error) {
	if v.file == "" {
		return figure.Figure{}, "", fmt.Errorf("interpolate first (r); the figure is drawn from its file")
	}
	s, err := v.c.eng.Files.Surface(v.file)
	if err != nil {
		return figure.Figure{}, "", err
	}
	f, err := figure.Surface(s, true)
	return f, "figure-interp", err
}

func (t *trainView) figure() (figure.Figure, string, error) {
	if len(t.sharp) == 0 {
		return figure.Figure{}, "", fmt.Errorf("the training view draws a figure of its sharpness track: train with --track-sharpness")
	}
	f, err := figure.Track(t.sharp, t.threshold, fmt.Sprintf("%s · %s lr %g batch %d · basin", t.cfg.Arch.Preset, t.cfg.Optimizer, t.cfg.LR, t.cfg.Batch))
	return f, "figure-sharpness", err
}
