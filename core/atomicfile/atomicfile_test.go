package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.bin")
	for _, s := range []string{"first", "second"} {
		if err := WriteFile(p, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Fatalf("read %q, want %q", b, s)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "ok.npz")); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the check left files: %v", entries)
	}
	err := CheckWritable(filepath.Join(dir, "missing", "s.npz"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing directory: %v", err)
	}
	if err := CheckWritable(dir); err == nil {
		t.Fatal("a directory was accepted as a file")
	}
	if os.Getuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := CheckWritable(filepath.Join(ro, "s.npz")); err == nil {
			t.Fatal("a read-only directory was accepted")
		}
	}
}

// A FIFO where a file is expected used to hang the reader forever (open
// waits for a writer); it must be refused at once.
func TestReadFileRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ReadFile(p, 1<<20)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "FIFO") {
			t.Fatalf("err = %v, want a not-a-regular-file error naming the FIFO", err)
		}
	case <-time.After(5 * time.Second):
		os.WriteFile(p, nil, 0) // unblock the reader before failing
		t.Fatal("ReadFile waited on a FIFO")
	}
	if _, err := (DirFS(filepath.Dir(p))).Open("fifo"); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("DirFS opened a FIFO: %v", err)
	}
}

// WriteFile used to rename its temporary file over whatever was at the
// path: a FIFO (or /dev/null) became a regular file and a symbolic link
// was replaced instead of its target.
func TestWriteFileKeepsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.bin")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.bin")
	if err := os.Symlink("real.bin", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symbolic link was replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatalf("the link's target holds %q, want new", b)
	}
	if err := WriteFile(filepath.Join(dir, "dangling"), nil); err != nil {
		t.Fatal(err)
	}
	os.Symlink("nowhere/x", filepath.Join(dir, "broken"))
	if err := WriteFile(filepath.Join(dir, "broken"), []byte("x")); err == nil {
		t.Fatal("a link leading nowhere was written")
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	if err := WriteFile(fifo, []byte("x")); err == nil || !strings.Contains(err.Error(), "no reader") {
		t.Fatalf("a FIFO with no reader: err = %v", err)
	}
	if err := CheckWritable(fifo); err == nil {
		t.Fatal("CheckWritable accepted a FIFO with no reader")
	}
	got := make(chan []byte, 1)
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A writer held open from the start: without one the reader may see
	// end of file before WriteFile opens the FIFO (the test's race, not
	// WriteFile's).
	hold, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() { b, _ := io.ReadAll(r); got <- b }()
	err = WriteFile(fifo, []byte("through"))
	hold.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO became %v", st.Mode())
	}
	select {
	case b := <-got:
		if string(b) != "through" {
			t.Fatalf("the FIFO's reader got %q", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the FIFO's reader")
	}
}

func TestReadFileInStaysInside(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("secret"), 0o600)
	runs := t.TempDir()
	os.WriteFile(filepath.Join(runs, "ok"), []byte("ok"), 0o644)
	os.Symlink(outside, filepath.Join(runs, "leak"))
	root, err := os.OpenRoot(runs)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if b, err := ReadFileIn(root, "ok", 10); err != nil || string(b) != "ok" {
		t.Fatalf("ok: %q %v", b, err)
	}
	for _, name := range []string{"leak", "../secret"} {
		if b, err := ReadFileIn(root, name, 10); err == nil {
			t.Fatalf("%s read %q from outside the root", name, b)
		}
	}
}
