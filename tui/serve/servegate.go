package serve

import (
	"log"
	"net"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
)

// preAuth bounds what strangers can hold before they log in: each
// connection has HandshakeTimeout to authenticate, and at most
// MaxUnauthenticated connections (MaxUnauthenticatedPerAddress from one
// address) may be authenticating at once; more are closed on arrival.
// (Without it, 1,100 idle TCP connections locked real users out.)
type preAuth struct {
	timeout          time.Duration
	maxAll, maxPerIP int
	log              *log.Logger

	mu       sync.Mutex
	pending  int
	perIP    map[string]int
	refused  int       // connections refused since the last log line
	lastSaid time.Time // when a refusal was last logged
}

func newPreAuth(o Options, logger *log.Logger) *preAuth {
	return &preAuth{timeout: o.HandshakeTimeout, maxAll: o.MaxUnauthenticated, maxPerIP: o.MaxUnauthenticatedPerAddress,
		log: logger, perIP: map[string]int{}}
}

// pendingConn is a connection that has not authenticated yet.
type pendingConn struct {
	net.Conn
	gate  *preAuth
	ip    string
	once  sync.Once
	timer *time.Timer
}

type pendingKey struct{}

// accept is the server's ConnCallback: it counts the connection as
// pending, or closes it (nil) when the limits are reached.
func (g *preAuth) accept(ctx ssh.Context, c net.Conn) net.Conn {
	ip := "?"
	if a := addrIP(c.RemoteAddr()); a != nil {
		ip = a.String()
	}
	g.mu.Lock()
	if g.pending >= g.maxAll || g.perIP[ip] >= g.maxPerIP {
		g.refused++
		if time.Since(g.lastSaid) > 10*time.Second {
			g.log.Printf("refused %d connections (the last from %s): %d are authenticating, %d of them from %s (limits %d in all and %d an address)",
				g.refused, ip, g.pending, g.perIP[ip], ip, g.maxAll, g.maxPerIP)
			g.refused, g.lastSaid = 0, time.Now()
		}
		g.mu.Unlock()
		return nil
	}
	g.pending++
	g.perIP[ip]++
	g.mu.Unlock()
	p := &pendingConn{Conn: c, gate: g, ip: ip}
	p.timer = time.AfterFunc(g.timeout, func() {
		g.log.Printf("closed a connection from %s: not authenticated within %s", ip, g.timeout)
		c.Close()
	})
	ctx.SetValue(pendingKey{}, p)
	return p
}

// authenticated is called once a connection has logged in: it no longer
// counts against the limits, and its handshake timer stops.
func (g *preAuth) authenticated(ctx ssh.Context) {
	if p, ok := ctx.Value(pendingKey{}).(*pendingConn); ok {
		p.timer.Stop()
		p.release()
	}
}

// release takes the connection off the pending count, once.
func (p *pendingConn) release() {
	p.once.Do(func() {
		g := p.gate
		g.mu.Lock()
		defer g.mu.Unlock()
		g.pending--
		if g.perIP[p.ip]--; g.perIP[p.ip] <= 0 {
			delete(g.perIP, p.ip)
		}
	})
}

func (p *pendingConn) Close() error {
	p.timer.Stop()
	p.release()
	return p.Conn.Close()
}
