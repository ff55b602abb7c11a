// Package atomicfile writes files so that a reader (or a crash, Ctrl-C or
// full disk) never sees half of one: the bytes go to a temporary file in
// the same directory, are synced, and the temporary file is renamed over
// the destination. CheckWritable tells, before long work, whether that
// will succeed; Open and ReadFile read back only regular files, with a
// bound, so a hostile path (a FIFO, a device) cannot make a reader wait
// or run forever.
//
// A destination that is a symbolic link is written through: the link
// stays and its target is replaced atomically. A destination that is a
// device or a FIFO (--out /dev/null) is written into as it is, never
// replaced by a regular file.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// WriteFile atomically replaces path with data.
func WriteFile(path string, data []byte) (err error) {
	target, special, err := destination(path)
	if err != nil {
		return err
	}
	if special {
		return writeInto(target, data)
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, target); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// destination resolves where WriteFile puts path's bytes: the file a
// symbolic link points to (the link stays a link), and whether that is a
// device or FIFO to write into rather than replace. A directory, or a
// link that leads nowhere, is an error.
func destination(path string) (target string, special bool, err error) {
	lst, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("write %s: %w", path, err)
	}
	target = path
	if lst.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return "", false, fmt.Errorf("write %s: it is a symbolic link that leads nowhere (%v); remove it or name another file", path, err)
		}
	}
	st, err := os.Stat(target)
	if err != nil {
		return "", false, fmt.Errorf("write %s: %w", path, err)
	}
	switch {
	case st.IsDir():
		return "", false, fmt.Errorf("cannot write %s: it is a directory", path)
	case st.Mode().IsRegular():
		return target, false, nil
	}
	return target, true, nil
}

// openSpecial opens a device or FIFO for writing without waiting: a
// FIFO with no reader is an error at once.
func openSpecial(path, verb string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return nil, fmt.Errorf("%s %s: it is a pipe with no reader", verb, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, path, err)
	}
	return f, nil
}

// writeInto writes data into a device or FIFO as it is.
func writeInto(path string, data []byte) error {
	f, err := openSpecial(path, "write")
	if err != nil {
		return err
	}
	if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// CheckWritable reports whether WriteFile could write path, by creating
// and removing a temporary file beside it: commands call it before hours
// of work whose result would have nowhere to go. An existing directory
// at path is refused too; a device or FIFO is checked by opening it.
func CheckWritable(path string) error {
	target, special, err := destination(path)
	if err != nil {
		return err
	}
	if special {
		f, err := openSpecial(target, "cannot write")
		if err != nil {
			return err
		}
		return f.Close()
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".check-*")
	if err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("cannot write %s: the directory %s does not exist", path, dir)
		}
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// ErrNotRegular is wrapped by Open's error for anything not a regular
// file: a FIFO, a device, a socket, a directory.
var ErrNotRegular = errors.New("not a regular file")

// Open opens a regular file for reading. It opens without blocking (a
// FIFO with no writer would wait forever) and refuses anything that is
// not a regular file before a byte is read.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return checkRegular(f, path)
}

// OpenIn is Open inside root: a name that leads out of it, through ".."
// or a symbolic link, is refused (basin serve's sessions see only the
// run folders).
func OpenIn(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return checkRegular(f, name)
}

func checkRegular(f *os.File, path string) (*os.File, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind(st.Mode()))
	}
	if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// ReadFile reads a whole regular file of at most limit bytes, the
// readers' counterpart of WriteFile: a device (/dev/zero), a pipe or a
// file larger than anything basin writes is refused instead of read
// without end.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, path, limit)
}

// ReadFileIn is ReadFile of a name inside root (see OpenIn).
func ReadFileIn(root *os.Root, name string, limit int64) ([]byte, error) {
	f, err := OpenIn(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, name, limit)
}

func readAll(f *os.File, path string, limit int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is %d MB, more than the %d MB expected", path, st.Size()>>20, limit>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s grew past %d MB while being read", path, limit>>20)
	}
	return b, nil
}

// DirFS is os.DirFS whose files open as Open does: only regular files,
// never a wait on a FIFO.
type DirFS string

// Open implements fs.FS.
func (d DirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return Open(filepath.Join(string(d), filepath.FromSlash(name)))
}

// Version tells one version of a file from the next: its size, time and
// inode. WriteFile makes a new inode each time, so a rewrite is told even
// within one tick of the file system's clock.
type Version struct {
	size int64
	mod  time.Time
	ino  uint64
}

// VersionOf is the version of the file st describes.
func VersionOf(st fs.FileInfo) Version {
	v := Version{size: st.Size(), mod: st.ModTime()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		v.ino = sys.Ino
	}
	return v
}
