package train

import (
	"context"
	"sync"
)

// Gate pauses training between optimizer steps. The zero value is open.
type Gate struct {
	mu     sync.Mutex
	paused bool
	resume chan struct{} // closed when the gate opens
}

// SetPaused closes (true) or opens (false) the gate.
func (g *Gate) SetPaused(p bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p == g.paused {
		return
	}
	g.paused = p
	if p {
		g.resume = make(chan struct{})
	} else {
		close(g.resume)
	}
}

// Paused reports whether the gate is closed.
func (g *Gate) Paused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// wait blocks while the gate is closed; it returns ctx's error when the
// context ends first (or already has). A nil gate only checks ctx.
func (g *Gate) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil || g == nil {
		return err
	}
	g.mu.Lock()
	paused, resume := g.paused, g.resume
	g.mu.Unlock()
	if !paused {
		return nil
	}
	select {
	case <-resume:
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}
