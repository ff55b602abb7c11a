package flags

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

// Set is a flag set whose errors are returned, never printed: the caller
// prints one line. --help prints the synopsis and the flags.
type Set struct {
	*flag.FlagSet
	synopsis, about, helpCmd string
	out                      io.Writer
}

// New returns a flag set for a command. helpCmd is how a user asks for
// its help (like "basin train --help"); out is where --help prints.
func New(name, synopsis, about, helpCmd string, out io.Writer) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on every error
	return &Set{FlagSet: fs, synopsis: synopsis, about: about, helpCmd: helpCmd, out: out}
}

// Usage prints the synopsis and every flag.
func (s *Set) Usage() {
	fmt.Fprintf(s.out, "usage: %s\n\n", s.synopsis)
	if s.about != "" {
		fmt.Fprintf(s.out, "%s\n\n", s.about)
	}
	fmt.Fprint(s.out, "flags:\n")
	s.SetOutput(s.out)
	s.PrintDefaults()
	s.SetOutput(io.Discard)
}

// Parse parses args. --help prints the usage and returns flag.ErrHelp;
// anything else wrong is one line that points to the help.
func (s *Set) Parse(args []string) error {
	err := s.FlagSet.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		s.Usage()
		return err
	}
	if err != nil {
		return fmt.Errorf("%v (see %s)", err, s.helpCmd)
	}
	if s.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see %s)", s.Arg(0), s.helpCmd)
	}
	return nil
}

// FormatNumber writes a number the way a person would type it: 12
// significant digits at most, so the 0.30000000000000004 that
// 0.1 + 0.2 makes is 0.3, and a field shows the number, not its tail.
func FormatNumber(v float64) string { return strconv.FormatFloat(v, 'g', 12, 64) }

// Number reads a finite decimal number, with a message a person can act
// on.
func Number(s string) (float64, error) {
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

// Range reads "a:b" with a < b, both finite and b − a finite too.
func Range(s string) (lo, hi float64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, errors.New("want min:max, like -1:1")
	}
	if lo, err = Number(a); err != nil {
		return 0, 0, err
	}
	if hi, err = Number(b); err != nil {
		return 0, 0, err
	}
	return lo, hi, CheckRange(lo, hi)
}

// CheckRange says why lo:hi cannot be scanned, or nil.
func CheckRange(lo, hi float64) error {
	if lo >= hi {
		return fmt.Errorf("empty or inverted: the first number must be below the second, like %g:%g", math.Min(lo, hi), math.Max(lo, hi))
	}
	if math.IsInf(hi-lo, 0) {
		return fmt.Errorf("%g:%g is too wide: its span overflows", lo, hi)
	}
	return nil
}

// Grid reads "21" (square) or "41x21" (α points x β points).
func Grid(s string) (nx, ny int, err error) {
	parts := strings.Split(strings.ToLower(s), "x")
	bad := fmt.Errorf("%q: want N or NxM, like 21 or 41x21", s)
	if len(parts) > 2 {
		return 0, 0, bad
	}
	var n [2]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return 0, 0, bad
		}
		n[i] = v
	}
	if len(parts) == 1 {
		n[1] = n[0]
	}
	for _, v := range n {
		if v < 2 || v > surface.MaxPoints {
			return 0, 0, fmt.Errorf("%q: each side must have 2 to %d points", s, surface.MaxPoints)
		}
	}
	return n[0], n[1], nil
}
