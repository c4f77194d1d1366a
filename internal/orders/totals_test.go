package orders_test

import (
	"testing"

	"stockgraph/internal/orders"
	"stockgraph/models"
)

// TestTotals: a line's open units by kind, and whether any open unit
// waits. Fulfilled units are not open; an allocation emptied by a
// cancellation holds nothing, on hold or not.
func TestTotals(t *testing.T) {
	stock := func(q, fulfilled int, held bool) models.Allocation {
		return models.Allocation{Kind: models.AllocateStock, Quantity: q, QuantityFulfilled: fulfilled, OnHold: held}
	}
	back := func(q int) models.Allocation {
		return models.Allocation{Kind: models.AllocateBackorder, Quantity: q, OnHold: true}
	}
	pre := func(q int) models.Allocation {
		return models.Allocation{Kind: models.AllocatePreorder, Quantity: q, OnHold: true}
	}
	for _, c := range []struct {
		name   string
		allocs []models.Allocation
		want   orders.LineTotals
	}{
		{"no allocations", nil, orders.LineTotals{}},
		{"stock at two locations", []models.Allocation{stock(3, 0, false), stock(4, 0, false)}, orders.LineTotals{Allocated: 7}},
		{"fulfilled units are not open", []models.Allocation{stock(0, 5, false), stock(2, 1, false)}, orders.LineTotals{Allocated: 2}},
		{"BigCommerce: 10 stock, 45 backordered", []models.Allocation{stock(10, 0, false), back(45)}, orders.LineTotals{Allocated: 10, Backordered: 45, OnHold: true}},
		{"a preorder", []models.Allocation{pre(2)}, orders.LineTotals{Preordered: 2, OnHold: true}},
		{"all three kinds", []models.Allocation{stock(1, 0, false), pre(2), back(3)}, orders.LineTotals{Allocated: 1, Preordered: 2, Backordered: 3, OnHold: true}},
		{"a held stock level", []models.Allocation{stock(2, 0, true)}, orders.LineTotals{Allocated: 2, OnHold: true}},
		{"an emptied backorder holds nothing", []models.Allocation{stock(2, 0, false), back(0)}, orders.LineTotals{Allocated: 2}},
		{"a held level all shipped", []models.Allocation{stock(0, 3, true)}, orders.LineTotals{}},
	} {
		if got := orders.Totals(c.allocs); got != c.want {
			t.Errorf("Totals(%s) = %+v, want %+v", c.name, got, c.want)
		}
	}
}
