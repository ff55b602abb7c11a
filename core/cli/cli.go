package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/basin-dev/basin/core/data"
)

// Exit statuses.
const (
	ExitOK        = 0
	ExitFailure   = 1 // something failed while running
	ExitUsage     = 2 // the input was wrong
	ExitInterrupt = 130
)

// Usage is the overview printed by `basin help`.
const Usage = `basin: train a CNN on MNIST and walk around its loss landscape.

usage:
  basin                      open the terminal app
  basin train   [flags]      train a model and save a checkpoint
  basin eval    [flags]      evaluate a checkpoint on a seeded set of images
  basin scan1d  [flags]      loss along one random direction, f(α) = L(θ* + αδ)
  basin scan2d  [flags]      loss on a random plane, f(α,β) = L(θ* + αδ + βη)
  basin info    FILE         describe a checkpoint (.safetensors) or a surface (.npz)
  basin info    --preset P   print a preset's layers and parameter counts
  basin bench   [--quick]    measure the engine (img/s, points/s, GFLOP/s) on fixed workloads

Run 'basin COMMAND --help' for a command's flags.
`

// Commands maps command names to their functions.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"train":  runTrain,
	"eval":   runEval,
	"scan1d": func(ctx context.Context, a []string, o, e io.Writer) error { return runScan(ctx, false, a, o, e) },
	"scan2d": func(ctx context.Context, a []string, o, e io.Writer) error { return runScan(ctx, true, a, o, e) },
	"info":   runInfo,
	"bench":  runBench,
}

// IsCommand reports whether name is a headless command.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "help" || name == "--help" || name == "-h"
}

// Main runs a headless command and returns the exit status. Ctrl-C (or
// SIGTERM) cancels the work; the command saves what it has.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, Usage)
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "basin: unknown command %q: run 'basin help' for the list\n", args[0])
		return ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "basin %s: interrupted\n", args[0])
		return ExitInterrupt
	case isUsage(err):
		fmt.Fprintf(stderr, "basin %s: %v\n", args[0], err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "basin %s: %v\n", args[0], err)
	return ExitFailure
}

// loadData returns the embedded MNIST, or the IDX data set in dir.
func loadData(dir string) (*data.Source, error) {
	if dir == "" {
		src, err := data.LoadEmbedded()
		if err != nil {
			return nil, fmt.Errorf("load embedded MNIST: %w", err)
		}
		return src, nil
	}
	src, err := data.LoadDir(dir)
	if err != nil {
		return nil, usagef("--data: %v", err)
	}
	return src, nil
}
