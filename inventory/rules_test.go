package inventory

import (
	"testing"

	"stockgraph/models"
)

func qty(onHand, safety, warning int) models.InventoryItem {
	return models.InventoryItem{TrackingMode: models.TrackQuantity, OnHand: onHand, SafetyStock: safety, WarningLevel: warning}
}

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

func TestSummarize(t *testing.T) {
	tests := []struct {
		name  string
		items []models.InventoryItem
		want  Summary
	}{
		{"none", nil, Summary{Availability: OutOfStock}},
		{"in stock", []models.InventoryItem{qty(12, 2, 2)}, Summary{AvailableToSell: 10, OnHand: 12, SafetyStock: 2, WarningLevel: 2, Availability: InStock}},
		{"low at warning level", []models.InventoryItem{qty(5, 0, 5)}, Summary{AvailableToSell: 5, OnHand: 5, WarningLevel: 5, Availability: LowStock}},
		{"out", []models.InventoryItem{qty(2, 2, 1)}, Summary{OnHand: 2, SafetyStock: 2, WarningLevel: 1, Availability: OutOfStock}},
		{"sums per item", []models.InventoryItem{qty(1, 5, 0), qty(10, 0, 3)}, Summary{AvailableToSell: 10, OnHand: 11, SafetyStock: 5, WarningLevel: 3, Availability: InStock}},
		{"status in stock", []models.InventoryItem{{TrackingMode: models.TrackStatus, IsInStock: true}}, Summary{Availability: InStock}},
		{"status out", []models.InventoryItem{{TrackingMode: models.TrackStatus}}, Summary{Availability: OutOfStock}},
		{"untracked", []models.InventoryItem{{TrackingMode: models.TrackUntracked}, qty(0, 0, 0)}, Summary{Availability: InStock}},
		{"backorders add up", []models.InventoryItem{{TrackingMode: models.TrackQuantity, QtyBackordered: 2, BackorderLimit: 33}, {TrackingMode: models.TrackQuantity, QtyBackordered: 1, BackorderLimit: 7}}, Summary{QtyBackordered: 3, BackorderLimit: 40, Availability: OutOfStock}},
	}
	for _, tt := range tests {
		if got := Summarize(tt.items); got != tt.want {
			t.Errorf("Summarize(%s) = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestCountsTowardAggregate(t *testing.T) {
	tests := []struct {
		loc  models.Location
		want bool
	}{
		{models.Location{Type: models.LocationWarehouse, Enabled: true}, true},
		{models.Location{Type: models.LocationStore, Enabled: true}, true},
		{models.Location{Type: models.LocationWarehouse, Enabled: false}, false},
		{models.Location{Type: models.LocationSupplier, Enabled: true}, false},
		{models.Location{Type: models.LocationBin, Enabled: true}, false},
	}
	for _, tt := range tests {
		if got := CountsTowardAggregate(tt.loc); got != tt.want {
			t.Errorf("CountsTowardAggregate(%s enabled=%v) = %v, want %v", tt.loc.Type, tt.loc.Enabled, got, tt.want)
		}
	}
}
