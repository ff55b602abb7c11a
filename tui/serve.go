package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	gossh "golang.org/x/crypto/ssh"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/tui/render"
)

// ServeOptions are basin serve's settings.
type ServeOptions struct {
	Listen         string        // host:port, 127.0.0.1 unless told otherwise
	AuthorizedKeys string        // the only keys let in
	HostKey        string        // created (ed25519, owner-only) on first start
	RunsDir        string        // the run folders viewers may open (read-only)
	MaxSessions    int           // more are told the server is full
	IdleTimeout    time.Duration // a session with no traffic this long is closed
	App            Options       // what each session opens (the shipped model of the preset)
}

// Server serves the app over SSH: every session gets its own app, with the
// colours its terminal says it has, on data loaded once for all.
type Server struct {
	opts     ServeOptions
	keys     []gossh.PublicKey
	src      *data.Source
	srv      *ssh.Server
	active   atomic.Int64
	log      *log.Logger
	sessions sync.WaitGroup
	hub      *scanHub
	slot     chan struct{}
}

// NewServer checks the options, reads the authorized keys, creates the
// host key if it is missing and loads the data the sessions share.
func NewServer(o ServeOptions, logTo io.Writer) (*Server, error) {
	if o.AuthorizedKeys == "" {
		return nil, InputError{errors.New("--authorized-keys is required: the file of public keys allowed in (like ~/.ssh/authorized_keys); basin serve has no passwords")}
	}
	keys, err := readAuthorizedKeys(o.AuthorizedKeys)
	if err != nil {
		return nil, InputError{err}
	}
	if o.MaxSessions < 1 {
		return nil, InputError{fmt.Errorf("--max-sessions %d: use 1 or more", o.MaxSessions)}
	}
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return nil, InputError{fmt.Errorf("--listen %q: want host:port, like 127.0.0.1:2222", o.Listen)}
	}
	src, err := data.Load(o.App.Data)
	if err != nil {
		return nil, InputError{fmt.Errorf("--data: %w", err)}
	}
	s := &Server{opts: o, keys: keys, src: src, log: log.New(logTo, "basin serve: ", log.LstdFlags), hub: newScanHub(), slot: make(chan struct{}, 1)}
	hostKey := wish.WithHostKeyPath(o.HostKey)
	srv, err := wish.NewServer(
		wish.WithAddress(o.Listen),
		hostKey,
		wish.WithPublicKeyAuth(s.allowed),
		wish.WithIdleTimeout(o.IdleTimeout),
		wish.WithMiddleware(s.session),
	)
	if err != nil {
		return nil, InputError{fmt.Errorf("--host-key %s: %w", o.HostKey, err)}
	}
	if err := os.Chmod(o.HostKey, 0o600); err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	s.srv = srv
	return s, nil
}

// readAuthorizedKeys parses an authorized_keys file (comments and blank
// lines allowed); none is an error.
func readAuthorizedKeys(path string) ([]gossh.PublicKey, error) {
	b, err := atomicfile.ReadFile(path, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("--authorized-keys: %w", err)
	}
	var keys []gossh.PublicKey
	for rest := b; len(rest) > 0; {
		k, _, _, next, err := gossh.ParseAuthorizedKey(rest)
		if err != nil {
			break
		}
		keys, rest = append(keys, k), next
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("--authorized-keys %s: no public keys in it", path)
	}
	return keys, nil
}

func (s *Server) allowed(_ ssh.Context, key ssh.PublicKey) bool {
	for _, k := range s.keys {
		if ssh.KeysEqual(k, key) {
			return true
		}
	}
	return false
}

// Serve accepts sessions until ctx is done, then closes them all and
// waits for their apps to stop.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return InputError{fmt.Errorf("--listen: %w", err)}
	}
	return s.ServeOn(ctx, ln)
}

