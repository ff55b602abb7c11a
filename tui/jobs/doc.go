// Package jobs runs the app's work off the screen's goroutine: training,
// scans (one at a time on the machine, with their evaluators pooled),
// interpolations, flatness measures, trajectories, figures, and watching
// a file as another process writes it. It knows nothing of Bubble Tea.
//
// Data flows one way:
//
//	Engine method (Scan, Train, …)  ← called from the app's Update
//	    │ a goroutine per job (Go), cancelled through its context
//	    ▼
//	core (scan.Session, train.Train, compare.Measure, …)
//	    │ progress events, then the job's result: the exported message
//	    │ types (ScanEvent, ScanDone, TrainDone, …), tagged with the job's ID
//	    ▼
//	mailbox: Send never blocks; Wait returns every event since the last
//	call, so a fast engine costs the screen one wake-up per batch.
//
// Every job writes its files (checkpoint, surfaces, figures) into the run
// folder atomically, also when cancelled, and Shutdown waits for them.
// Under basin serve, a Hub lets two sessions asking for the same scan
// compute it once, Slot lets one scan compute at a time on the machine,
// and Files confines what a session reads to the run folders.
package jobs
