package inventory_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// TestItemColumnsMatchTable: models.ItemColumns, from which every item
// query is built, names exactly inventory_items' columns, once each.
func TestItemColumnsMatchTable(t *testing.T) {
	f := newFixture(t, 1, 1)
	var table []string
	if err := f.db.Raw(`SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'inventory_items' ORDER BY column_name`).Scan(&table).Error; err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, c := range models.ItemColumns {
		declared = append(declared, c.Name)
	}
	slices.Sort(declared)
	if !slices.Equal(declared, table) {
		t.Errorf("models.ItemColumns = %v,\nwant inventory_items' columns %v", declared, table)
	}
	if len(slices.Compact(slices.Clone(declared))) != len(declared) {
		t.Errorf("models.ItemColumns names a column twice: %v", declared)
	}
}

// TestQuantityStatesMatchEnum: models.QuantityColumns declares exactly the
// quantity_state enum's labels, in its order, each with a column of
// inventory_items.
func TestQuantityStatesMatchEnum(t *testing.T) {
	f := newFixture(t, 1, 1)
	var labels []string
	if err := f.db.Raw(`SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
		WHERE t.typname = 'quantity_state' ORDER BY e.enumsortorder`).Scan(&labels).Error; err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, q := range models.QuantityColumns {
		declared = append(declared, string(q.State))
		if !slices.ContainsFunc(models.ItemColumns, func(c models.ItemColumn) bool { return c.Name == q.Column }) {
			t.Errorf("state %s: column %q is not among models.ItemColumns", q.State, q.Column)
		}
	}
	if !slices.Equal(declared, labels) {
		t.Errorf("models.QuantityColumns states = %v, want quantity_state's labels %v", declared, labels)
	}
}

// TestItemScanMatchesColumnNames: an item read by position through the
// declaration equals the one GORM reads by column name, with a distinct
// value in every column, so each column maps to its own field.
func TestItemScanMatchesColumnNames(t *testing.T) {
	f := newFixture(t, 1, 1)
	v, l := f.variants[0], f.physical[0]
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err := f.db.Exec(`UPDATE inventory_items SET on_hand = 11, committed = 2, qty_backordered = 3, safety_stock = 4,
		warning_level = 5, backorder_limit = 6, bin_picking_number = 'B-7', tracking_mode = 'STATUS', is_in_stock = false,
		revision = 8, reference = 'R-9', metadata = '{"k": 10}', damaged = 12, quality_control = 13, incoming = 14,
		next_incoming_at = ?, backorder_threshold = 15, preorder_enabled = true, preorder_limit = 16, preorder_threshold = 17,
		qty_preordered = 18, preorder_message = 'M-19', availability_date = ?
		WHERE variant_id = ? AND location_id = ?`, at, at.Add(time.Hour), v, l).Error
	if err != nil {
		t.Fatal(err)
	}
	byName := f.item(t, v, l)
	byPosition, err := inventory.ItemsByVariants(context.Background(), f.db, f.actor.Store.ID, []int64{v})
	if err != nil {
		t.Fatal(err)
	}
	got := byPosition[v]
	if len(got) != 1 {
		t.Fatalf("ItemsByVariants(%d) = %d items, want 1", v, len(got))
	}
	if !reflect.DeepEqual(got[0], byName) {
		t.Errorf("ItemsByVariants(%d) = %+v,\nwant GORM's %+v", v, got[0], byName)
	}
	for _, q := range models.QuantityColumns {
		var stored int
		f.db.Raw(`SELECT `+q.Column+` FROM inventory_items WHERE variant_id = ? AND location_id = ?`, v, l).Scan(&stored)
		if got := *byName.Quantity(q.State); got != stored {
			t.Errorf("item.Quantity(%s) = %d, want column %s's %d", q.State, got, q.Column, stored)
		}
	}
}