// ServeOn is Serve on a listener of the caller's (tests listen on port 0).
func (s *Server) ServeOn(ctx context.Context, ln net.Listener) error {
	s.log.Printf("listening on %s (%d authorized keys, at most %d sessions, idle timeout %s)", ln.Addr(), len(s.keys), s.opts.MaxSessions, s.opts.IdleTimeout)
	go func() {
		<-ctx.Done()
		s.srv.Close()
	}()
	err := s.srv.Serve(ln)
	s.sessions.Wait()
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the server: its sessions end.
func (s *Server) Close() error { return s.srv.Close() }

// profileOf reads the colours a client's terminal has from what it sent:
// COLORTERM, then TERM; no terminal at all is no colour.
func profileOf(sess ssh.Session) render.Profile {
	env := map[string]string{}
	for _, kv := range sess.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if pty, _, ok := sess.Pty(); ok && env["TERM"] == "" {
		env["TERM"] = pty.Term
	}
	return render.DetectProfile(func(k string) string { return env[k] })
}

// session runs one viewer's app, from the connection's start to its end.
func (s *Server) session(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.sessions.Add(1)
		defer s.sessions.Done()
		who := gossh.FingerprintSHA256(sess.PublicKey())
		if n := s.active.Add(1); n > int64(s.opts.MaxSessions) {
			s.active.Add(-1)
			fmt.Fprintf(sess, "basin: the server is full (%d sessions); try again later\r\n", s.opts.MaxSessions)
			s.log.Printf("refused %s from %s: full", who, sess.RemoteAddr())
			sess.Exit(1)
			return
		}
		defer s.active.Add(-1)
		start := time.Now()
		s.log.Printf("session %s from %s started", who, sess.RemoteAddr())
		defer func() { s.log.Printf("session %s ended after %s", who, time.Since(start).Round(time.Second)) }()
		pty, winCh, ok := sess.Pty()
		if !ok {
			fmt.Fprint(sess, "basin: the app needs a terminal: connect with ssh -t\r\n")
			sess.Exit(1)
			return
		}
		if err := s.run(sess, pty, winCh); err != nil {
			s.log.Printf("session %s: %v", who, err)
		}
		next(sess)
	}
}

// run is one app on the session: its own engine and a private folder for
// what it writes, so the server's run folders stay read-only.
func (s *Server) run(sess ssh.Session, pty ssh.Pty, winCh <-chan ssh.Window) error {
	o := s.opts.App
	o.source, o.Profile, o.AutoColor = s.src, profileOf(sess), false
	o.ViewRuns = s.opts.RunsDir
	scratch, err := os.MkdirTemp("", "basin-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	o.RunsDir = scratch
	ck, err := checkpoint.Pretrained(o.Train.Arch.Preset)
	if err != nil {
		return err
	}
	m := newModel(o, ck, s.src, sess)
	m.eng.hub = s.hub   // the same scan asked for by two viewers is computed once
	m.eng.slot = s.slot // one scan computes at a time on the machine: the others' keys keep their cores
	defer m.eng.shutdown()
	p := tea.NewProgram(m, tea.WithInput(sess), tea.WithOutput(sess), tea.WithAltScreen(), tea.WithoutSignalHandler(),
		tea.WithContext(sess.Context()), tea.WithFPS(appFPS))
	go func() {
		p.Send(tea.WindowSizeMsg{Width: pty.Window.Width, Height: pty.Window.Height})
		for {
			select {
			case <-sess.Context().Done():
				return
			case w, ok := <-winCh:
				if !ok {
					return
				}
				p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
			}
		}
	}()
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// ServeSynopsis is basin serve's usage line.
const ServeSynopsis = "basin serve --authorized-keys FILE [--listen 127.0.0.1:2222] [--host-key FILE] [--runs DIR] [--max-sessions 8] [--idle-timeout 30m] [--preset small]"

// ParseServeFlags reads basin serve's flags; errors are one line.
func ParseServeFlags(args []string, out io.Writer) (ServeOptions, error) {
	fs := flagsNew("serve", ServeSynopsis, "Serves the app over SSH: ssh -p 2222 HOST opens basin, public keys only.", out)
	o := ServeOptions{}
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:2222", "address to listen on (127.0.0.1: this machine only; 0.0.0.0:2222 for everyone who can reach it)")
	fs.StringVar(&o.AuthorizedKeys, "authorized-keys", "", "the public keys allowed in, one per line as in ~/.ssh/authorized_keys (required)")
	fs.StringVar(&o.HostKey, "host-key", "basin_host_ed25519", "the server's private key; created (ed25519, mode 600) if missing, kept for later starts")
	fs.StringVar(&o.RunsDir, "runs", "runs", "run folders viewers may open (M, o), read-only: what a session computes stays in its own temporary folder")
	fs.IntVar(&o.MaxSessions, "max-sessions", 8, "sessions at once; one more is told the server is full")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", 30*time.Minute, "close a session with no input or output this long")
	preset := fs.String("preset", "small", "the shipped model each session opens")
	dataDir := fs.String("data", "", "directory of an IDX data set (default: the embedded MNIST)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	app, err := ParseFlags([]string{"--pretrained", "--preset", *preset, "--data", *dataDir}, io.Discard)
	if err != nil {
		return o, err
	}
	o.App = app
	return o, nil
}

// ServeMain is basin serve: it returns the exit status.
func ServeMain(args []string, stdout, stderr io.Writer) int {
	o, err := ParseServeFlags(args, stdout)
	if errors.Is(err, flagErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "basin serve: %v\n", err)
		return 2
	}
	s, err := NewServer(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "basin serve: %v\n", err)
		return 2
	}
	ctx, stop := signalContext()
	defer stop()
	defer reserveUIProc()() // the sessions' screens keep a scheduler slot beside the scans
	if err := s.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "basin serve: %v\n", err)
		var input InputError
		if errors.As(err, &input) {
			return 2
		}
		return 1
	}
	return 0
}
