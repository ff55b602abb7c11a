package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/basin-dev/basin/tui/render"
)

func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// Exit statuses. A signal ends a command with 128 + its number, as a
// shell reports it, after the command has saved its work.
const (
	ExitOK        = 0
	ExitFailure   = 1 // something failed while running
	ExitUsage     = 2 // the input was wrong
	ExitInterrupt = 130
)

// Signals that stop a command and what each exits with. SIGHUP is an SSH
// session dropping: like SIGTERM and Ctrl-C, work is saved first.
var Signals = map[os.Signal]int{
	syscall.SIGHUP:  128 + int(syscall.SIGHUP),
	syscall.SIGINT:  128 + int(syscall.SIGINT),
	syscall.SIGTERM: 128 + int(syscall.SIGTERM),
}

// notifyContext returns a context cancelled by the first of Signals, and
// a func that stops listening and tells which signal that was (nil if
// none came).
func notifyContext(parent context.Context) (context.Context, func() os.Signal) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make([]os.Signal, 0, len(Signals))
	for s := range Signals {
		sigs = append(sigs, s)
	}
	return ctx, OnSignal(cancel, sigs...)
}

// OnSignal calls f on the first of sigs to arrive (the headless commands
// cancel their work, the app quits as q does). The returned func stops
// listening and tells which signal came, nil if none did; once it
// returns, f has run or never will.
func OnSignal(f func(), sigs ...os.Signal) (stop func() os.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	var got os.Signal
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case got = <-ch:
			f()
		case <-done:
		}
	}()
	var once sync.Once
	return func() os.Signal {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			<-finished
		})
		return got
	}
}

// Usage is the overview printed by `basin help`.
const Usage = `basin: train a CNN on MNIST and walk around its loss landscape.

usage:
  basin                      open the terminal app
  basin train   [flags]      train a model and save a checkpoint
  basin eval    [flags]      evaluate a checkpoint on a seeded set of images
  basin scan1d  [flags]      loss along one random direction, f(α) = L(θ* + αδ)
  basin scan2d  [flags]      loss on a random plane, f(α,β) = L(θ* + αδ + βη)
  basin sharpness [flags]    basin width, curvature, ε-sharpness and the Hessian, with error bars
  basin interp A B [flags]   the loss on the straight line from A to B, train and test
  basin trajectory [flags]   a run's path on the PCA plane of its snapshots, over the loss there
  basin compare A B [flags]  two checkpoints on the same directions, images and grid
  basin experiment batch-size [flags]   train at a small and a large batch, then compare
  basin experiment skip [flags]         train resnet and resnet-noshort alike, then compare (Li et al. Fig. 5)
  basin experiment eos [flags]          full-batch gradient descent: λmax against 2/η
  basin merge PARTS --out F  join the parts of a scan split with --shard (Slurm, Kubernetes)
  basin deploy slurm|k8s     print the job files that run a sharded scan on a cluster
  basin serve   [flags]      serve the app over SSH (public keys only): ssh -p 2222 HOST
  basin plot FILE --out F    a figure (.png, .svg, .pdf) of a surface, comparison or sharpness track
  basin info    FILE         describe a checkpoint (.safetensors) or a surface (.npz)
  basin info    --preset P   print a preset's layers and parameter counts
  basin bench   [--quick]    measure the engine (img/s, points/s, GFLOP/s) on fixed workloads

Run 'basin COMMAND --help' for a command's flags.
`

// Commands maps command names to their functions.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"train":      runTrain,
	"eval":       runEval,
	"scan1d":     func(ctx context.Context, a []string, o, e io.Writer) error { return runScan(ctx, false, a, o, e) },
	"scan2d":     func(ctx context.Context, a []string, o, e io.Writer) error { return runScan(ctx, true, a, o, e) },
	"info":       runInfo,
	"bench":      runBench,
	"sharpness":  runSharpness,
	"compare":    runCompare,
	"interp":     runInterp,
	"merge":      runMerge,
	"deploy":     runDeploy,
	"plot":       runPlot,
	"trajectory": runTrajectory,
	"experiment": runExperiment,
}

// IsCommand reports whether name is a headless command.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "help"
}

// command runs a headless command and returns the exit status. Ctrl-C,
// SIGTERM or SIGHUP cancels the work; the command saves what it has.
func command(args []string, stdout, stderr io.Writer) int {
	if args[0] == "help" {
		fmt.Fprint(stdout, Usage)
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "basin: unknown command %q: run 'basin help' for the list\n", args[0])
		return ExitUsage
	}
	ctx, stop := notifyContext(context.Background())
	err := cmd(ctx, args[1:], stdout, stderr)
	sig := stop()
	switch {
	case err == nil && sig == nil:
		return ExitOK
	case isHelp(err):
		return ExitOK
	case sig != nil:
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "basin %s: %s\n", args[0], render.Clean(err.Error()))
		}
		fmt.Fprintf(stderr, "basin %s: stopped by %v\n", args[0], sig)
		return Signals[sig]
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "basin %s: interrupted\n", args[0])
		return ExitInterrupt
	case isUsage(err):
		fmt.Fprintf(stderr, "basin %s: %s\n", args[0], render.Clean(err.Error()))
		return ExitUsage
	}
	fmt.Fprintf(stderr, "basin %s: %s\n", args[0], render.Clean(err.Error()))
	return ExitFailure
}
