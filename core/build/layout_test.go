package build

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The engine stays an engine: nothing under core/ imports a front end
// (the app, the CLI, their flags) or a terminal UI library.
func TestCoreImportsNoFrontEnd(t *testing.T) {
	forbidden := []string{"github.com/basin-dev/basin/tui", "github.com/charmbracelet/", "github.com/NimbleMarkets/", "golang.org/x/term"}
	root := filepath.Join("..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		n++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if strings.HasPrefix(p, bad) {
					t.Errorf("%s imports %s: core must not depend on a front end", path, p)
				}
			}
		}
		return nil
	})
	if err != nil || n < 50 {
		t.Fatalf("read %d files under core: %v", n, err)
	}
}
