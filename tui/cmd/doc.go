// Package cli is basin's headless command line: train, eval, scan1d,
// scan2d, info, bench. It is a front end like the app, beside it under
// tui/: each command reads its flags through the definitions it shares
// with the app (package flags), validates them into engine settings (a bad
// value is a one-line error and exit status 2, before any work; so is an
// output that cannot be written), runs the engine with a progress sink that
// prints to stderr, and writes its files atomically. Scans run through
// scan.Session, as the app's do; training saves through train.Save.
//
// Ctrl-C, SIGTERM and SIGHUP (an SSH session dropping) cancel the engine's
// context: training keeps its last completed step and scans save the
// points they have, then the command exits with 128 + the signal's number.
package cmd
