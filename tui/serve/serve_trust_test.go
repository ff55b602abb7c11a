package serve

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// dialFrom logs in to addr with signer from the local address from (any
// of 127.0.0.0/8 on this machine), returning the client or the error.
func dialFrom(t *testing.T, from, addr string, signer gossh.Signer) (*gossh.Client, error) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	cfg := &gossh.ClientConfig{User: "viewer", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
	c, chans, reqs, err := gossh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return gossh.NewClient(c, chans, reqs), nil
}

// A key restricted by from= gets in from its address and is refused from
// another host's (before the fix: from anywhere); the refusal is logged.
func TestServeHonoursFrom(t *testing.T) {
	addr, signer, _, _, logs := testServerWith(t, nil, `from="127.0.0.1,!127.0.0.9"`)
	c, err := dialFrom(t, "127.0.0.1", addr, signer)
	if err != nil {
		t.Fatalf("from the allowed address: %v", err)
	}
	c.Close()
	for _, other := range []string{"127.0.0.2", "127.0.0.9"} {
		if c, err := dialFrom(t, other, addr, signer); err == nil {
			c.Close()
			t.Fatalf("%s got in with a key restricted to 127.0.0.1", other)
		}
	}
	if got := logs.String(); !strings.Contains(got, "refused key SHA256:") || !strings.Contains(got, "from= does not admit 127.0.0.2") {
		t.Fatalf("the refusal was not logged:\n%s", got)
	}
}

// A key past its expiry-time is refused; one in CIDR form admits its
// block.
func TestServeHonoursExpiryAndCIDR(t *testing.T) {
	addr, signer, _, _, logs := testServerWith(t, nil, `expiry-time="20200101"`)
	if c, err := dialFrom(t, "127.0.0.1", addr, signer); err == nil {
		c.Close()
		t.Fatal("an expired key got in")
	}
	if !strings.Contains(logs.String(), "expiry-time") {
		t.Fatalf("log: %s", logs.String())
	}
	addr, signer, _, _, _ = testServerWith(t, nil, `from="127.0.0.0/30",expiry-time="29991231Z"`)
	for _, from := range []string{"127.0.0.1", "127.0.0.3"} {
		c, err := dialFrom(t, from, addr, signer)
		if err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		c.Close()
	}
	if c, err := dialFrom(t, "127.0.0.4", addr, signer); err == nil {
		c.Close()
		t.Fatal("127.0.0.4 is outside 127.0.0.0/30")
	}
}

