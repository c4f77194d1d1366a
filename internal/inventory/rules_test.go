package inventory

import (
	"testing"

	"stockgraph/models"
)

func qty(onHand, safety, warning int) models.InventoryItem {
	return models.InventoryItem{TrackingMode: models.TrackQuantity, OnHand: onHand, SafetyStock: safety, WarningLevel: warning}
}

var (
	allOff = Switches{}
	allOn  = Switches{BackordersEnabled: true, PreordersEnabled: true}
)

func TestAvailableToSell(t *testing.T) {
	tests := []struct {
		name string
		item models.InventoryItem
		want int
	}{
		{"plain", qty(12, 2, 0), 10},
		{"safety above on hand", qty(1, 5, 0), 0},
		{"negative on hand", qty(-3, 0, 0), 0},
		{"committed", models.InventoryItem{TrackingMode: models.TrackQuantity, OnHand: 10, Committed: 4, SafetyStock: 1}, 5},
		{"status tracked", models.InventoryItem{TrackingMode: models.TrackStatus, OnHand: 10, IsInStock: true}, 0},
	}
	for _, tt := range tests {
		if got := AvailableToSell(tt.item); got != tt.want {
			t.Errorf("AvailableToSell(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestAvailableForBackorderAndPreorder(t *testing.T) {
	item := models.InventoryItem{TrackingMode: models.TrackQuantity, BackorderLimit: 45, QtyBackordered: 5, PreorderEnabled: true, PreorderLimit: 10, QtyPreordered: 12}
	tests := []struct {
		name           string
		item           models.InventoryItem
		sw             Switches
		back, preorder int
	}{
		{"enabled", item, allOn, 40, 0},
		{"store switched off", item, allOff, 0, 0},
		{"over the limit", models.InventoryItem{TrackingMode: models.TrackQuantity, BackorderLimit: 3, QtyBackordered: 5}, allOn, 0, 0},
		{"preorder room", models.InventoryItem{TrackingMode: models.TrackQuantity, PreorderEnabled: true, PreorderLimit: 10, QtyPreordered: 4}, allOn, 0, 6},
		{"item not preorderable", models.InventoryItem{TrackingMode: models.TrackQuantity, PreorderLimit: 10}, allOn, 0, 0},
		{"status tracked: no limits", models.InventoryItem{TrackingMode: models.TrackStatus, BackorderLimit: 9, PreorderEnabled: true, PreorderLimit: 9}, allOn, 0, 0},
	}
	for _, tt := range tests {
		if got := AvailableForBackorder(tt.item, tt.sw); got != tt.back {
			t.Errorf("AvailableForBackorder(%s) = %d, want %d", tt.name, got, tt.back)
		}
		if got := AvailableForPreorder(tt.item, tt.sw); got != tt.preorder {
			t.Errorf("AvailableForPreorder(%s) = %d, want %d", tt.name, got, tt.preorder)
		}
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name  string
		items []models.InventoryItem
		sw    Switches
		want  Availability
		ats   int
	}{
		{"none", nil, allOn, OutOfStock, 0},
		{"in stock", []models.InventoryItem{qty(12, 2, 2)}, allOff, InStock, 10},
		{"low at warning level", []models.InventoryItem{qty(5, 0, 5)}, allOff, LowStock, 5},
		{"out", []models.InventoryItem{qty(2, 2, 1)}, allOff, OutOfStock, 0},
		{"sums per item", []models.InventoryItem{qty(1, 5, 0), qty(10, 0, 3)}, allOff, InStock, 10},
		{"status in stock", []models.InventoryItem{{TrackingMode: models.TrackStatus, IsInStock: true}}, allOff, InStock, 0},
		{"status out", []models.InventoryItem{{TrackingMode: models.TrackStatus}}, allOn, OutOfStock, 0},
		{"untracked", []models.InventoryItem{{TrackingMode: models.TrackUntracked}, qty(0, 0, 0)}, allOff, InStock, 0},
		// Oracle's example: no stock, backorderLevel 200, backorderThreshold 15.
		{"oracle backorderable", []models.InventoryItem{{TrackingMode: models.TrackQuantity, BackorderLimit: 200, BackorderThreshold: 15}}, allOn, Backorderable, 0},
		{"backorders switched off", []models.InventoryItem{{TrackingMode: models.TrackQuantity, BackorderLimit: 200, BackorderThreshold: 15}}, allOff, OutOfStock, 0},
		{"capacity at the threshold", []models.InventoryItem{{TrackingMode: models.TrackQuantity, BackorderLimit: 200, QtyBackordered: 185, BackorderThreshold: 15}}, allOn, OutOfStock, 0},
		{"preorderable first", []models.InventoryItem{{TrackingMode: models.TrackQuantity, BackorderLimit: 200, PreorderEnabled: true, PreorderLimit: 50}}, allOn, Preorderable, 0},
		{"preorder at threshold, backorder left", []models.InventoryItem{{TrackingMode: models.TrackQuantity, BackorderLimit: 20, PreorderEnabled: true, PreorderLimit: 5, PreorderThreshold: 5}}, allOn, Backorderable, 0},
		{"stock beats backorders", []models.InventoryItem{{TrackingMode: models.TrackQuantity, OnHand: 3, WarningLevel: 5, BackorderLimit: 200}}, allOn, LowStock, 3},
	}
	for _, tt := range tests {
		s := Summarize(tt.items, tt.sw)
		if s.Availability != tt.want || s.AvailableToSell != tt.ats {
			t.Errorf("Summarize(%s) = %s with %d to sell, want %s with %d", tt.name, s.Availability, s.AvailableToSell, tt.want, tt.ats)
		}
	}
}

func TestSummarizeAddsUp(t *testing.T) {
	items := []models.InventoryItem{
		{TrackingMode: models.TrackQuantity, OnHand: 10, SafetyStock: 2, WarningLevel: 1, BackorderLimit: 33, QtyBackordered: 3, Damaged: 1, Incoming: 4},
		{TrackingMode: models.TrackQuantity, OnHand: 1, SafetyStock: 5, WarningLevel: 2, BackorderLimit: 7, QtyBackordered: 1, QualityControl: 2},
	}
	s := Summarize(items, allOn)
	want := Summary{AvailableToSell: 8, AvailableForBackorder: 36, OnHand: 11, QtyBackordered: 4, SafetyStock: 7, WarningLevel: 3,
		BackorderLimit: 40, Damaged: 1, QualityControl: 2, Incoming: 4, Availability: InStock}
	if s != want {
		t.Errorf("Summarize() = %+v, want %+v", s, want)
	}
	if got := s.AvailableToPromise(); got != 44 {
		t.Errorf("AvailableToPromise() = %d, want 44", got)
	}
}

func TestAvailabilityCode(t *testing.T) {
	for a, want := range map[Availability]int{InStock: 1000, LowStock: 1000, OutOfStock: 1001, Preorderable: 1002, Backorderable: 1003} {
		if got := a.Code(); got != want {
			t.Errorf("%s.Code() = %d, want %d", a, got, want)
		}
	}
}
