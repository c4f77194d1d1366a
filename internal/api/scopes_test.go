package api

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"stockgraph/graph"
	"stockgraph/graph/model"
	"stockgraph/internal/auth"
)

// The scope model, as README's "Tokens and scopes" states it: reading
// needs any scope (every scope includes read_inventory); each write needs
// its own scope.
var scopeModel = map[model.Scope]func(held []auth.Scope) bool{
	model.ScopeReadInventory:  func(held []auth.Scope) bool { return len(held) > 0 },
	model.ScopeWriteInventory: func(held []auth.Scope) bool { return slices.Contains(held, auth.WriteInventory) },
	model.ScopeWriteCatalog:   func(held []auth.Scope) bool { return slices.Contains(held, auth.WriteCatalog) },
	model.ScopeManageWebhooks: func(held []auth.Scope) bool { return slices.Contains(held, auth.ManageWebhooks) },
}

// rootScopes returns every root field (Query, Mutation, Subscription)
// with the scope its @requireScope names, or "" when it has none.
func rootScopes(t *testing.T) map[string]model.Scope {
	t.Helper()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	out := map[string]model.Scope{}
	for _, root := range []string{"Query", "Mutation", "Subscription"} {
		def := schema.Types[root]
		if def == nil {
			t.Fatalf("schema has no %s type", root)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			var scope model.Scope
			if d := f.Directives.ForName("requireScope"); d != nil {
				scope = model.Scope(d.Arguments.ForName("scope").Value.Raw)
			}
			out[root+"."+f.Name] = scope
		}
	}
	return out
}

// readMutations change only what a reader owns: an export is a read run
// in the background (Shopify's bulkOperationRunQuery needs the scopes of
// its query), so starting and canceling one needs the read scope; the
// resolver asks write_inventory to cancel an import.
var readMutations = map[string]bool{"Mutation.startInventoryExport": true, "Mutation.cancelBulkOperation": true}

// TestEveryRootFieldHasAScopeDecision walks the schema: a query,
// mutation or subscription without @requireScope fails, as does a
// mutation or subscription that needs no more than reading the wrong way
// round (mutations need a write scope). Every other field is reached
// only through a root field, so the root's decision covers it.
func TestEveryRootFieldHasAScopeDecision(t *testing.T) {
	fields := rootScopes(t)
	if len(fields) < 30 {
		t.Fatalf("found %d root fields, want the whole schema's", len(fields))
	}
	for name, scope := range fields {
		switch {
		case scope == "":
			t.Errorf("%s has no @requireScope: decide which scope it needs", name)
		case scopeModel[scope] == nil:
			t.Errorf("%s needs scope %q, which the scope model does not know", name, scope)
		case strings.HasPrefix(name, "Mutation.") && scope == model.ScopeReadInventory && !readMutations[name]:
			t.Errorf("%s changes data but needs only READ_INVENTORY", name)
		}
	}
}

// TestEveryRootFieldUnderEveryScopeSet runs the directive every field
// goes through for every root field and every set of scopes a token can
// carry, and compares its decision with the model.
func TestEveryRootFieldUnderEveryScopeSet(t *testing.T) {
	fields := rootScopes(t)
	for mask := range 1 << len(auth.AllScopes) {
		var held []auth.Scope
		for i, s := range auth.AllScopes {
			if mask&(1<<i) != 0 {
				held = append(held, s)
			}
		}
		ctx := auth.WithPrincipal(context.Background(), &auth.Principal{TokenID: 1, Scopes: held})
		for name, scope := range fields {
			ran := false
			next := graphql.Resolver(func(context.Context) (any, error) { ran = true; return nil, nil })
			_, err := requireScope(ctx, nil, next, scope)
			if want := scopeModel[scope](held); ran != want || (err == nil) != want {
				t.Errorf("%s (needs %s) with scopes %v: resolved %v, error %v; want resolved %v", name, scope, held, ran, err, want)
			}
		}
	}
}
