// Package app is basin's terminal app: one Bubble Tea program whose
// screens are views in a list — training, 1D scan, 2D scan, 3D, with a
// second model compare 1D and compare (pair: A's and B's scans of one
// window), numbers (flatness measured on request), trajectory and watch —
// over the jobs of tui/jobs, which run the engine in core. tui/cmd starts
// it (and the headless commands), tui/serve serves it over SSH; the flags
// it shares with the commands are tui/flags, its pure renderers
// tui/render.
//
// Data flows one way:
//
//	jobs.Engine goroutines (train.Train, scan.Session)
//	    │ progress events, job results
//	    ▼
//	jobs mailbox (never blocks the engine); Engine.Wait, issued as a Cmd
//	    │ eventsMsg (all events since the last wake-up)
//	    ▼
//	Model.Update → every view's handle (each keeps what is its own)
//	    │
//	    ▼
//	View → the view on screen → render.* (pure: state in, string out),
//	       cached until data, window, cursor or size change.
//
// A view (contract.go: four methods, and optional ones by name) owns its
// state and says its title and keys; the root model keeps the list
// (setViews: the tabs and number keys follow it), answers the views'
// requests (pauseOthers, startInterp), and the demo flow moves to the
// next view when the one on screen finishes its work. The line and the plane share scanState (the
// window per axis, the job, the cursor, the keys) and differ only in how
// they draw. A new view is one file and one line in newViews.
//
// Update never waits on the engine: every engine call runs in a goroutine
// started from Update and reports through the mailbox. Changing a scan's
// window or settings cancels its job and starts another once the old one
// has stopped; one scan runs at a time (a key in one view pauses the other
// view's scan, which resumes from its points afterwards), and all borrow
// their evaluators from one pool, so a session of any length holds what
// one scan needs.
// Events from a replaced job are recognised by their job number and
// dropped. Every job writes its files (checkpoint, surfaces) into the run
// folder atomically, also when cancelled, and Shutdown waits for them
// (tui/cmd calls it after the program ends; SIGHUP and SIGTERM quit as q
// does).
package app
