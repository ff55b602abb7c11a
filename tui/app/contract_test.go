package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// A view is its file and its line in newViews: the root names no view
// by its type, it asks for what it needs through the interfaces in
// contract.go. Two views are the root's partners and named where the
// root uses them: the training view (it makes the model when none is
// opened) and the watch view (added when the user picks a file to
// follow). A view may be built from others (the watch view shows a scan
// through the line and plane views, the 3D view draws the plane's
// surface).
func TestAViewIsItsFileAndOneLine(t *testing.T) {
	partners := map[string]string{"trainView": "app.go", "watchView": "app.go"}
	decl, uses := viewTypes(t)
	if len(decl) < 8 {
		t.Fatalf("found %d view types, expected the app's ten or so: is the test finding them?", len(decl))
	}
	for typ, home := range decl {
		for file := range uses[typ] {
			switch {
			case file == home, file == "view.go":
			case partners[typ] == file:
			case declaresView(decl, file):
				// one view built from another
			default:
				t.Errorf("%s names %s (declared in %s): the root should ask through an interface in contract.go", file, typ, home)
			}
		}
	}
	// and every view of newViews is listed there by its constructor
	src, err := os.ReadFile("view.go")
	if err != nil {
		t.Fatal(err)
	}
	for typ := range decl {
		if typ == "watchView" {
			continue
		}
		ctor := "new" + strings.ToUpper(typ[:1]) + typ[1:] + "("
		if !strings.Contains(string(src), ctor) {
			t.Errorf("view.go does not list %s", ctor)
		}
	}
}

func declaresView(decl map[string]string, file string) bool {
	for _, home := range decl {
		if home == file {
			return true
		}
	}
	return false
}

// viewTypes finds the package's view types (types with a title method,
// the first of the contract) with the file declaring each, and for each
// the files naming it.
func viewTypes(t *testing.T) (decl map[string]string, uses map[string]map[string]bool) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	fset := token.NewFileSet()
	parsed := map[string]*ast.File{}
	decl = map[string]string{}
	typeFile := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed[name] = f
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						typeFile[ts.Name.Name] = name
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || d.Name.Name != "title" {
					continue
				}
				if star, ok := d.Recv.List[0].Type.(*ast.StarExpr); ok {
					if id, ok := star.X.(*ast.Ident); ok {
						decl[id.Name] = ""
					}
				}
			}
		}
	}
	for typ := range decl {
		decl[typ] = typeFile[typ]
	}
	uses = map[string]map[string]bool{}
	for name, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if _, isView := decl[id.Name]; isView {
					if uses[id.Name] == nil {
						uses[id.Name] = map[string]bool{}
					}
					uses[id.Name][name] = true
				}
			}
			return true
		})
	}
	return decl, uses
}
