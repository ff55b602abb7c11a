// Package flags defines the command-line flags basin's two front ends
// share: the training flags (basin train and the app), the scan flags
// (basin eval, scan1d, scan2d and the app) and the parsers of the values
// people type (numbers, ranges, grids), also used by the app's range form.
// Each group registers itself on a flag.FlagSet and validates into the
// engine's own settings (train.Config, scan.Settings), so the CLI and the
// app cannot drift apart: one definition, one check, one message.
//
// Errors name the flag and say what would work, in one line.
package flags
