package orders

import "stockgraph/models"

// LineTotals are a line's open units by how they are held, as
// OrderLine's quantityAllocated, quantityBackordered and
// quantityPreordered report them (BigCommerce's quantity_backordered).
type LineTotals struct {
	Allocated   int
	Backordered int
	Preordered  int
	// OnHold: some open unit waits (a held source, a backorder, a
	// preorder).
	OnHold bool
}

// Totals sums a line's allocations by kind. Only open units count: an
// allocation's Quantity is its open units, its fulfilled units have left.
func Totals(allocs []models.Allocation) LineTotals {
	var t LineTotals
	for _, a := range allocs {
		switch a.Kind {
		case models.AllocateBackorder:
			t.Backordered += a.Quantity
		case models.AllocatePreorder:
			t.Preordered += a.Quantity
		default:
			t.Allocated += a.Quantity
		}
		if a.OnHold && a.Quantity > 0 {
			t.OnHold = true
		}
	}
	return t
}
