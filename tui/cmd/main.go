package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/term"

	"github.com/basin-dev/basin/core/scan"
	"github.com/basin-dev/basin/tui/app"
	"github.com/basin-dev/basin/tui/render"
)

// Main is basin: the terminal app with no command, basin serve, or a
// headless command. It returns the exit status. Main and what it calls
// in this package are the only code that reads the environment, installs
// signal handlers or changes process-wide settings (GOMAXPROCS, the
// memory limit); the packages below take what they need as arguments.
func Main(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && args[0] == "serve":
		return serveMain(args[1:], stdout, stderr)
	case len(args) > 0 && IsCommand(args[0]):
		return command(args, stdout, stderr)
	case len(args) > 0 && (args[0] == "--help" || args[0] == "-help" || args[0] == "-h"):
		fmt.Fprint(stdout, Usage, "\nThe terminal app's ")
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		fmt.Fprintf(stderr, "basin: unknown command %q: run 'basin help' for the list\n", render.Clean(args[0]))
		return ExitUsage
	}
	return appMain(args, stdout, stderr)
}

// appMain opens the terminal app. With stdout or stdin not a terminal it
// says so and points to the headless commands.
func appMain(args []string, stdout, stderr io.Writer) int {
	opts, err := app.ParseFlags(args, stdout, os.Getenv)
	if isHelp(err) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "basin: %v\n", err)
		return ExitUsage
	}
	if !term.IsTerminal(int(os.Stdout.Fd())) || !term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprintln(stderr, "basin: the terminal app needs a terminal; for scripts use the headless commands: basin train, eval, scan1d, scan2d (see basin help)")
		return ExitUsage
	}
	runDir, sig, err := runApp(opts)
	if err != nil {
		fmt.Fprintf(stderr, "basin: %s\n", render.Clean(err.Error()))
		var input app.InputError
		if errors.As(err, &input) {
			return ExitUsage
		}
		return ExitFailure
	}
	if runDir != "" {
		fmt.Fprintf(stdout, "run folder: %s\n", runDir)
	}
	if sig != nil {
		fmt.Fprintf(stderr, "basin: stopped by %v; work saved\n", sig)
		return Signals[sig]
	}
	return ExitOK
}

// runApp runs the app until q, SIGHUP or SIGTERM (both end it as q does,
// so the jobs save their files; Bubble Tea alone lets SIGHUP kill the
// process), and returns the run folder it wrote into and the signal that
// ended it, if one did.
func runApp(opts app.Options) (runDir string, sig os.Signal, err error) {
	m, err := app.Open(opts, os.Stdout)
	if err != nil {
		return "", nil, err
	}
	limitHeap(opts.Workers) // one scan runs at a time, each worker with its evaluator
	defer reserveUIProc()()
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithFPS(app.FPS))
	stop := quitOnSignals(p)
	_, err = p.Run()
	m.Shutdown()
	if sig = stop(); sig != nil {
		// The terminal may be gone: an error from drawing on it is not
		// the user's problem, the saved files are what matter.
		err = nil
	}
	return m.RunDir(), sig, err
}

// quitOnSignals quits the app on SIGHUP or SIGTERM as q would. The
// returned func stops listening and tells which signal came, if one did.
func quitOnSignals(p interface{ Quit() }) func() os.Signal {
	return OnSignal(p.Quit, syscall.SIGHUP, syscall.SIGTERM)
}

// reserveUIProc gives the screen a scheduler slot of its own: one P more
// than the cores, while the engine's workers stay at one per core (their
// counts were taken at start-up). Without it, a scan's workers hold every
// P and a key waits for preemption (BenchmarkKeyLatency). It returns a
// func that restores the setting.
func reserveUIProc() func() {
	before := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" || before != runtime.NumCPU() {
		return func() {} // the user chose
	}
	runtime.GOMAXPROCS(before + 1)
	return func() { runtime.GOMAXPROCS(before) }
}

// limitHeap sets the soft memory limit of a process running scans with
// that many evaluators (scan.HeapLimit), unless GOMEMLIMIT says otherwise.
func limitHeap(evaluators int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(scan.HeapLimit(evaluators))
	runtime.GC() // free now what the caller just let go (the full data set)
}

// signalContext is cancelled on SIGINT, SIGTERM or SIGHUP.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := OnSignal(cancel, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	return ctx, func() { stop(); cancel() }
}
