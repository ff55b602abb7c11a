package jobs

import (
	"github.com/basin-dev/basin/tui/figure"
)

// FigureSaved says where a figure went.
type FigureSaved struct {
	Path string
	Err  error
}

// SaveFigure draws and writes a figure off the screen's goroutine.
func (e *Engine) SaveFigure(name string, f figure.Figure) {
	e.Go(func() {
		path, err := e.Path(name, ".png", true)
		if err == nil {
			err = figure.Save(path, f)
		}
		e.box.send(FigureSaved{path, err})
	})
}
