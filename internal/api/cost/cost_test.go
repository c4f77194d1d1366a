package cost_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"stockgraph/internal/api/cost"
)

const testSchema = `
type Query { store: Store! }
type Store {
  id: ID!
  name: String!
  items(first: Int): [Item!]!
  item: Item
}
type Item { id: ID!, sku: String!, store: Store!, children(first: Int): [Item!]! }
`

var table = cost.Table{
	"Store.items":   first,
	"Item.children": first,
}

func first(_ context.Context, args map[string]any) int64 {
	if n, ok := args["first"].(int64); ok {
		return n
	}
	return 10
}

var limits = cost.Limits{Cost: 200_000, Depth: 15, Aliases: 100, Fields: 5_000}

// parse validates query against testSchema, as the server does before
// pricing, so that fields carry their definitions.
func parse(t *testing.T, query string) *ast.OperationDefinition {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	doc, err := gqlparser.LoadQuery(schema, query)
	if err != nil {
		t.Fatalf("LoadQuery: %v", err)
	}
	return doc.Operations[0]
}

// doubling is the document whose named fragments each spread the next
// twice: expanded, it has 2^k selections.
func doubling(k int) string {
	var b strings.Builder
	b.WriteString("{ store { ...G0 } }\n")
	for i := range k - 1 {
		fmt.Fprintf(&b, "fragment G%d on Store { ...G%d ...G%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment G%d on Store { id }\n", k-1)
	return b.String()
}

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ store {")
	for i := range n {
		fmt.Fprintf(&b, " a%d: name", i)
	}
	b.WriteString(" } }")
	return b.String()
}

func nested(levels int) string {
	return "{ store { items(first: 2) { " + strings.Repeat("children(first: 2) { ", levels) + "id" + strings.Repeat(" }", levels) + " } } }"
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		limits cost.Limits
		want   cost.Result // Steps not compared
		limit  cost.Limit  // the limit passed, if any
	}{
		{"scalars", `{ store { id name } }`, limits, cost.Result{Cost: 3, Depth: 2, Fields: 3}, ""},
		{"list by first", `{ store { items(first: 5) { id sku } } }`, limits, cost.Result{Cost: 1 + 1 + 5*2, Depth: 3, Fields: 4}, ""},
		{"list by default", `{ store { items { id } } }`, limits, cost.Result{Cost: 1 + 1 + 10, Depth: 3, Fields: 3}, ""},
		{"nested lists", `{ store { items(first: 3) { children(first: 4) { id } } } }`, limits, cost.Result{Cost: 1 + 1 + 3*(1+4), Depth: 4, Fields: 4}, ""},
		{"fragment counted as if inline", `{ store { ...F x: name } } fragment F on Store { items(first: 5) { id } }`, limits,
			cost.Result{Cost: 1 + (1 + 5) + 1, Depth: 3, Aliases: 1, Fields: 4}, ""},
		{"fragment spread twice", `{ store { ...F ...F } } fragment F on Store { a: id }`, limits, cost.Result{Cost: 3, Depth: 2, Aliases: 2, Fields: 3}, ""},
		{"inline fragment", `{ store { ... on Store { id } } }`, limits, cost.Result{Cost: 2, Depth: 2, Fields: 2}, ""},
		{"fragment doubling k=30", doubling(30), limits, cost.Result{}, cost.LimitFields},
		{"fragment doubling k=30, cost only", doubling(30), cost.Limits{Cost: 200_000}, cost.Result{}, cost.LimitCost},
		{"1,000 aliases", aliases(1000), limits, cost.Result{}, cost.LimitAliases},
		{"100 aliases", aliases(100), limits, cost.Result{Cost: 101, Depth: 2, Aliases: 100, Fields: 101}, ""},
		{"20 nested lists", nested(20), cost.Limits{Cost: 200_000}, cost.Result{}, cost.LimitCost},
		{"20 nested lists, depth", nested(20), limits, cost.Result{}, cost.LimitDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := parse(t, tt.query)
			start := time.Now()
			got, err := cost.Analyze(t.Context(), op, nil, table, tt.limits)
			t.Logf("%d steps in %s", got.Steps, time.Since(start))
			if got.Steps > 1000 {
				t.Errorf("Analyze steps = %d, want at most 1000", got.Steps)
			}
			var limit *cost.LimitError
			switch {
			case tt.limit != "":
				if !errors.As(err, &limit) || limit.Limit != tt.limit {
					t.Fatalf("Analyze(%s) = %v, want the %s limit passed", tt.name, err, tt.limit)
				}
			case err != nil:
				t.Fatalf("Analyze(%s) = %v, want no error", tt.name, err)
			default:
				got.Steps = 0
				if got != tt.want {
					t.Errorf("Analyze(%s) = %+v, want %+v", tt.name, got, tt.want)
				}
			}
		})
	}
}

// TestAnalyzeVariables prices a page given by a variable.
func TestAnalyzeVariables(t *testing.T) {
	op := parse(t, `query($n: Int) { store { items(first: $n) { id } } }`)
	got, err := cost.Analyze(t.Context(), op, map[string]any{"n": int64(50)}, table, limits)
	if want := int64(1 + 1 + 50); err != nil || got.Cost != want {
		t.Errorf("Analyze(first: $n = 50).Cost = %d, %v, want %d", got.Cost, err, want)
	}
}

// TestAnalyzeCancelled stops a walk whose context is done.
func TestAnalyzeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	op := parse(t, aliases(1000))
	got, err := cost.Analyze(ctx, op, nil, table, cost.Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Analyze(cancelled) = %v, want context.Canceled", err)
	}
	if got.Steps > 300 {
		t.Errorf("Analyze(cancelled) steps = %d, want at most 300", got.Steps)
	}
}

// FuzzAnalyze prices any document the schema accepts: the walk never
// panics, visits at most a few steps per selection and spread written in
// the document (each fragment is walked once), and either stays within
// every limit or says which it passed.
func FuzzAnalyze(f *testing.F) {
	f.Add(doubling(12))
	f.Add(aliases(120))
	f.Add(nested(9))
	f.Add("{ store { ... on Store { item { store { items { id } } } } } }")
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	f.Fuzz(func(t *testing.T, query string) {
		doc, errs := gqlparser.LoadQuery(schema, query)
		if errs != nil || len(doc.Operations) == 0 {
			return
		}
		res, err := cost.Analyze(context.Background(), doc.Operations[0], nil, table, limits)
		written := int64(strings.Count(query, "{") + strings.Count(query, "...") + len(strings.Fields(query)))
		if res.Steps > 4*written+16 {
			t.Fatalf("Analyze walked %d steps for a document of %d words and braces", res.Steps, written)
		}
		var le *cost.LimitError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("Analyze error = %v, want nil or a LimitError", err)
		}
		if err == nil && (res.Cost > limits.Cost || res.Depth > limits.Depth || res.Aliases > limits.Aliases || res.Fields > limits.Fields) {
			t.Fatalf("Analyze passed %+v, over the limits %+v", res, limits)
		}
	})
}
