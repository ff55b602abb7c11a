package cmd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pubKey makes an ed25519 key pair with ssh-keygen and returns its public
// key's authorized_keys line.
func pubKey(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "k")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "k", "-f", path).CombinedOutput(); err != nil {
		t.Skipf("ssh-keygen: %v %s", err, out)
	}
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func serveRun(args ...string) (code int, stderr string) {
	var out, errb bytes.Buffer
	code = Main(append([]string{"serve"}, args...), &out, &errb)
	return code, errb.String()
}

// basin serve refuses to start without keys, or with settings it cannot
// use, in one line each.
func TestServeBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nobody\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--authorized-keys is required"},
		{[]string{"--authorized-keys", filepath.Join(dir, "none")}, "--authorized-keys"},
		{[]string{"--authorized-keys", empty}, "no public keys"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"--preset", "huge", "--authorized-keys", empty}, "preset"},
	} {
		var out, errb bytes.Buffer
		code := serveMain(c.args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), c.want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q", c.args, code, errb.String())
		}
	}
}

// Options basin serve cannot honour stop it from starting, naming the
// line.
func TestServeKeyOptionsRefused(t *testing.T) {
	dir := t.TempDir()
	pub := pubKey(t, dir)
	for opts, want := range map[string]string{
		`command="/bin/sh"`:             "option command=",
		`environment="A=B"`:             "option environment=",
		`cert-authority`:                "option cert-authority",
		`from="*.example.com"`:          "host name",
		`expiry-time="tomorrow"`:        "expiry-time",
		`no-port-forwarding,tunnel="1"`: "option tunnel=",
	} {
		path := filepath.Join(dir, "keys")
		os.WriteFile(path, []byte("# first line\n"+opts+" "+pub+"\n"), 0o600)
		code, stderr := serveRun("--authorized-keys", path, "--host-key", filepath.Join(dir, "host"))
		if code != ExitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "line 2") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, %q", opts, code, stderr)
		}
	}
}

// --idle-timeout must be positive.
func TestServeRefusesNoIdleTimeout(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	os.WriteFile(keys, []byte(pubKey(t, dir)+"\n"), 0o600)
	for _, v := range []string{"0", "-5m"} {
		code, stderr := serveRun("--authorized-keys", keys, "--host-key", filepath.Join(dir, "host"), "--idle-timeout", v)
		if code != ExitUsage || !strings.Contains(stderr, "--idle-timeout") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("--idle-timeout %s: exit %d, %q", v, code, stderr)
		}
	}
}
