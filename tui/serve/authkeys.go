package serve

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/basin-dev/basin/core/atomicfile"
)

// authorizedKey is one line of an authorized_keys file with the options
// basin serve honours: from= (the addresses the key may come from),
// expiry-time= and no-pty (restrict implies it unless pty follows).
type authorizedKey struct {
	key     gossh.PublicKey
	line    int
	from    []addrPattern // nil: from anywhere
	expires time.Time     // zero: never
	noPty   bool
}

// addrPattern is one pattern of a from= list: an address with * and ?
// wildcards, or a CIDR block; ! negates it.
type addrPattern struct {
	negate bool
	glob   string
	cidr   *net.IPNet
}

// Options basin serve accepts without doing anything: it never forwards
// ports, agents or X11 and runs no rc file, so forbidding them is already
// true and permitting them grants nothing.
var harmlessOptions = map[string]bool{
	"no-port-forwarding": true, "no-agent-forwarding": true, "no-x11-forwarding": true, "no-user-rc": true,
	"port-forwarding": true, "agent-forwarding": true, "x11-forwarding": true, "user-rc": true,
	"permitopen": true, "permitlisten": true,
}

// addressPattern is what a from= pattern may hold: basin serve matches
// client addresses, never host names (it does no DNS).
var addressPattern = regexp.MustCompile(`^[0-9a-fA-F.:*?]+$`)

// parseAuthorizedKeys reads an authorized_keys file: one key a line, with
// OpenSSH's options. An option basin serve cannot honour (command=,
// environment=, cert-authority, a host name in from=, …) is an error
// naming its line: starting anyway would let that key in more widely
// than the file says.
func parseAuthorizedKeys(b []byte, name string) ([]authorizedKey, error) {
	var keys []authorizedKey
	for rest := b; len(bytes.TrimSpace(rest)) > 0; {
		k, _, opts, next, err := gossh.ParseAuthorizedKey(rest)
		if err != nil {
			break // no key in what is left (comments, blank lines)
		}
		line := bytes.Count(b[:len(b)-len(next)], []byte("\n"))
		if len(next) == 0 && !bytes.HasSuffix(b, []byte("\n")) {
			line++
		}
		rest = next
		ak := authorizedKey{key: k, line: line}
		restrict, pty := false, false
		for _, o := range opts {
			opt, val, hasVal := strings.Cut(o, "=")
			val = strings.Trim(val, `"`)
			switch opt = strings.ToLower(opt); {
			case opt == "from" && hasVal:
				if ak.from, err = parseFrom(val); err != nil {
					return nil, fmt.Errorf("%s line %d: from=%q: %w", name, line, val, err)
				}
			case opt == "expiry-time" && hasVal:
				if ak.expires, err = parseExpiry(val); err != nil {
					return nil, fmt.Errorf("%s line %d: expiry-time=%q: %w", name, line, val, err)
				}
			case opt == "no-pty" && !hasVal:
				ak.noPty = true
			case opt == "restrict" && !hasVal:
				restrict = true
			case opt == "pty" && !hasVal:
				pty = true
			case harmlessOptions[opt]:
			default:
				if hasVal {
					opt += "="
				}
				return nil, fmt.Errorf("%s line %d: option %s cannot be honoured by basin serve (it honours from=, expiry-time=, restrict, no-pty and pty, and runs only the app): remove it, or keep that key out of this file", name, line, opt)
			}
		}
		if restrict && !pty {
			ak.noPty = true
		}
		keys = append(keys, ak)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no public keys in it", name)
	}
	return keys, nil
}

// parseFrom reads a from= pattern list.
func parseFrom(list string) ([]addrPattern, error) {
	var out []addrPattern
	for _, p := range strings.Split(list, ",") {
		var ap addrPattern
		if p, ap.negate = strings.CutPrefix(p, "!"); p == "" {
			return nil, errors.New("an empty pattern")
		}
		if _, cidr, err := net.ParseCIDR(p); err == nil {
			ap.cidr = cidr
		} else if addressPattern.MatchString(p) {
			ap.glob = p
		} else {
			return nil, fmt.Errorf("%q is a host name: basin serve matches addresses only (it does no DNS); use an address, a wildcard like 10.0.0.* or a CIDR block like 10.0.0.0/24", p)
		}
		out = append(out, ap)
	}
	return out, nil
}

