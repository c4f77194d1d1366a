package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"stockgraph/internal/api/relay"
	"stockgraph/internal/loaders"
	"stockgraph/models"
)

// primeProductPage tells the loaders what the query selects below a page
// of products, so that they fetch it in one statement per relation.
func primeProductPage(ctx context.Context, products []models.Product) error {
	op := graphql.GetOperationContext(ctx)
	node := connectionNodeFields(op, graphql.GetFieldContext(ctx).Field.Selections)
	needs := loaders.ProductPageNeeds{Inventory: len(selected(node, "inventory")) > 0}
	for _, variants := range selected(node, "variants") {
		args := variants.ArgumentMap(op.Variables)
		w, err := relay.Args{First: intArg(args["first"]), After: strArg(args["after"]), Last: intArg(args["last"]), Before: strArg(args["before"])}.Validate()
		if err != nil {
			continue // the variants resolver reports it
		}
		needs.VariantWindows = append(needs.VariantWindows, w)
		needs.VariantInventory = needs.VariantInventory || len(selected(connectionNodeFields(op, variants.Selections), "inventory")) > 0
	}
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	return loaders.For(ctx).PrimeProducts(ctx, ids, needs)
}

// connectionNodeFields returns the fields selected on a connection's nodes,
// through edges { node } and through nodes.
func connectionNodeFields(op *graphql.OperationContext, connection []ast.Selection) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(op, connection, nil) {
		switch f.Name {
		case "nodes":
			out = append(out, graphql.CollectFields(op, f.Selections, nil)...)
		case "edges":
			for _, node := range selected(graphql.CollectFields(op, f.Selections, nil), "node") {
				out = append(out, graphql.CollectFields(op, node.Selections, nil)...)
			}
		}
	}
	return out
}

// selected returns the fields called name among fields.
func selected(fields []graphql.CollectedField, name string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range fields {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

func intArg(v any) *int {
	switch n := v.(type) {
	case int64:
		i := int(n)
		return &i
	case int:
		return &n
	case float64:
		i := int(n)
		return &i
	}
	return nil
}

func strArg(v any) *string {
	if s, ok := v.(string); ok {
		return &s
	}
	return nil
}
