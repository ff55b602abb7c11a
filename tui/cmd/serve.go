package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/basin-dev/basin/tui/app"
	"github.com/basin-dev/basin/tui/serve"
)

// serveSynopsis is basin serve's usage line.
const serveSynopsis = "basin serve --authorized-keys FILE [--listen 127.0.0.1:2222] [--host-key FILE] [--runs DIR] [--max-sessions 8] [--idle-timeout 30m] [--preset small]"

// parseServeFlags reads basin serve's flags; errors are one line.
func parseServeFlags(args []string, out io.Writer) (serve.Options, error) {
	fs := newFlags("serve", serveSynopsis, out)
	o := serve.Options{}
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:2222", "address to listen on (127.0.0.1: this machine only; 0.0.0.0:2222 for everyone who can reach it)")
	fs.StringVar(&o.AuthorizedKeys, "authorized-keys", "", "the public keys allowed in, one per line as in ~/.ssh/authorized_keys (required)")
	fs.StringVar(&o.HostKey, "host-key", "basin_host_ed25519", "the server's private key; created (ed25519, mode 600) if missing, kept for later starts")
	fs.StringVar(&o.RunsDir, "runs", "runs", "run folders viewers may open (M, o), read-only: what a session computes stays in its own temporary folder")
	fs.IntVar(&o.MaxSessions, "max-sessions", 8, "sessions at once; one more is told the server is full")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", 30*time.Minute, "close a session with no input or output this long (must be positive)")
	preset := fs.String("preset", "small", "the shipped model each session opens")
	dataDir := fs.String("data", "", "directory of an IDX data set (default: the embedded MNIST)")
	if err := parse(fs, args); err != nil {
		return o, err
	}
	opts, err := app.ParseFlags([]string{"--pretrained", "--preset", *preset, "--data", *dataDir}, io.Discard, os.Getenv)
	if err != nil {
		return o, err
	}
	o.App = opts
	return o, nil
}

// serveMain is basin serve: it returns the exit status.
func serveMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseServeFlags(args, stdout)
	if isHelp(err) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "basin serve: %v\n", err)
		return ExitUsage
	}
	s, err := serve.NewServer(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "basin serve: %v\n", err)
		return ExitUsage
	}
	ctx, stop := signalContext()
	defer stop()
	defer reserveUIProc()() // the sessions' screens keep a scheduler slot beside the scans
	if err := s.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "basin serve: %v\n", err)
		var input app.InputError
		if errors.As(err, &input) {
			return ExitUsage
		}
		return ExitFailure
	}
	return ExitOK
}