// parseExpiry reads YYYYMMDD[HHMM[SS]], in local time unless it ends in
// Z (UTC), as OpenSSH does.
func parseExpiry(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(v) == len(layout) {
			if t, err := time.ParseInLocation(layout, v, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, errors.New("want YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS (Z for UTC)")
}

// admits reports whether the key may log in from ip at now, and if not,
// why.
func (k authorizedKey) admits(ip net.IP, now time.Time) (bool, string) {
	if !k.expires.IsZero() && !now.Before(k.expires) {
		return false, fmt.Sprintf("its expiry-time %s has passed (line %d)", k.expires.Format(time.RFC3339), k.line)
	}
	if k.from != nil && !matchFrom(k.from, ip) {
		return false, fmt.Sprintf("from= does not admit %s (line %d)", ip, k.line)
	}
	return true, ""
}

// matchFrom is OpenSSH's rule for a pattern list: a negated pattern that
// matches refuses, else any positive pattern that matches admits.
func matchFrom(list []addrPattern, ip net.IP) bool {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	matched := false
	for _, p := range list {
		m := false
		if p.cidr != nil {
			m = p.cidr.Contains(ip)
		} else {
			m, _ = path.Match(p.glob, ip.String())
		}
		if m && p.negate {
			return false
		}
		matched = matched || m
	}
	return matched
}

// readAuthorizedKeys reads and parses an authorized_keys file.
func readAuthorizedKeys(name string) ([]authorizedKey, error) {
	b, err := atomicfile.ReadFile(name, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("--authorized-keys: %w", err)
	}
	keys, err := parseAuthorizedKeys(b, "--authorized-keys "+name)
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// keyring is the authorized keys of a running server, re-read when the
// file changes (checked at each login). A file that no longer reads or
// parses admits nobody until it is mended: keeping the old keys would
// keep a key its owner just removed.
type keyring struct {
	path    string
	log     *log.Logger
	mu      sync.Mutex
	keys    []authorizedKey
	version atomicfile.Version
	err     error
}

// versionOf is the version of the file at path (atomicfile.Version).
func versionOf(path string) (atomicfile.Version, error) {
	st, err := os.Stat(path)
	if err != nil {
		return atomicfile.Version{}, err
	}
	return atomicfile.VersionOf(st), nil
}

func newKeyring(path string, logger *log.Logger) (*keyring, error) {
	version, _ := versionOf(path)
	keys, err := readAuthorizedKeys(path)
	if err != nil {
		return nil, err
	}
	return &keyring{path: path, log: logger, keys: keys, version: version}, nil
}

// current returns the keys as the file holds them now.
func (r *keyring) current() ([]authorizedKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	version, err := versionOf(r.path)
	if err == nil && version == r.version {
		return r.keys, r.err
	}
	r.version = version
	if err == nil {
		r.keys, err = readAuthorizedKeys(r.path)
	}
	if err != nil {
		r.keys, r.err = nil, err
		r.log.Printf("the authorized keys cannot be used, so nobody is let in until they are mended: %v", err)
		return nil, err
	}
	r.err = nil
	r.log.Printf("re-read %s: %d keys", r.path, len(r.keys))
	return r.keys, nil
}

func (r *keyring) count() int {
	keys, _ := r.current()
	return len(keys)
}

// admits reports whether key may log in from ip at now, and if not why.
func (r *keyring) admits(key gossh.PublicKey, ip net.IP, now time.Time) (bool, string) {
	keys, err := r.current()
	if err != nil {
		return false, "the authorized keys file is unusable"
	}
	why := "not in the authorized keys"
	for _, k := range keys {
		if !bytes.Equal(k.key.Marshal(), key.Marshal()) {
			continue
		}
		ok, reason := k.admits(ip, now)
		if ok {
			return true, ""
		}
		why = reason
	}
	return false, why
}

// mayOpenTerminal reports whether a line that admits key from ip allows
// a terminal (no no-pty, no restrict without pty).
func (r *keyring) mayOpenTerminal(key gossh.PublicKey, ip net.IP, now time.Time) bool {
	keys, _ := r.current()
	for _, k := range keys {
		if ok, _ := k.admits(ip, now); ok && !k.noPty && key != nil && bytes.Equal(k.key.Marshal(), key.Marshal()) {
			return true
		}
	}
	return false
}
