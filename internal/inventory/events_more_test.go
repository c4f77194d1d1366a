package inventory_test

import (
	"context"
	"slices"
	"testing"

	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// storeEvents returns the store's events in (xid, id) order, read from the
// table directly: these tests check what the writes wrote, not the reader.
func (f fixture) storeEvents(t *testing.T) []models.StockEvent {
	t.Helper()
	var evs []models.StockEvent
	err := f.db.Model(&models.StockEvent{}).Select("*, xid::text::bigint AS xid").
		Where("store_id = ?", f.actor.Store.ID).Order("stock_events.xid, stock_events.id").Find(&evs).Error
	if err != nil {
		t.Fatalf("load events: %v", err)
	}
	return evs
}

func eventTypes(evs []models.StockEvent) []models.StockEventType {
	var out []models.StockEventType
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// TestWritesRecordTheirEvents checks that an adjustment writes its events
// in its transaction, with the item, product, movements, reason and
// levels, and that a rejected batch and a dry run write none.
func TestWritesRecordTheirEvents(t *testing.T) {
	f := newFixture(t, 1, 1)
	ctx := context.Background()
	f.actor.TokenID = 0
	v, loc := f.variants[0], f.physical[0]
	before := len(f.storeEvents(t))
	set := func(n int, dry bool, key string) error {
		_, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count", Reference: "C-1", DryRun: dry,
			IdempotencyKey: key, Lines: []inventory.AdjustLine{{LocationID: loc, Variant: inventory.VariantRef{VariantID: v}, Quantity: &n}}})
		return err
	}
	if err := set(0, false, ""); err != nil {
		t.Fatal(err)
	}
	evs := f.storeEvents(t)[before:]
	if got := eventTypes(evs); len(got) == 0 || got[0] != models.EventStockChanged || !slices.Contains(got, models.EventOutOfStock) {
		t.Fatalf("events of selling out = %v, want STOCK_CHANGED, OUT_OF_STOCK, …", got)
	}
	e := evs[0]
	var product int64
	f.db.Raw("SELECT product_id FROM variants WHERE id = ?", v).Scan(&product)
	it := f.item(t, v, loc)
	if e.ItemID != it.ID || e.VariantID != v || e.ProductID != product || e.LocationID != loc || e.Reason != "count" ||
		e.Reference != "C-1" || len(e.MovementIDs) != 1 || e.After.OnHand() != 0 || e.Before.OnHand() == 0 || e.OperationID == "" {
		t.Errorf("STOCK_CHANGED = %+v, want item %d, variant %d, product %d, location %d, reason count, reference C-1, one movement, on hand → 0",
			e, it.ID, v, product, loc)
	}
	n := len(f.storeEvents(t))
	if err := set(5, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := set(-1, false, ""); err == nil {
		t.Fatal("setting on hand to -1 succeeded, want NEGATIVE_STOCK")
	}
	if got := len(f.storeEvents(t)); got != n {
		t.Errorf("a dry run and a rejected write added %d events, want none", got-n)
	}
	if err := set(8, false, "k"); err != nil {
		t.Fatal(err)
	}
	if err := set(8, false, "k"); err != nil { // a replay writes nothing
		t.Fatal(err)
	}
	if got := eventTypes(f.storeEvents(t)[n:]); !slices.Equal(got, []models.StockEventType{models.EventStockChanged, models.EventBackInStock, models.EventAvailabilityChanged}) {
		t.Errorf("events of receiving 8 (sent twice with one key) = %v, want STOCK_CHANGED, BACK_IN_STOCK, AVAILABILITY_CHANGED once", got)
	}
	f.mustBeConsistent(t)
}
