package web_test

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/trustcred/trustcred"

// TestAssemblyAboveHandlers holds the layering the architecture describes:
// the app assembly imports the handlers, so nothing the handlers import
// (directly or not) may live in the folder of a package that imports them.
// What handlers need from a request (who is asking, rendering) lives below
// them, beside them at the root, not under web/.
func TestAssemblyAboveHandlers(t *testing.T) {
	imports := moduleImports(t, "..")
	handlers := module + "/handlers"
	if _, ok := imports[handlers]; !ok {
		t.Fatalf("no package %s found", handlers)
	}
	var roofs []string // the folders of the packages that import handlers
	for pkg, deps := range imports {
		if slices.Contains(deps, handlers) {
			roofs = append(roofs, pkg)
		}
	}
	if len(roofs) == 0 {
		t.Fatalf("nothing imports %s: the walk found no importers", handlers)
	}
	// Breadth-first from handlers, keeping how each package was reached.
	via := map[string]string{handlers: ""}
	queue := []string{handlers}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, d := range imports[p] {
			if _, seen := via[d]; !seen {
				via[d] = p
				queue = append(queue, d)
			}
		}
	}
	for dep := range via {
		for _, roof := range roofs {
			if dep == roof || strings.HasPrefix(dep, roof+"/") {
				chain := []string{dep}
				for p := via[dep]; p != ""; p = via[p] {
					chain = append(chain, p)
				}
				slices.Reverse(chain)
				t.Errorf("%s imports %s, which lives under %s (a package that imports handlers): %s",
					short(handlers), short(dep), short(roof), strings.Join(mapShort(chain), " → "))
			}
		}
	}
}

// moduleImports is, for every package of the module under root, the
// module's packages it imports (tests excluded, build constraints of this
// platform applied).
func moduleImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if path != root {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		importPath := module
		if rel != "." {
			importPath += "/" + filepath.ToSlash(rel)
		}
		var deps []string
		for _, imp := range pkg.Imports {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				deps = append(deps, imp)
			}
		}
		out[importPath] = deps
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func short(p string) string { return strings.TrimPrefix(p, module+"/") }

func mapShort(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = short(p)
	}
	return out
}
