package cmd

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The rooms of tui/ and who may enter which: imports run one way,
//
//	cmd → serve → app → jobs → core
//
// with flags, render and figure beside them for any of them to use, and
// UI libraries only where a screen is drawn or served.
var rooms = map[string]struct {
	mayImport []string // basin packages besides core/ and assets
	noUI      bool     // no Bubble Tea, Lip Gloss, bubbles, wish, terminal
}{
	"tui/cmd":    {mayImport: []string{"tui/serve", "tui/app", "tui/jobs", "tui/flags", "tui/render", "tui/figure"}},
	"tui/serve":  {mayImport: []string{"tui/app", "tui/render"}},
	"tui/app":    {mayImport: []string{"tui/jobs", "tui/flags", "tui/render", "tui/figure"}},
	"tui/jobs":   {mayImport: []string{"tui/figure"}, noUI: true},
	"tui/flags":  {noUI: true},
	"tui/render": {noUI: true},
	"tui/figure": {mayImport: []string{"tui/render"}, noUI: true},
}

var uiLibraries = []string{"github.com/charmbracelet/", "golang.org/x/term", "golang.org/x/crypto/ssh"}

const module = "github.com/basin-dev/basin/"

// processWide are the calls that read the environment or the arguments,
// install signal handlers, change process-wide settings or end the
// process: only tui/cmd (and main.go, which hands it the process) makes
// them. (core reads its BASIN_* knobs, documented in the README, and
// GOMAXPROCS(0) without changing it.)
var processWide = map[string][]string{
	"os":            {"Exit", "Getenv", "LookupEnv", "Environ", "Setenv", "Args"},
	"os/signal":     {"Notify", "NotifyContext", "Ignore", "Reset"},
	"runtime/debug": {"SetMemoryLimit", "SetGCPercent", "SetMaxThreads", "SetMaxStack"},
	"runtime":       {"GOMAXPROCS"},
}

func TestTUIRooms(t *testing.T) {
	root := filepath.Join("..", "..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			if strings.HasPrefix(rel, "tui/") && strings.Count(rel, "/") == 1 {
				if _, ok := rooms[rel]; !ok {
					t.Errorf("%s is a room of tui/ that the layout test does not know: add its rules", rel)
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		n++
		room := filepath.ToSlash(filepath.Dir(rel))
		checkImports(t, rel, room, f)
		if room != "tui/cmd" && room != "." && (strings.HasPrefix(room, "tui/") || strings.HasPrefix(room, "core/")) {
			checkProcessWide(t, rel, room, f)
		}
		return nil
	})
	if err != nil || n < 100 {
		t.Fatalf("read %d files: %v", n, err)
	}
}

func checkImports(t *testing.T, file, room string, f *ast.File) {
	r, ok := rooms[room]
	if !ok {
		return
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if r.noUI {
			for _, ui := range uiLibraries {
				if strings.HasPrefix(p, ui) {
					t.Errorf("%s imports %s: %s draws no screen and serves nothing", file, p, room)
				}
			}
		}
		own, ok := strings.CutPrefix(p, module)
		if !ok || strings.HasPrefix(own, "core/") || own == "assets" {
			continue
		}
		allowed := false
		for _, m := range r.mayImport {
			allowed = allowed || own == m
		}
		if !allowed {
			t.Errorf("%s imports %s: %s may import only %v (and core)", file, own, room, r.mayImport)
		}
	}
}

func checkProcessWide(t *testing.T, file, room string, f *ast.File) {
	names := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if _, ok := processWide[p]; !ok {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = p
	}
	ast.Inspect(f, func(node ast.Node) bool {
		sel, ok := node.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || names[x.Name] == "" {
			return true
		}
		p := names[x.Name]
		for _, fn := range processWide[p] {
			if sel.Sel.Name != fn {
				continue
			}
			if strings.HasPrefix(room, "core/") && (fn == "Getenv" || fn == "GOMAXPROCS") {
				return true // BASIN_* knobs; GOMAXPROCS(0) reads (checked below for tui/)
			}
			t.Errorf("%s calls %s.%s: only tui/cmd reads the environment or arguments, handles signals, changes process-wide settings or exits", file, p, fn)
		}
		return true
	})
}
