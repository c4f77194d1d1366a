package api

import (
	"stockgraph/graph"
	"stockgraph/graph/model"
	"stockgraph/internal/page"
)

// MaxComplexity bounds what one operation may ask for: the number of
// fields it would resolve, counting every field of a connection's nodes
// once per node of the page it asks for. The seed query over 100 products
// with 100 variants each costs about 40,000; three nested connections of
// 250 cost millions and are refused before anything runs.
const MaxComplexity = 200_000

// complexity multiplies each connection's selection by its page size.
func complexity() graph.ComplexityRoot {
	var c graph.ComplexityRoot
	c.Store.Products = func(child int, first *int, _ *string, last *int, _ *string, _ *model.ProductFilter, _ *model.ProductSort) int {
		return pageCost(child, first, last)
	}
	c.Store.Locations = func(child int, first *int, _ *string, last *int, _ *string, _ *model.LocationFilter, _ *model.LocationSort) int {
		return pageCost(child, first, last)
	}
	c.Product.Variants = func(child int, first *int, _ *string, last *int, _ *string) int {
		return pageCost(child, first, last)
	}
	c.Location.InventoryItems = func(child int, first *int, _ *string, last *int, _ *string, _ *model.InventoryItemFilter) int {
		return pageCost(child, first, last)
	}
	c.InventoryItem.Movements = func(child int, first *int, _ *string, last *int, _ *string) int {
		return pageCost(child, first, last)
	}
	c.Query.InventoryMovements = func(child int, _ *model.InventoryMovementFilter, first *int, _ *string, last *int, _ *string) int {
		return pageCost(child, first, last)
	}
	webhookComplexity(&c)
	return c
}

// pageCost is the cost of a page: its size (the default when neither
// first nor last is given) times the cost of one node.
func pageCost(child int, first, last *int) int {
	n := page.DefaultSize
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	return 1 + max(n, 1)*child
}
