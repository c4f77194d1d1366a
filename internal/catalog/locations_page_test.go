package catalog_test

import (
	"slices"
	"testing"
	"time"

	"stockgraph/internal/catalog"
	"stockgraph/internal/page"
	"stockgraph/models"
)

func TestPageLocations(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	loc := func(id int64, code, name string, priority int, typ models.LocationType, enabled bool, age int) models.Location {
		return models.Location{ID: id, Code: code, Name: name, Priority: priority, Type: typ, Enabled: enabled, CreatedAt: t0.Add(time.Duration(age) * time.Hour)}
	}
	// In shipping order, as catalog.Locations returns them.
	all := []models.Location{
		loc(3, "WH-B", "Berlin", 20, models.LocationWarehouse, true, 3),
		loc(1, "SHOP", "Amsterdam", 10, models.LocationStore, true, 1),
		loc(4, "WH-A", "Copenhagen", 10, models.LocationWarehouse, false, 0),
		loc(2, "SUPPLIER", "Supplier", 0, models.LocationSupplier, true, 2),
	}
	yes, no := true, false
	w := page.Window{Limit: 10}
	tests := []struct {
		name string
		q    catalog.LocationQuery
		want []int64
	}{
		{"shipping order", catalog.LocationQuery{Window: w}, []int64{3, 1, 4, 2}},
		{"priority ascending, ties by ID", catalog.LocationQuery{Sort: catalog.LocationsByPriority, Window: w}, []int64{2, 1, 4, 3}},
		{"priority descending", catalog.LocationQuery{Sort: catalog.LocationsByPriority, Descending: true, Window: w}, []int64{3, 4, 1, 2}},
		{"code", catalog.LocationQuery{Sort: catalog.LocationsByCode, Window: w}, []int64{1, 2, 4, 3}},
		{"name descending", catalog.LocationQuery{Sort: catalog.LocationsByName, Descending: true, Window: w}, []int64{2, 4, 3, 1}},
		{"created at", catalog.LocationQuery{Sort: catalog.LocationsByCreatedAt, Window: w}, []int64{4, 1, 2, 3}},
		{"ID", catalog.LocationQuery{Sort: catalog.LocationsByID, Window: w}, []int64{1, 2, 3, 4}},
		{"warehouses", catalog.LocationQuery{Types: []models.LocationType{models.LocationWarehouse}, Window: w}, []int64{3, 4}},
		{"enabled", catalog.LocationQuery{Enabled: &yes, Sort: catalog.LocationsByCode, Window: w}, []int64{1, 2, 3}},
		{"disabled", catalog.LocationQuery{Enabled: &no, Window: w}, []int64{4}},
		{"a page after a position", catalog.LocationQuery{Sort: catalog.LocationsByCode, Window: page.Window{Limit: 2, From: &page.Position{ID: 2}}}, []int64{4, 3}},
	}
	for _, tt := range tests {
		p, err := catalog.PageLocations(all, tt.q)
		if err != nil {
			t.Fatalf("PageLocations(%s) error = %v", tt.name, err)
		}
		var got []int64
		for _, l := range p.Items {
			got = append(got, l.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("PageLocations(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := all[0].ID; got != 3 {
		t.Errorf("PageLocations reordered its input: first = %d, want 3", got)
	}
	if _, err := catalog.PageLocations(all, catalog.LocationQuery{Sort: "SIZE", Window: w}); err == nil {
		t.Error("PageLocations(sort by SIZE) error = nil, want BAD_USER_INPUT")
	}
}
