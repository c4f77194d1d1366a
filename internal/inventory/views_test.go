package inventory

import (
	"fmt"
	"slices"
	"testing"

	"stockgraph/models"
)

// The store of these tests: two warehouses of equal priority (ordered by
// ID), a store of higher priority, a disabled warehouse and the virtual
// supplier, listed out of order on purpose.
var (
	whLow    = models.Location{ID: 5, Type: models.LocationWarehouse, Enabled: true, Priority: 1}
	whLow2   = models.Location{ID: 3, Type: models.LocationWarehouse, Enabled: true, Priority: 1}
	shop     = models.Location{ID: 9, Type: models.LocationStore, Enabled: true, Priority: 10}
	disabled = models.Location{ID: 2, Type: models.LocationWarehouse, Enabled: false, Priority: 50}
	supplier = models.Location{ID: 1, Type: models.LocationSupplier, Enabled: true, Priority: 99}
	store    = []models.Location{whLow, supplier, shop, disabled, whLow2}
)

func at(loc models.Location, variantID int64, onHand int) models.InventoryItem {
	it := qty(onHand, 0, 0)
	it.LocationID, it.VariantID = loc.ID, variantID
	return it
}

// where lists the items' locations and quantities, for failure messages.
func where(items []models.InventoryItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprintf("loc %d var %d: %d", it.LocationID, it.VariantID, it.OnHand)
	}
	return out
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

func TestAggregate(t *testing.T) {
	tests := []struct {
		name      string
		items     []models.InventoryItem
		locations []models.Location
		want      int // on hand
	}{
		{"enabled physical locations add up", []models.InventoryItem{at(whLow, 1, 4), at(shop, 1, 6)}, store, 10},
		{"a disabled location is left out", []models.InventoryItem{at(whLow, 1, 4), at(disabled, 1, 100)}, store, 4},
		{"a virtual location is left out", []models.InventoryItem{at(supplier, 1, 100), at(whLow2, 1, 2)}, store, 2},
		{"a location the store does not list is left out", []models.InventoryItem{at(whLow, 1, 4), at(models.Location{ID: 77}, 1, 100)}, store, 4},
		{"several variants at one location", []models.InventoryItem{at(shop, 1, 1), at(shop, 2, 2), at(shop, 3, 3)}, store, 6},
		{"no items", nil, store, 0},
		{"no locations", []models.InventoryItem{at(shop, 1, 5)}, nil, 0},
	}
	for _, tt := range tests {
		if got := Aggregate(tt.items, tt.locations, allOff).OnHand; got != tt.want {
			t.Errorf("Aggregate(%s: %v).OnHand = %d, want %d", tt.name, where(tt.items), got, tt.want)
		}
	}
}

func TestAggregateMatchesSummarizeOfCounted(t *testing.T) {
	items := []models.InventoryItem{at(whLow, 1, 4), at(disabled, 1, 100), at(shop, 2, 0), at(supplier, 2, 7)}
	got := Aggregate(items, store, allOn)
	want := Summarize([]models.InventoryItem{items[0], items[2]}, allOn)
	if got != want {
		t.Errorf("Aggregate(%v) = %+v, want Summarize of the counted items %+v", where(items), got, want)
	}
}

func TestByLocation(t *testing.T) {
	items := []models.InventoryItem{at(whLow, 1, 1), at(shop, 1, 2), at(disabled, 1, 3), at(whLow2, 1, 4), at(whLow, 2, 5)}
	tests := []struct {
		name   string
		wanted []int64
		want   []int64 // location IDs, in order
	}{
		// disabled (50), shop (10), then the two warehouses of priority 1 by ID.
		{"all, in priority then ID order, disabled shown", nil, []int64{2, 9, 3, 5, 5}},
		{"only the wanted", []int64{5, 9}, []int64{9, 5, 5}},
		{"wanted without items", []int64{1}, []int64{}},
		{"wanted unknown", []int64{404}, []int64{}},
		{"none wanted", []int64{}, []int64{}},
	}
	for _, tt := range tests {
		got := ByLocation(items, store, tt.wanted)
		ids := make([]int64, len(got))
		for i, it := range got {
			ids[i] = it.LocationID
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("ByLocation(%s, wanted %v) locations = %v, want %v", tt.name, tt.wanted, ids, tt.want)
		}
	}
	// Items at one location keep their order (variant 1 before 2 at whLow).
	got := ByLocation(items, store, []int64{5})
	if len(got) != 2 || got[0].VariantID != 1 || got[1].VariantID != 2 {
		t.Errorf("ByLocation(at %d) = %v, want variant 1 then 2", whLow.ID, where(got))
	}
	if items[0].LocationID != whLow.ID || items[1].LocationID != shop.ID {
		t.Errorf("ByLocation changed its input: %v", where(items))
	}
}

func TestSummariesByLocation(t *testing.T) {
	items := []models.InventoryItem{at(whLow, 1, 1), at(shop, 1, 2), at(whLow, 2, 5), at(disabled, 2, 3)}
	tests := []struct {
		wanted []int64
		want   []string
	}{
		{nil, []string{"2: 3", "9: 2", "5: 6"}},
		{[]int64{5}, []string{"5: 6"}},
		{[]int64{3}, nil}, // a location without items has no entry
	}
	for _, tt := range tests {
		var got []string
		for _, s := range SummariesByLocation(items, store, tt.wanted, allOff) {
			got = append(got, fmt.Sprintf("%d: %d", s.Location.ID, s.OnHand))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("SummariesByLocation(%v, wanted %v) = %v, want %v", where(items), tt.wanted, got, tt.want)
		}
	}
}

func TestCompareLocations(t *testing.T) {
	got := slices.Clone(store)
	slices.SortFunc(got, CompareLocations)
	var ids []int64
	for _, l := range got {
		ids = append(ids, l.ID)
	}
	if want := []int64{1, 2, 9, 3, 5}; !slices.Equal(ids, want) {
		t.Errorf("locations sorted by CompareLocations = %v, want %v (priority down, then ID up)", ids, want)
	}
}
