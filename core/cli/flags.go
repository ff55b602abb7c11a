package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/basin-dev/basin/core/surface"
)

// Version is recorded in every file basin writes.
const Version = "0.1.0"

// usageError is bad input: the command exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// isUsage reports whether err is the user's input being wrong.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// newFlags returns a flag set whose errors are returned, not printed, and
// whose --help prints the command's synopsis and flags to out.
func newFlags(name, synopsis string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: %s\n\nflags:\n", synopsis)
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args; --help prints usage and returns flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return usagef("%s: %v (see basin %s --help)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q (see basin %s --help)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// ParseNumber reads a finite decimal number, with a message a person can
// act on.
func ParseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("a number is missing")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// ParseRange reads "a:b" with a < b, both finite (the CLI's --alpha and
// --beta, and the app's).
func ParseRange(s string) (lo, hi float64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, errors.New("want min:max, like -1:1")
	}
	if lo, err = ParseNumber(a); err != nil {
		return 0, 0, err
	}
	if hi, err = ParseNumber(b); err != nil {
		return 0, 0, err
	}
	if lo >= hi {
		return 0, 0, fmt.Errorf("empty or inverted: the first number must be below the second, like %g:%g", math.Min(lo, hi), math.Max(lo, hi))
	}
	return lo, hi, nil
}

// parseRange is ParseRange for a flag, as a usage error naming it.
func parseRange(flagName, s string) (lo, hi float64, err error) {
	if lo, hi, err = ParseRange(s); err != nil {
		return 0, 0, usagef("--%s %q: %v", flagName, s, err)
	}
	return lo, hi, nil
}

// parseGrid reads "21" (square) or "41x21" (α points x β points).
func parseGrid(s string) (nx, ny int, err error) {
	parts := strings.Split(strings.ToLower(s), "x")
	if len(parts) > 2 {
		return 0, 0, usagef("--grid %q: want N or NxM, like 21 or 41x21", s)
	}
	var n [2]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return 0, 0, usagef("--grid %q: want N or NxM, like 21 or 41x21", s)
		}
		n[i] = v
	}
	if len(parts) == 1 {
		n[1] = n[0]
	}
	for _, v := range n {
		if v < 2 || v > surface.MaxPoints {
			return 0, 0, usagef("--grid %q: each side must have 2 to %d points", s, surface.MaxPoints)
		}
	}
	return n[0], n[1], nil
}
