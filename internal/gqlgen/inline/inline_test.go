package inline

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const schema = `
type Query { items: [Item!]! }
type Item { onHand: Int! location: Location! variant: Variant! }
type Location { name: String! items: [Item!]! }
type Variant { sku: String! }
`

// plain vouches for the fields as the generator would: Item.variant and
// Location.items wait for a batch, Variant is nobody's.
var plain = Plain{
	"Item":     {"onHand": true, "location": true},
	"Location": {"name": true},
}

func TestSelectsOnlyPlainFields(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: schema})
	for _, tc := range []struct {
		name, query string
		want        bool
	}{
		{"struct fields", `{ items { onHand } }`, true},
		{"a plain object below", `{ items { onHand location { name } } }`, true},
		{"typename", `{ items { __typename onHand } }`, true},
		{"a field that batches", `{ items { onHand variant { sku } } }`, false},
		{"a field that batches, two levels down", `{ items { location { items { onHand } } } }`, false},
		{"through a fragment", `{ items { ...f } } fragment f on Item { variant { sku } }`, false},
		{"through an inline fragment", `{ items { ... on Item { onHand } } }`, true},
		{"skipped", `{ items { onHand variant @skip(if: true) { sku } } }`, true},
		{"aliased", `{ items { a: onHand b: location { name } } }`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(s, tc.query)
			if errs != nil {
				t.Fatalf("query: %v", errs)
			}
			op := &graphql.OperationContext{RawQuery: tc.query, Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{}}
			items := graphql.CollectFields(op, doc.Operations[0].SelectionSet, []string{"Query"})[0]
			if got := plain.selects(op, items.Selections, "Item"); got != tc.want {
				t.Errorf("selects(%s) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
	if plain.selects(nil, nil, "Variant") {
		t.Error("selects on a type nobody vouched for = true, want false")
	}
}
