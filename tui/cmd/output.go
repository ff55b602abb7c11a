package cmd

import (
	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/tui/flags"
)

// output is a command's --out: required, and checked writable before
// any work (a result with nowhere to go is not worth computing).
type output struct {
	Path string
	what string // "the surface file to write, like --out s.npz"
}

// outFlag registers --out on fs; what says what to name when it is
// missing, help is the flag's line in --help.
func outFlag(fs *flags.Set, what, help string) *output {
	o := &output{what: what}
	fs.StringVar(&o.Path, "out", "", help)
	return o
}

// required is the one-line error for a missing --out.
func (o *output) required() error {
	if o.Path == "" {
		return usagef("--out is required: name %s", o.what)
	}
	return nil
}

// writable checks, before any work, that the result can be written.
func (o *output) writable() error {
	if err := atomicfile.CheckWritable(o.Path); err != nil {
		return usagef("--out: %w", err)
	}
	return nil
}
