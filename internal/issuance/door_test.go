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

// doorOnly are the store primitives behind the domain doors (issuance's
// Submit and SubmitBatch, ChangeStatus, ExpireDue, SignApproved; bulk.Queue;
// approval.Service's decisions), by the one
// package allowed to call them besides the store: issuing and status
// changes happen in one place each, where events, webhooks and
// notifications hook in, and a *sql.Tx never travels up into handlers.
var doorOnly = map[string]string{
	"ReserveCredentialStatus":   "internal/issuance",
	"ReserveCredentialStatuses": "internal/issuance",
	"StoreIssuedCredential":     "internal/issuance",
	"StoreIssuedCredentials":    "internal/issuance",
	"ChangeCredentialStatus":    "internal/issuance",
	"ExpireCredentials":         "internal/issuance",
	"QueueBatch":                "internal/bulk",
	"StorePendingCredential":    "internal/issuance",
	"ActivatePendingCredential": "internal/issuance",
	"DecideApproval":            "internal/approval",
	"EditPendingCredential":     "internal/approval",
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
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || rel == "store") {
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
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if door, ok := doorOnly[sel.Sel.Name]; ok && filepath.ToSlash(filepath.Dir(rel)) != door {
					t.Errorf("%s calls store's %s: go through the door in %s", rel, sel.Sel.Name, door)
				}
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
