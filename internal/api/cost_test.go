package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fragmentDoubling is the document whose k named fragments each spread
// the next twice: 2^k selections once expanded, 1 KB as sent.
func fragmentDoubling(k int) string {
	var b strings.Builder
	b.WriteString("{ store { ...G0 } }\n")
	for i := range k - 1 {
		fmt.Fprintf(&b, "fragment G%d on Store { ...G%d ...G%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment G%d on Store { id }\n", k-1)
	return b.String()
}

// nestedByLocation nests levels of byLocation { variant { inventory { ... } } }
// under one variant.
func nestedByLocation(levels int) string {
	return `query($sku: String!) { store { variant(sku: $sku) { ` +
		strings.Repeat("inventory { byLocation { variant { ", levels-1) + "inventory { byLocation { onHand } }" +
		strings.Repeat(" } } }", levels-1) + " } } }"
}

// nestedPagesOfOne nests levels of product { variants(first: 1) { nodes
// { ... } } } under one variant: cheap, but deep.
func nestedPagesOfOne(levels int) string {
	return `query($sku: String!) { store { variant(sku: $sku) { ` +
		strings.Repeat("product { variants(first: 1) { nodes { ", levels) + "sku" +
		strings.Repeat(" } } }", levels) + " } } }"
}

// TestCostLimits sends the documents that once took the server down and
// checks each is refused with its code, as HTTP 200 with the code in
// extensions, before anything runs; a normal query still passes and is
// told its cost.
func TestCostLimits(t *testing.T) {
	e := newEnv(t)
	// 30 locations: four nested byLocation cost 30^4 units and more.
	token := e.seedStore("costly", 1, 1, 30)
	var data struct {
		Store struct {
			Products struct {
				Nodes []struct {
					Variants struct{ Nodes []struct{ SKU string } }
				}
			}
		}
	}
	e.mustData(token, `{ store { products(first: 1) { nodes { variants(first: 1) { nodes { sku } } } } } }`, nil, &data)
	sku := data.Store.Products.Nodes[0].Variants.Nodes[0].SKU
	aliases := make([]string, 1000)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("a%d: name", i)
	}
	tests := []struct {
		name  string
		query string
		code  string
	}{
		{"fragment doubling at k = 30", fragmentDoubling(30), "FIELD_LIMIT_EXCEEDED"},
		{"1,000 aliases", "{ store { " + strings.Join(aliases, " ") + " } }", "ALIAS_LIMIT_EXCEEDED"},
		{"4 nested byLocation over 30 locations", nestedByLocation(4), "COMPLEXITY_LIMIT_EXCEEDED"},
		{"20 nested byLocation", nestedByLocation(20), "COMPLEXITY_LIMIT_EXCEEDED"},
		{"6 nested pages of one", nestedPagesOfOne(6), "DEPTH_LIMIT_EXCEEDED"},
		{"4 nested pages of one", nestedPagesOfOne(4), ""},
		{"3 nested byLocation", nestedByLocation(3), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := e.do(token, tt.query, map[string]any{"sku": sku})
			t.Logf("%d bytes answered in %s", len(tt.query), time.Since(start))
			if r.Status != http.StatusOK || r.code() != tt.code {
				t.Fatalf("POST %s = HTTP %d, code %q, want 200 and %q (errors: %+v)", tt.name, r.Status, r.code(), tt.code, r.Errors)
			}
			if tt.code != "" && string(r.Data) != "" && string(r.Data) != "null" {
				t.Errorf("POST %s: data = %s, want none: nothing may run", tt.name, r.Data)
			}
			if tt.code == "" && strings.Contains(tt.query, "byLocation") {
				c, _ := r.Extensions["cost"].(map[string]any)
				if n, _ := c["requestedQueryCost"].(float64); n < 30*30 {
					t.Errorf("POST %s: extensions.cost = %v, want requestedQueryCost of at least %d", tt.name, r.Extensions["cost"], 30*30)
				}
			}
		})
	}
}

// TestIntrospectionWithinLimits: GraphiQL's introspection query, whose
// deepest path is __schema types fields args type and nine ofType levels
// (depth 15), passes the limits.
func TestIntrospectionWithinLimits(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("introspect", 1, 1, 1)
	typeRef := "kind name " + strings.Repeat("ofType { kind name ", 9) + strings.Repeat("} ", 9)
	query := `{ __schema { types { name fields(includeDeprecated: true) { name args { name type { ...TypeRef } } type { ...TypeRef } }
		inputFields { name type { ...TypeRef } } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
		directives { name args { name type { ...TypeRef } } } } }
		fragment TypeRef on __Type { ` + typeRef + `}`
	r := e.do(token, query, nil)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("introspection: HTTP %d, errors %+v, want 200 and none", r.Status, r.Errors)
	}
}
