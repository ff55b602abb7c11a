// Command basin trains a CNN on MNIST and lets you walk around its loss
// landscape: a terminal app with no arguments, headless commands with one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/basin-dev/basin/tui"
	"github.com/basin-dev/basin/tui/cli"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "serve" {
		os.Exit(tui.ServeMain(args[1:], os.Stdout, os.Stderr))
	}
	if len(args) > 0 && cli.IsCommand(args[0]) {
		os.Exit(cli.Main(args, os.Stdout, os.Stderr))
	}
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-help" || args[0] == "-h") {
		fmt.Print(cli.Usage, "\nThe terminal app's ")
	}
	opts, err := tui.ParseFlags(args, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(cli.ExitOK)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "basin: %v\n", err)
		os.Exit(cli.ExitUsage)
	}
	if !term.IsTerminal(int(os.Stdout.Fd())) || !term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprintln(os.Stderr, "basin: the terminal app needs a terminal; for scripts use the headless commands: basin train, eval, scan1d, scan2d (see basin help)")
		os.Exit(cli.ExitUsage)
	}
	runDir, sig, err := tui.Run(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "basin: %v\n", err)
		var input tui.InputError
		if errors.As(err, &input) {
			os.Exit(cli.ExitUsage)
		}
		os.Exit(cli.ExitFailure)
	}
	if runDir != "" {
		fmt.Printf("run folder: %s\n", runDir)
	}
	if sig != nil {
		fmt.Fprintf(os.Stderr, "basin: stopped by %v; work saved\n", sig)
		os.Exit(cli.Signals[sig])
	}
}
