// Package cmd is every way into basin: Main (what main.go hands the
// process to) opens the terminal app with no command, runs basin serve,
// or runs a headless command (train, eval, scan1d, scan2d, sharpness,
// compare, interp, trajectory, experiment, merge, deploy, plot, info,
// bench). It is the only code that reads the arguments and the
// environment, installs signal handlers, changes process-wide settings
// (GOMAXPROCS, the memory limit) and decides exit statuses; the rooms
// below take what they need as arguments. layout_test.go holds the rules:
//
//	cmd → serve → app → jobs → core      (flags, render, figure beside them)
//
// Each command reads its flags through the definitions it shares with the
// app (package flags), validates them into engine settings (a bad value
// is a one-line error and exit status 2, before any work; so is an output
// that cannot be written), runs the engine with a progress sink that
// prints to stderr, and writes its files atomically. Scans run through
// scan.Session, as the app's do; training saves through train.Save.
//
// Ctrl-C, SIGTERM and SIGHUP (an SSH session dropping) cancel the engine's
// context: training keeps its last completed step and scans save the
// points they have, then the command exits with 128 + the signal's number.
// In the app they quit as q does, after the jobs have saved their files.
package cmd
