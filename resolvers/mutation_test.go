package resolvers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"
)

// TestEveryMutationClearsTheLoaders guards fresh reads after writes: a
// mutation resolver that forgot to call wrote would let its payload, and
// the fields after it, read rows loaded before its write.
func TestEveryMutationClearsTheLoaders(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || receiverName(fn) != "mutationResolver" {
				continue
			}
			found++
			if !calls(fn.Body, "wrote") && !calls(fn.Body, "adjust") {
				t.Errorf("%s: mutation resolver %s does not call wrote(ctx) after its write", name, fn.Name.Name)
			}
		}
	}
	if found < 10 {
		t.Errorf("found %d mutation resolvers, want the schema's (at least 10): the test no longer finds them", found)
	}
	helper := false
	for _, name := range files {
		f, _ := parser.ParseFile(fset, name, nil, 0)
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Name.Name == "adjust" && receiverName(fn) == "mutationResolver" {
				helper = calls(fn.Body, "wrote")
			}
		}
	}
	if !helper {
		t.Errorf("mutationResolver.adjust does not call wrote(ctx) after its write")
	}
}

func receiverName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return ""
	}
	if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
		if id, ok := star.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return ""
}

// calls reports whether body calls the function or method called name.
func calls(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return !found
		}
		switch f := call.Fun.(type) {
		case *ast.Ident:
			found = found || f.Name == name
		case *ast.SelectorExpr:
			found = found || f.Sel.Name == name
		}
		return !found
	})
	return found
}
