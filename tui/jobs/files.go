package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/basin-dev/basin/core/atomicfile"
	"github.com/basin-dev/basin/core/checkpoint"
	"github.com/basin-dev/basin/core/surface"
	"github.com/basin-dev/basin/core/train"
)

// Files is how the app reads the files a person picks (M, the watch
// view, a trajectory beside a checkpoint). Alone, it reads anywhere.
// Under basin serve it reads only inside the folders it was given (the
// run folders, the session's own scratch folder), through os.Root: a
// name with ".." or a symbolic link leading out of them is refused, so a
// link to a secret in the run folders cannot be read, nor leak bytes in
// an error message.
type Files struct {
	dirs []string

	mu    sync.Mutex
	roots map[string]*os.Root // opened on first use: a run folder may appear later
}

// Confined is an access that reads only inside dirs.
func Confined(dirs ...string) *Files {
	a := &Files{roots: map[string]*os.Root{}}
	for _, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil {
			a.dirs = append(a.dirs, abs)
		}
	}
	return a
}

// Read returns a regular file's bytes (at most limit).
func (a *Files) Read(path string, limit int64) ([]byte, error) {
	if a == nil {
		return atomicfile.ReadFile(path, limit)
	}
	root, rel, err := a.locate(path)
	if err != nil {
		return nil, err
	}
	b, err := atomicfile.ReadFileIn(root, rel, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, stripPath(err))
	}
	return b, nil
}

// stripPath keeps an os.Root error's reason, not its wording of the path.
func stripPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Allows reports whether read could open path (for lists: the pickers
// show only what a session may open).
func (a *Files) Allows(path string) bool {
	if a == nil {
		return true
	}
	root, rel, err := a.locate(path)
	if err != nil {
		return false
	}
	f, err := atomicfile.OpenIn(root, rel)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// Filter keeps the paths read could open (and the shipped models).
func (a *Files) Filter(paths []string) []string {
	if a == nil {
		return paths
	}
	var out []string
	for _, p := range paths {
		if checkpoint.IsPretrained(p) || a.Allows(p) {
			out = append(out, p)
		}
	}
	return out
}

// locate finds the folder path is in and its name there.
func (a *Files) locate(path string) (*os.Root, string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	for _, d := range a.dirs {
		rel, err := filepath.Rel(d, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		a.mu.Lock()
		root, ok := a.roots[d]
		if !ok {
			if root, err = os.OpenRoot(d); err == nil {
				a.roots[d] = root
			}
		}
		a.mu.Unlock()
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, stripPath(err))
		}
		return root, rel, nil
	}
	return nil, "", fmt.Errorf("%s is outside the run folders this session may read", path)
}

// Close releases the folders.
func (a *Files) Close() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.roots {
		r.Close()
	}
	a.roots = map[string]*os.Root{}
}

// Checkpoint reads a Checkpoint (pretrained:NAME is a shipped one).
func (a *Files) Checkpoint(path string) (*checkpoint.Checkpoint, error) {
	if checkpoint.IsPretrained(path) {
		return checkpoint.Open(path)
	}
	b, err := a.Read(path, checkpoint.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	return checkpoint.Parse(path, b)
}

// Trajectory reads the Trajectory beside ck, checked to be its own.
func (a *Files) Trajectory(ck *checkpoint.Checkpoint) ([]checkpoint.Snapshot, error) {
	path := checkpoint.TrajectoryPath(ck.Path)
	b, err := a.Read(path, checkpoint.MaxTrajectorySize)
	if err != nil {
		return nil, fmt.Errorf("read trajectory: %w", err)
	}
	return checkpoint.TrajectoryIn(ck, path, b)
}

// Surface reads a Surface file.
func (a *Files) Surface(path string) (*surface.Surface, error) {
	b, err := a.Read(path, surface.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read surface: %w", err)
	}
	s, err := surface.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("read surface %s: %w", path, err)
	}
	return s, nil
}

// Live reads a training's progress file.
func (a *Files) Live(path string) (*train.Live, error) {
	b, err := a.Read(path, train.MaxLiveSize)
	if err != nil {
		return nil, fmt.Errorf("read training progress: %w", err)
	}
	l, err := train.ParseLive(b)
	if err != nil {
		return nil, fmt.Errorf("read training progress %s: %w", path, err)
	}
	return l, nil
}

// Meta reads a checkpoint's metadata.
func (a *Files) Meta(path string) (map[string]string, error) {
	if a == nil {
		return checkpoint.ReadMeta(path)
	}
	ck, err := a.Checkpoint(path)
	if err != nil {
		return nil, err
	}
	return ck.Meta, nil
}
