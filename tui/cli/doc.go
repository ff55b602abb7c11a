// Package cli is basin's headless command line: train, eval, scan1d,
// scan2d, info. Each command parses its flags, validates them into engine
// settings (a bad value is a one-line error and exit status 2), runs the
// engine with a progress sink that prints to stderr, and writes its files
// atomically. Ctrl-C cancels the engine's context: training keeps its last
// completed step and scans save the points they have.
package cli
