// Package tui is basin's terminal app: one Bubble Tea program with three
// states — Training, 1D scan, 2D scan — over the engine in core.
//
// Data flows one way:
//
//	engine goroutines (train.Train, scan.Run)
//	    │ progress events, job results
//	    ▼
//	mailbox (unbounded, never blocks the engine; wakes the UI once per batch)
//	    │ eventsMsg (all events since the last wake-up)
//	    ▼
//	Model.Update → view state (trainView, lineView, planeView)
//	    │
//	    ▼
//	View → render.* (pure: state in, string out), cached until data,
//	       window, cursor or size change.
//
// Update never waits on the engine: every engine call runs in a goroutine
// started from Update and reports through the mailbox. Changing a scan's
// window or settings cancels its job and starts another; events from the
// old job are recognised by their job number and dropped. Every job writes
// its files (checkpoint, surfaces) into the run folder atomically, also
// when cancelled, and Run waits for them before returning.
package tui