// no-pty and restrict keep the key out of the app; restrict,pty lets it
// in. (Options that stop the server: tui/cmd's TestServeKeyOptionsRefused.)
func TestServeKeyOptions(t *testing.T) {
	for _, opts := range []string{"no-pty", "restrict"} {
		addr, signer, _, _, _ := testServerWith(t, nil, opts)
		_, out := session(t, addr, signer, "may not open a terminal")
		if !strings.Contains(out, "may not open a terminal") || strings.Contains(out, "2D scan") {
			t.Errorf("%s: %q", opts, out)
		}
	}
	addr, signer, _, _, _ := testServerWith(t, nil, "restrict,pty")
	if _, out := session(t, addr, signer, "2D scan"); !strings.Contains(out, "2D scan") {
		t.Errorf("restrict,pty: %q", out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The keys file is re-read when it changes: a key removed from it is
// refused at its next login, a key added is let in.
func TestServeRereadsKeys(t *testing.T) {
	addr, signer, keyPath, srv, _ := testServerWith(t, nil, "")
	other, _ := gossh.ParsePrivateKey(mustRead(t, newKey(t, filepath.Dir(keyPath), "other")))
	if c, err := dialFrom(t, "127.0.0.1", addr, other); err == nil {
		c.Close()
		t.Fatal("a key not in the file got in")
	}
	time.Sleep(10 * time.Millisecond) // a new modification time
	if err := os.WriteFile(srv.opts.AuthorizedKeys, gossh.MarshalAuthorizedKey(other.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := dialFrom(t, "127.0.0.1", addr, signer); err == nil {
		c.Close()
		t.Fatal("the removed key still got in")
	}
	c, err := dialFrom(t, "127.0.0.1", addr, other)
	if err != nil {
		t.Fatalf("the added key: %v", err)
	}
	c.Close()
	os.WriteFile(srv.opts.AuthorizedKeys, []byte(`command="x" `+string(gossh.MarshalAuthorizedKey(other.PublicKey()))), 0o600)
	if c, err := dialFrom(t, "127.0.0.1", addr, other); err == nil {
		c.Close()
		t.Fatal("a keys file that no longer parses let a key in")
	}
}

// Connections that never log in are closed after the handshake timeout,
// and no more than the limits of them are held (1,100 idle TCP
// connections locked real users out).
func TestServeBoundsUnauthenticated(t *testing.T) {
	addr, signer, _, _, _ := testServerWith(t, func(o *Options) {
		o.HandshakeTimeout, o.MaxUnauthenticated, o.MaxUnauthenticatedPerAddress = 2*time.Second, 3, 2
	}, "")
	idle := func(from string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// closedWithin reads until the server closes c (the server's version
	// line may come first).
	closedWithin := func(c net.Conn, d time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(d))
		_, err := io.Copy(io.Discard, c)
		return err == nil // EOF: closed by the server, not the deadline
	}
	a, b := idle("127.0.0.1"), idle("127.0.0.1")
	defer a.Close()
	defer b.Close()
	time.Sleep(200 * time.Millisecond)
	third := idle("127.0.0.1")
	if !closedWithin(third, time.Second) {
		t.Fatal("a third idle connection from one address was kept")
	}
	c := idle("127.0.0.2")
	defer c.Close()
	time.Sleep(200 * time.Millisecond)
	if d := idle("127.0.0.3"); !closedWithin(d, time.Second) {
		t.Fatal("a fourth idle connection was kept over the limit of 3")
	}
	// A real user still gets in once the idle ones time out.
	if !closedWithin(a, 5*time.Second) {
		t.Fatal("an idle connection outlived the handshake timeout")
	}
	time.Sleep(200 * time.Millisecond)
	cl, err := dialFrom(t, "127.0.0.1", addr, signer)
	if err != nil {
		t.Fatalf("a real user after the idle ones: %v", err)
	}
	defer cl.Close()
	// A logged-in connection is not cut at the handshake timeout.
	time.Sleep(2500 * time.Millisecond)
	if _, _, err := cl.SendRequest("keepalive@openssh.com", true, nil); err != nil && err != io.EOF && !strings.Contains(err.Error(), "request failed") {
		t.Fatalf("the logged-in connection was closed: %v", err)
	}
}

// Window changes are coalesced and never wait for the app: 1,000 of them
// while the app is busy pass at once, and the app gets the newest size,
// clamped (a 5000x5000 pty took 4.3 GB).
func TestForwardSizesCoalesces(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	winCh := make(chan ssh.Window, 1) // as the SSH library makes it
	got := make(chan tea.WindowSizeMsg, 10)
	busy := make(chan struct{})
	send := func(m tea.Msg) {
		<-busy // the app is busy until the burst is over
		got <- m.(tea.WindowSizeMsg)
	}
	go forwardSizes(ctx, ssh.Window{Width: 80, Height: 24}, winCh, send)
	burst := make(chan struct{})
	go func() {
		for i := range 1000 {
			winCh <- ssh.Window{Width: 100 + i, Height: 30 + i}
		}
		winCh <- ssh.Window{Width: 5000, Height: 5000}
		close(burst)
	}()
	select {
	case <-burst:
	case <-time.After(5 * time.Second):
		t.Fatal("the window changes waited for the busy app")
	}
	close(busy)
	var last tea.WindowSizeMsg
	for deadline := time.After(5 * time.Second); last.Width != MaxTermWidth; {
		select {
		case last = <-got:
		case <-deadline:
			t.Fatalf("the newest size never arrived; last %+v", last)
		}
	}
	if last.Height != MaxTermHeight {
		t.Fatalf("5000x5000 became %dx%d, want %dx%d", last.Width, last.Height, MaxTermWidth, MaxTermHeight)
	}
}

// The same through a real session: a burst of window changes, then q
// still ends it.
func TestServeSurvivesWindowChangeBurst(t *testing.T) {
	addr, signer, _, _ := testServer(t, 8)
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "viewer", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	s.Stdout = out
	in, _ := s.StdinPipe()
	if err := s.RequestPty("xterm", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !strings.Contains(out.String(), "2D scan"); {
		time.Sleep(50 * time.Millisecond)
	}
	for i := range 1000 {
		if err := s.WindowChange(30+i%50, 100+i%100); err != nil {
			t.Fatal(err)
		}
	}
	s.WindowChange(5000, 5000)
	in.Write([]byte("q"))
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the session is wedged after the window changes")
	}
}

// addrListener is a listener that says it listens on addr.
type addrListener struct {
	net.Listener
	addr net.Addr
}

func (l addrListener) Addr() net.Addr { return l.addr }

// A server reachable beyond this machine says so in its log; one on
// loopback does not.
func TestServeWarnsBeyondLoopback(t *testing.T) {
	for _, c := range []struct {
		ip   string
		warn bool
	}{{"127.0.0.1", false}, {"0.0.0.0", true}, {"192.0.2.7", true}} {
		_, _, _, srv, logs := testServerWith(t, nil, "")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			srv.ServeOn(ctx, addrListener{ln, &net.TCPAddr{IP: net.ParseIP(c.ip), Port: 2222}})
			close(done)
		}()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !strings.Contains(logs.String(), c.ip+":2222"); {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		if got := strings.Contains(logs.String(), "warning: "+c.ip+":2222 is reachable from other machines"); got != c.warn {
			t.Errorf("%s: warning %v, want %v:\n%s", c.ip, got, c.warn, logs.String())
		}
	}
}

func FuzzAuthorizedKeys(f *testing.F) {
	f.Add([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGa3pXh0WUVpX3lOhFpvo1m3aQ6hUkhXCpVJYnlF7cdx k\n"))
	f.Add([]byte(`from="10.0.0.*,!10.0.0.9,192.168.0.0/16",expiry-time="20301231Z",restrict,pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGa3pXh0WUVpX3lOhFpvo1m3aQ6hUkhXCpVJYnlF7cdx k`))
	f.Add([]byte(`command="x" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGa3pXh0WUVpX3lOhFpvo1m3aQ6hUkhXCpVJYnlF7cdx`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseAuthorizedKeys(b, "keys")
		if err != nil {
			return
		}
		for _, k := range keys {
			k.admits(net.ParseIP("10.0.0.1"), time.Now())
			k.admits(net.ParseIP("::1"), time.Now())
		}
	})
}
