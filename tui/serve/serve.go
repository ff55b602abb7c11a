package serve

import (
	"cmp"
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

	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/data"
	"github.com/basin-dev/basin/tui/app"
	"github.com/basin-dev/basin/tui/render"
)

// Options are basin serve's settings.
type Options struct {
	Listen         string        // host:port, 127.0.0.1 unless told otherwise
	AuthorizedKeys string        // the only keys let in (re-read when it changes)
	HostKey        string        // created (ed25519, owner-only) on first start
	RunsDir        string        // the run folders viewers may open (read-only)
	MaxSessions    int           // more are told the server is full
	IdleTimeout    time.Duration // a session with no traffic this long is closed
	App            app.Options   // what each session opens (the shipped model of the preset)

	// Before authentication: a connection that has not logged in within
	// HandshakeTimeout is closed, and at most MaxUnauthenticated of them
	// (MaxUnauthenticatedPerAddress from one address) are kept at once.
	// Zero values take the defaults below.
	HandshakeTimeout             time.Duration
	MaxUnauthenticated           int
	MaxUnauthenticatedPerAddress int
}

// Defaults of the limits before authentication, and the largest terminal
// a session draws (a 5000x5000 pty asked for 4.3 GB).
const (
	DefaultHandshakeTimeout             = 20 * time.Second
	DefaultMaxUnauthenticated           = 64
	DefaultMaxUnauthenticatedPerAddress = 8
	MaxTermWidth, MaxTermHeight         = 500, 200
)

// Server serves the app over SSH: every session gets its own app, with the
// colours its terminal says it has, on data loaded once for all.
type Server struct {
	opts     Options
	keys     *keyring
	src      *data.Source
	srv      *ssh.Server
	active   atomic.Int64
	log      *log.Logger
	sessions sync.WaitGroup
	shared   *app.Shared
	gate     *preAuth
}

// NewServer checks the options, reads the authorized keys, creates the
// host key if it is missing and loads the data the sessions share.
func NewServer(o Options, logTo io.Writer) (*Server, error) {
	if o.AuthorizedKeys == "" {
		return nil, app.InputError{Err: errors.New("--authorized-keys is required: the file of public keys allowed in (like ~/.ssh/authorized_keys); basin serve has no passwords")}
	}
	logger := log.New(logTo, "basin serve: ", log.LstdFlags)
	keys, err := newKeyring(o.AuthorizedKeys, logger)
	if err != nil {
		return nil, app.InputError{Err: err}
	}
	if o.MaxSessions < 1 {
		return nil, app.InputError{Err: fmt.Errorf("--max-sessions %d: use 1 or more", o.MaxSessions)}
	}
	if o.IdleTimeout <= 0 {
		return nil, app.InputError{Err: fmt.Errorf("--idle-timeout %s: use a positive duration, like 30m (a session with no traffic that long is closed)", o.IdleTimeout)}
	}
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return nil, app.InputError{Err: fmt.Errorf("--listen %q: want host:port, like 127.0.0.1:2222", o.Listen)}
	}
	o.HandshakeTimeout = cmp.Or(o.HandshakeTimeout, DefaultHandshakeTimeout)
	o.MaxUnauthenticated = cmp.Or(o.MaxUnauthenticated, DefaultMaxUnauthenticated)
	o.MaxUnauthenticatedPerAddress = cmp.Or(o.MaxUnauthenticatedPerAddress, DefaultMaxUnauthenticatedPerAddress)
	src, err := data.Load(o.App.Data)
	if err != nil {
		return nil, app.InputError{Err: fmt.Errorf("--data: %w", err)}
	}
	s := &Server{opts: o, keys: keys, src: src, log: logger, shared: app.NewShared()}
	s.gate = newPreAuth(o, logger)
	srv, err := wish.NewServer(
		wish.WithAddress(o.Listen),
		wish.WithHostKeyPath(o.HostKey),
		wish.WithPublicKeyAuth(s.allowed),
		wish.WithIdleTimeout(o.IdleTimeout),
		wish.WithMiddleware(s.session),
	)
	if err != nil {
		return nil, app.InputError{Err: fmt.Errorf("--host-key %s: %w", o.HostKey, err)}
	}
	srv.ConnCallback = s.gate.accept
	srv.ServerConfigCallback = func(ctx ssh.Context) *gossh.ServerConfig {
		return &gossh.ServerConfig{MaxAuthTries: 6, AuthLogCallback: func(_ gossh.ConnMetadata, _ string, err error) {
			if err == nil {
				s.gate.authenticated(ctx)
			}
		}}
	}
	if err := os.Chmod(o.HostKey, 0o600); err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	s.srv = srv
	return s, nil
}

