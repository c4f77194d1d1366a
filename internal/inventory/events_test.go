package inventory

import (
	"slices"
	"testing"

	"stockgraph/models"
)

// snap is a snapshot with on hand, backordered and preordered levels and
// the figures and status the rules give.
func snap(onHand, backordered, preordered, sell, backorder, preorder int, availability Availability) models.StockSnapshot {
	return models.StockSnapshot{
		Quantities: map[models.QuantityState]int{
			models.StateOnHand: onHand, models.StateBackordered: backordered, models.StatePreordered: preordered,
		},
		AvailableToSell: sell, AvailableForBackorder: backorder, AvailableForPreorder: preorder,
		Availability: string(availability), AvailabilityCode: availability.Code(),
	}
}

func TestTransitions(t *testing.T) {
	const (
		changed   = models.EventStockChanged
		low       = models.EventLowStock
		out       = models.EventOutOfStock
		back      = models.EventBackInStock
		boLimit   = models.EventBackorderLimitReached
		preLimit  = models.EventPreorderLimitReached
		available = models.EventAvailabilityChanged
	)
	tests := []struct {
		name          string
		before, after models.StockSnapshot
		want          []models.StockEventType
	}{
		{"nothing changed", snap(10, 0, 0, 10, 0, 0, InStock), snap(10, 0, 0, 10, 0, 0, InStock), nil},
		{"sold one, still in stock", snap(10, 0, 0, 10, 0, 0, InStock), snap(9, 0, 0, 9, 0, 0, InStock), []models.StockEventType{changed}},
		{"fell to the warning level", snap(6, 0, 0, 6, 0, 0, InStock), snap(5, 0, 0, 5, 0, 0, LowStock), []models.StockEventType{changed, low, available}},
		{"low and lower", snap(5, 0, 0, 5, 0, 0, LowStock), snap(4, 0, 0, 4, 0, 0, LowStock), []models.StockEventType{changed}},
		{"sold the last from low", snap(1, 0, 0, 1, 0, 0, LowStock), snap(0, 0, 0, 0, 0, 0, OutOfStock), []models.StockEventType{changed, out, available}},
		{"sold out from in stock at once", snap(10, 0, 0, 10, 0, 0, InStock), snap(0, 0, 0, 0, 0, 0, OutOfStock), []models.StockEventType{changed, out, available}},
		{"sold out into backorders", snap(1, 0, 0, 1, 45, 0, LowStock), snap(0, 0, 0, 0, 45, 0, Backorderable), []models.StockEventType{changed, out, available}},
		{"received stock", snap(0, 0, 0, 0, 0, 0, OutOfStock), snap(20, 0, 0, 20, 0, 0, InStock), []models.StockEventType{changed, back, available}},
		{"received a little", snap(0, 0, 0, 0, 0, 0, OutOfStock), snap(2, 0, 0, 2, 0, 0, LowStock), []models.StockEventType{changed, back, available}},
		{"last backorder", snap(0, 4, 0, 0, 1, 0, Backorderable), snap(0, 5, 0, 0, 0, 0, OutOfStock), []models.StockEventType{changed, boLimit, available}},
		{"backorders within capacity", snap(0, 1, 0, 0, 4, 0, Backorderable), snap(0, 2, 0, 0, 3, 0, Backorderable), []models.StockEventType{changed}},
		{"limit lowered to nothing, none backordered", snap(0, 0, 0, 0, 5, 0, Backorderable), snap(0, 0, 0, 0, 0, 0, OutOfStock), []models.StockEventType{changed, available}},
		{"last preorder", snap(0, 0, 9, 0, 0, 1, Preorderable), snap(0, 0, 10, 0, 0, 0, OutOfStock), []models.StockEventType{changed, preLimit, available}},
		{"status item out", snap(0, 0, 0, 0, 0, 0, InStock), snap(0, 0, 0, 0, 0, 0, OutOfStock), []models.StockEventType{out, available}},
		{"safety stock raised to all", snap(10, 0, 0, 10, 0, 0, InStock), snap(10, 0, 0, 0, 0, 0, OutOfStock), []models.StockEventType{changed, out, available}},
	}
	for _, tt := range tests {
		if got := Transitions(tt.before, tt.after); !slices.Equal(got, tt.want) {
			t.Errorf("Transitions(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSnapshot(t *testing.T) {
	it := models.InventoryItem{OnHand: 12, Committed: 2, SafetyStock: 1, WarningLevel: 5, QtyBackordered: 3, BackorderLimit: 10,
		TrackingMode: models.TrackQuantity}
	got := Snapshot(it, Switches{BackordersEnabled: true})
	if got.OnHand() != 12 || got.Committed() != 2 || got.QtyBackordered() != 3 || got.AvailableToSell != 9 ||
		got.AvailableForBackorder != 7 || got.Availability != string(InStock) || got.AvailabilityCode != InStock.Code() {
		t.Errorf("Snapshot(%+v) = %+v, want on hand 12, committed 2, backordered 3, 9 to sell, 7 for backorder, IN_STOCK", it, got)
	}
}
