package issuance_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// doorOnly are the store primitives behind issuance's doors (Submit,
// IssueMany, ChangeStatus, ExpireDue): no code outside the store and this
// package calls them, so that issuing and status changes happen in one
// place each, where events, webhooks and notifications hook in.
var doorOnly = map[string]bool{
	"IssueCredential":         true,
	"InsertIssuedCredentials": true,
	"ReserveStatusEntries":    true,
	"ChangeCredentialStatus":  true,
	"ExpireCredentials":       true,
}

func TestOnlyTheDoorsCallTheStorePrimitives(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || rel == "store" || rel == "internal/issuance") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && doorOnly[sel.Sel.Name] {
				t.Errorf("%s calls store's %s: go through issuance (Submit, ChangeStatus, ExpireDue)", rel, sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files checked: is the walk rooted at the repository?", checked)
	}
}