// allowed is the public-key check: a key of the file (as it is now) whose
// options admit the client's address at this moment. A refusal is
// logged with its reason.
func (s *Server) allowed(ctx ssh.Context, key ssh.PublicKey) bool {
	ip := addrIP(ctx.RemoteAddr())
	ok, why := s.keys.admits(key, ip, time.Now())
	if !ok {
		s.log.Printf("refused key %s (user %q) from %s: %s", gossh.FingerprintSHA256(key), render.Clean(ctx.User()), ctx.RemoteAddr(), why)
	}
	return ok
}

// addrIP is the IP of a connection's address (nil if it has none).
func addrIP(a net.Addr) net.IP {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP
	}
	host, _, _ := net.SplitHostPort(a.String())
	return net.ParseIP(host)
}

// Serve accepts sessions until ctx is done, then closes them all and
// waits for their apps to stop.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return app.InputError{Err: fmt.Errorf("--listen: %w", err)}
	}
	return s.ServeOn(ctx, ln)
}

// ShutdownWait bounds how long Serve waits for the sessions' apps to stop
// once it is told to end.
const ShutdownWait = 10 * time.Second

// ServeOn is Serve on a listener of the caller's (tests listen on port 0).
func (s *Server) ServeOn(ctx context.Context, ln net.Listener) error {
	s.log.Printf("listening on %s (%d authorized keys, at most %d sessions, idle timeout %s)", ln.Addr(), s.keys.count(), s.opts.MaxSessions, s.opts.IdleTimeout)
	if ip := addrIP(ln.Addr()); ip == nil || !ip.IsLoopback() {
		s.log.Printf("warning: %s is reachable from other machines; only the keys in %s get in, from the addresses their from= allows", ln.Addr(), s.opts.AuthorizedKeys)
	}
	go func() {
		<-ctx.Done()
		s.srv.Close()
	}()
	err := s.srv.Serve(ln)
	ended := make(chan struct{})
	go func() { s.sessions.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(ShutdownWait):
		s.log.Printf("%d sessions had not stopped %s after the server closed; leaving them", s.active.Load(), ShutdownWait)
	}
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
		if !s.keys.mayOpenTerminal(sess.PublicKey(), addrIP(sess.RemoteAddr()), time.Now()) {
			fmt.Fprint(sess, "basin: this key may not open a terminal (no-pty or restrict in the authorized keys), and the app needs one\r\n")
			s.log.Printf("refused %s from %s: no-pty", who, sess.RemoteAddr())
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
	o.Source, o.Profile, o.AutoColor = s.src, profileOf(sess), false
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
	m := app.New(o, ck, s.src, sess)
	defer m.Serve(s.shared, s.opts.RunsDir, scratch)() // no link leads a session out of these folders
	defer m.Shutdown()                                 // before the folders are released
	p := tea.NewProgram(m, tea.WithInput(sess), tea.WithOutput(sess), tea.WithAltScreen(), tea.WithoutSignalHandler(),
		tea.WithContext(sess.Context()), tea.WithFPS(app.FPS))
	go forwardSizes(sess.Context(), pty.Window, winCh, p.Send)
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// forwardSizes sends the app the client's terminal size, clamped to
// MaxTermWidth x MaxTermHeight, first the pty's and then each change.
// Changes are coalesced: the channel is read at once, whatever the app is
// doing, and only the newest size waiting is sent. (Sending each one in
// turn blocked the SSH connection behind a busy app: a burst of window
// changes wedged the session for good.)
func forwardSizes(ctx context.Context, first ssh.Window, winCh <-chan ssh.Window, send func(tea.Msg)) {
	var mu sync.Mutex
	latest := first
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case w, ok := <-winCh:
				if !ok {
					return
				}
				mu.Lock()
				latest = w
				mu.Unlock()
				select {
				case wake <- struct{}{}:
				default: // a send is due already; it will take this size
				}
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			mu.Lock()
			w := latest
			mu.Unlock()
			send(tea.WindowSizeMsg{Width: min(max(w.Width, 1), MaxTermWidth), Height: min(max(w.Height, 1), MaxTermHeight)})
		}
	}
}
