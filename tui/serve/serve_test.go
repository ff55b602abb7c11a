package serve

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basin-dev/basin/tui/app"
	gossh "golang.org/x/crypto/ssh"
)

// testServer starts basin serve on a free port with one authorized key
// (its private key also written as a file, for OpenSSH) and returns its
// address, the key's signer, the private key file and the server.
func testServer(t *testing.T, maxSessions int) (addr string, signer gossh.Signer, keyPath string, srv *Server) {
	t.Helper()
	addr, signer, keyPath, srv, _ = testServerWith(t, func(o *Options) { o.MaxSessions = maxSessions }, "")
	return addr, signer, keyPath, srv
}

// testServerWith is testServer with options of the test's, and the key's
// authorized_keys line prefixed with options (like from="127.0.0.1").
// It returns the server's log too.
func testServerWith(t *testing.T, tweak func(*Options), keyOptions string) (addr string, signer gossh.Signer, keyPath string, srv *Server, logs *lockedBuffer) {
	t.Helper()
	dir := t.TempDir()
	keyPath = newKey(t, dir, "viewer")
	pemBytes, _ := os.ReadFile(keyPath)
	signer, err := gossh.ParsePrivateKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	line := gossh.MarshalAuthorizedKey(signer.PublicKey())
	if keyOptions != "" {
		line = append([]byte(keyOptions+" "), line...)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), line, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := app.ParseFlags([]string{"--pretrained", "--grid", "5", "--points", "7", "--samples", "16"}, io.Discard, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Listen: "127.0.0.1:0", AuthorizedKeys: filepath.Join(dir, "authorized_keys"),
		HostKey: filepath.Join(dir, "host_ed25519"), RunsDir: filepath.Join(dir, "runs"), MaxSessions: 8,
		IdleTimeout: time.Minute, App: opts}
	if tweak != nil {
		tweak(&o)
	}
	logs = &lockedBuffer{}
	srv, err = NewServer(o, logs)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "host_ed25519")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("host key: %v %v", err, st)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.ServeOn(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), signer, keyPath, srv, logs
}

// newKey makes an ed25519 key pair with ssh-keygen (the format OpenSSH
// reads) and returns the private key's file.
func newKey(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
		t.Skipf("ssh-keygen: %v %s", err, out)
	}
	return path
}

// session opens an app session with a 100x30 terminal and returns what
// it has drawn once want appears (or after 20 s).
func session(t *testing.T, addr string, signer gossh.Signer, want string) (*gossh.Client, string) {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "viewer", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	s.Stdout = out
	if err := s.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(out.String(), want) {
		time.Sleep(50 * time.Millisecond)
	}
	return c, out.String()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A known key gets the app; a session over the cap is told the server is
// full; dropped connections end their sessions and leave no goroutine.
func TestServeSessions(t *testing.T) {
	addr, signer, _, srv := testServer(t, 2)
	base := runtime.NumGoroutine()
	a, out := session(t, addr, signer, "2D scan")
	if !strings.Contains(out, "2D scan") || !strings.Contains(out, "38;5;") { // the client's 256 colours (an SGR of the 256-colour palette)
		t.Fatalf("no app in the session (%d bytes): %q", len(out), out[:min(300, len(out))])
	}
	b, _ := session(t, addr, signer, "2D scan")
	full, out := session(t, addr, signer, "full")
	if !strings.Contains(out, "the server is full (2 sessions)") {
		t.Fatalf("third session: %q", out)
	}
	full.Close()
	a.Close() // dropped, not quit
	b.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (srv.active.Load() != 0 || runtime.NumGoroutine() > base+2) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := srv.active.Load(); n != 0 || runtime.NumGoroutine() > base+2 {
		buf := make([]byte, 1<<16)
		t.Fatalf("after the drops: %d sessions, %d goroutines (before: %d)\n%s", n, runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
	}
}

// The real OpenSSH client: a stranger's key is refused; the authorized key
// gets the app, in a terminal of the size the client's terminal has
// (script(1) gives ssh a 100x30 terminal).
func TestServeWithOpenSSH(t *testing.T) {
	for _, tool := range []string{"ssh", "script", "stty"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on this machine", tool)
		}
	}
	addr, _, key, _ := testServer(t, 8)
	host, port, _ := net.SplitHostPort(addr)
	stranger := newKey(t, filepath.Dir(key), "stranger")
	opts := "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes -p " + port
	out, err := exec.Command("sh", "-c", "ssh "+opts+" -o BatchMode=yes -i "+stranger+" -T "+host+" </dev/null").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Permission denied (publickey)") {
		t.Fatalf("a stranger's key: %v %s", err, out)
	}
	cmd := exec.Command("script", "-qec", "stty cols 100 rows 30; ssh "+opts+" -tt -i "+key+" "+host, "/dev/null")
	in, _ := cmd.StdinPipe()
	var buf lockedBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(buf.String(), "2D scan") {
		time.Sleep(50 * time.Millisecond)
	}
	in.Write([]byte("q"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("q did not end the ssh session")
	}
	if got := buf.String(); !strings.Contains(got, "2D scan") || !strings.Contains(got, "1 training") {
		t.Fatalf("OpenSSH session: %q", got[:min(400, len(got))])
	}
}
