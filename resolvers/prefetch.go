package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"stockgraph/internal/api/relay"
	"stockgraph/internal/loaders"
	"stockgraph/models"
)

// The planner below finds what a query selects by the schema types of
// the fields, as gqlgen's field collection reports them, never by their
// names: an alias, a fragment or a renamed field plans the same.
const (
	typeProduct          = "Product"
	typeProductInventory = "ProductInventory"
	typeVariant          = "Variant"
	typeVariantConn      = "VariantConnection"
	typeVariantInventory = "VariantInventory"
)

// primeProductPage tells the loaders what the query selects below a page
// of products, so that they fetch it in one statement per relation.
func primeProductPage(ctx context.Context, products []models.Product) error {
	op := graphql.GetOperationContext(ctx)
	node := nodeFields(op, graphql.GetFieldContext(ctx).Field, typeProduct)
	needs := loaders.ProductPageNeeds{Inventory: len(ofType(node, typeProductInventory)) > 0}
	for _, variants := range ofType(node, typeVariantConn) {
		args := variants.ArgumentMap(op.Variables)
		w, err := relay.Args{First: intArg(args["first"]), After: strArg(args["after"]), Last: intArg(args["last"]), Before: strArg(args["before"])}.Validate()
		if err != nil {
			continue // the variants resolver reports it
		}
		needs.VariantWindows = append(needs.VariantWindows, w)
		inventory := ofType(nodeFields(op, variants, typeVariant), typeVariantInventory)
		needs.VariantInventory = needs.VariantInventory || len(inventory) > 0
	}
	ids := make([]int64, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	return loaders.For(ctx).PrimeProducts(ctx, ids, needs)
}

// nodeFields returns the fields selected on the nodes of a connection
// field: on its fields of the node type (nodes) and on those one level
// down (edges { node }).
func nodeFields(op *graphql.OperationContext, connection graphql.CollectedField, nodeType string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range subfields(op, connection) {
		if typeOf(f) == nodeType {
			out = append(out, subfields(op, f)...)
			continue
		}
		for _, node := range ofType(subfields(op, f), nodeType) {
			out = append(out, subfields(op, node)...)
		}
	}
	return out
}

// subfields collects the fields selected below f, fragments on f's type
// included.
func subfields(op *graphql.OperationContext, f graphql.CollectedField) []graphql.CollectedField {
	return graphql.CollectFields(op, f.Selections, []string{typeOf(f)})
}

// typeOf is the name of the type a field returns, lists and non-null
// unwrapped: VariantConnection for Product.variants.
func typeOf(f graphql.CollectedField) string {
	if f.Definition == nil || f.Definition.Type == nil {
		return ""
	}
	return f.Definition.Type.Name()
}

// ofType returns the fields among fields that return the named type.
func ofType(fields []graphql.CollectedField, name string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range fields {
		if typeOf(f) == name {
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

// The types a page of orders is planned by.
const (
	typeOrder      = "Order"
	typeOrderLine  = "OrderLine"
	typeAllocation = "Allocation"
)

// lineTotalFields are OrderLine's fields computed from its allocations.
var lineTotalFields = map[string]bool{"quantityAllocated": true, "quantityBackordered": true, "quantityPreordered": true, "onHold": true}

// primeOrderPage tells the loaders what the query selects below a page of
// orders: their lines, and the lines' allocations and variants.
func primeOrderPage(ctx context.Context, orders []models.Order) error {
	op := graphql.GetOperationContext(ctx)
	var needs loaders.OrderPageNeeds
	for _, lines := range ofType(nodeFields(op, graphql.GetFieldContext(ctx).Field, typeOrder), typeOrderLine) {
		needs.Lines = true
		for _, f := range subfields(op, lines) {
			needs.Allocations = needs.Allocations || typeOf(f) == typeAllocation || lineTotalFields[f.Name]
			needs.Variants = needs.Variants || typeOf(f) == typeVariant
		}
	}
	ids := make([]int64, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	return loaders.For(ctx).PrimeOrders(ctx, ids, needs)
}
