package model

import "sync"

// Pool keeps idle evaluators of one architecture for reuse. Building a
// graph allocates every activation buffer of its batch size (for the
// standard net, about 100 MB at batch 500), so scans borrow evaluators
// here instead of building new ones for every window the user looks at.
// A Pool is safe for concurrent use.
type Pool struct {
	Arch Arch
	max  int // idle evaluators kept; more are closed when returned

	mu   sync.Mutex
	idle []*Evaluator
}

// NewPool returns a pool of arch that keeps at most maxIdle evaluators
// between uses (at least 1).
func NewPool(arch Arch, maxIdle int) *Pool {
	return &Pool{Arch: arch, max: max(maxIdle, 1)}
}

// Get returns an idle evaluator, or a new one with zero weights of its
// own. Its Params hold whatever the last user wrote: set them before use.
func (p *Pool) Get() *Evaluator {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return e
	}
	return NewEvaluator(p.Arch, nil)
}

// Put returns an evaluator taken with Get. Beyond the pool's size it is
// closed instead.
func (p *Pool) Put(e *Evaluator) {
	if e == nil {
		return
	}
	e.SetWorkers(0) // the next user gets every core unless it says otherwise
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) >= p.max {
		e.Close()
		return
	}
	p.idle = append(p.idle, e)
}

// Idle is the number of evaluators waiting for reuse.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// Close releases every idle evaluator.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.idle {
		e.Close()
	}
	p.idle = nil
}
