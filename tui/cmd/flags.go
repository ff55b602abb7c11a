package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/tui/flags"
)

// usageError is bad input: the command exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// usage marks err, if any, as the user's input being wrong.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// isUsage reports whether err is the user's input being wrong.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// newFlags returns a command's flag set: errors are one line pointing to
// --help, --help prints synopsis and flags to out.
func newFlags(name, synopsis string, out io.Writer) *flags.Set {
	return flags.New(name, synopsis, "", "basin "+name+" --help", out)
}

// parse parses args; every error is a usage error (or flag.ErrHelp).
func parse(fs *flags.Set, args []string) error {
	err := fs.Parse(args)
	if err != nil && !isHelp(err) {
		return usage(err)
	}
	return err
}

// parsePaths parses args that begin with n file names, then flags; without
// exactly n, the error is want (which shows a whole command line).
func parsePaths(fs *flags.Set, args []string, n int, want string) ([]string, error) {
	var paths []string
	for len(args) > 0 && len(paths) < n && !strings.HasPrefix(args[0], "-") {
		paths, args = append(paths, args[0]), args[1:]
	}
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if len(paths) != n {
		return nil, usagef("%s", want)
	}
	return paths, nil
}

// loadData reads --data; a directory that cannot be used is a usage error.
func loadData(dir string) (*data.Source, error) {
	src, err := data.Load(dir)
	if err != nil && dir != "" {
		return nil, usagef("--data: %w", err)
	}
	return src, err
}
