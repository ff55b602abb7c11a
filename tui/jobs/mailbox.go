package jobs

import (
	"sync"
)

// mailbox carries engine events to the UI. Send never blocks: events are
// appended under a lock and the UI is woken at most once per batch, so a
// fast engine costs the UI one message per frame, not one per event.
type mailbox struct {
	mu     sync.Mutex
	events []any
	wake   chan struct{}
	closed chan struct{}
}

func newMailbox() *mailbox {
	return &mailbox{wake: make(chan struct{}, 1), closed: make(chan struct{})}
}

// send queues an event from any goroutine.
func (m *mailbox) send(ev any) {
	m.mu.Lock()
	m.events = append(m.events, ev)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// wait blocks until events are queued and returns all of them; nil once
// the mailbox is closed. (A wake-up can find the events already taken by
// the call before it: it waits on.)
func (m *mailbox) wait() []any {
	for {
		select {
		case <-m.wake:
		case <-m.closed:
			return nil
		}
		m.mu.Lock()
		evs := m.events
		m.events = nil
		m.mu.Unlock()
		if len(evs) > 0 {
			return evs
		}
	}
}

func (m *mailbox) close() {
	select {
	case <-m.closed:
	default:
		close(m.closed)
	}
}
