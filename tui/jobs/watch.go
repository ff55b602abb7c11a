package jobs

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

// WatchLoaded is a new version of a watched file: a surface, or a
// training's progress.
type WatchLoaded struct {
	ID       int
	Surface  *surface.Surface
	Live     *train.Live
	Modified time.Time
	Err      error
}

// WatchFile loads path each time it changes (checked every WatchEvery)
// until ctx ends; a file gone is told once, and loaded again when it is
// back. A file being written is replaced whole, atomically, so every
// version read is complete, and each version is a new file: its inode
// tells a change even within one tick of the clock.
func (e *Engine) WatchFile(ctx context.Context, id int, path string) {
	every := e.WatchEvery
	if every <= 0 {
		every = time.Second
	}
	e.Go(func() {
		var last atomicfile.Version
		gone := "" // the file's last Stat error, told once
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if st, err := os.Stat(path); err != nil {
				if err.Error() != gone {
					gone, last = err.Error(), atomicfile.Version{}
					e.box.send(WatchLoaded{ID: id, Err: err})
				}
			} else if s := atomicfile.VersionOf(st); s != last {
				gone = ""
				last = s
				if strings.HasSuffix(path, ".progress.json") {
					l, err := e.Files.Live(path)
					e.box.send(WatchLoaded{ID: id, Live: l, Modified: st.ModTime(), Err: err})
				} else {
					s, err := e.Files.Surface(path)
					e.box.send(WatchLoaded{ID: id, Surface: s, Modified: st.ModTime(), Err: err})
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}
