package inventory_test

import (
	"context"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// bulkFixture is two products of two variants each, stocked at two
// physical locations; the first is the store's default.
type bulkFixture struct {
	fixture
	products []int64
	supplier int64
}

func newBulkFixture(t *testing.T) bulkFixture {
	t.Helper()
	f, _ := newCountedFixture(t, 2, 2, 2)
	b := bulkFixture{fixture: f, supplier: f.virtual(t).supplier}
	f.db.Raw(`SELECT id FROM products WHERE store_id = ? ORDER BY id`, f.actor.Store.ID).Scan(&b.products)
	for _, v := range f.variants {
		f.setOnHand(t, f.physical[0], map[int64]int{v: 100})
		f.setOnHand(t, f.physical[1], map[int64]int{v: 0})
	}
	f.db.Exec(`UPDATE inventory_items SET tracking_mode = 'UNTRACKED' WHERE store_id = ?`, f.actor.Store.ID)
	return b
}

func (f bulkFixture) trackingOf(t *testing.T) map[models.TrackingMode]int {
	t.Helper()
	out := map[models.TrackingMode]int{}
	for _, it := range f.items(t) {
		out[it.TrackingMode]++
	}
	return out
}

// TestBulkUpdateZettleExample: Zettle's bulk call starts tracking a
// product and moves 42 and 1,337 units of its two variants in one call;
// the balances are the default location's when none is asked for, and
// another location's when asked.
func TestBulkUpdateZettleExample(t *testing.T) {
	f := newBulkFixture(t)
	ctx := context.Background()
	v, store, warehouse := f.variants, f.physical[0], f.physical[1]
	u := inventory.BulkUpdate{Products: []inventory.ProductChange{{ProductID: f.products[0], Tracking: inventory.StartTracking,
		Moves: []inventory.MoveLine{
			{Variant: ref(v[0]), FromLocationID: f.supplier, ToLocationID: warehouse, Quantity: 42},
			{Variant: ref(v[1]), FromLocationID: f.supplier, ToLocationID: warehouse, Quantity: 1337},
		}}}}
	res, err := inventory.BulkUpdateStock(ctx, f.db, f.actor, u)
	if err != nil {
		t.Fatalf("BulkUpdateStock error = %v", err)
	}
	if res.BalanceLocationID != store || len(res.Balances) != 2 || res.Balances[0].OnHand != 100 || res.Balances[0].LocationID != store {
		t.Errorf("balances = %+v at %d, want the default location %d's: 100 and 100", res.Balances, res.BalanceLocationID, store)
	}
	if res.TrackingChanged != 4 || len(res.Movements) != 2 {
		t.Errorf("tracking changed %d items with %d movements, want 4 (two variants at two locations) and 2", res.TrackingChanged, len(res.Movements))
	}
	if got := f.item(t, v[1], warehouse); got.OnHand != 1337 || got.TrackingMode != models.TrackQuantity {
		t.Errorf("warehouse item of %d = %d on hand, %s, want 1337, QUANTITY", v[1], got.OnHand, got.TrackingMode)
	}
	if got := f.item(t, v[2], warehouse); got.TrackingMode != models.TrackUntracked {
		t.Errorf("the other product's item = %s, want UNTRACKED", got.TrackingMode)
	}
	u = inventory.BulkUpdate{ReturnBalanceFor: warehouse, Products: []inventory.ProductChange{{ProductID: f.products[1], Tracking: inventory.StopTracking}}}
	res, err = inventory.BulkUpdateStock(ctx, f.db, f.actor, u)
	if err != nil || res.BalanceLocationID != warehouse || len(res.Balances) != 2 || res.Balances[0].VariantID != v[2] || res.Balances[0].OnHand != 0 {
		t.Errorf("BulkUpdateStock(STOP_TRACKING, returnBalanceFor warehouse) = %+v at %d, %v; want the product's 2 variants at %d",
			res.Balances, res.BalanceLocationID, err, warehouse)
	}
	f.mustBeConsistent(t)
}

// TestBulkUpdateAllOrNothing: one failing line of a bulk update applies
// nothing, tracking changes included, and the error names each failing
// line as it was sent.
func TestBulkUpdateAllOrNothing(t *testing.T) {
	f := newBulkFixture(t)
	ctx := context.Background()
	v, store, warehouse := f.variants, f.physical[0], f.physical[1]
	good := inventory.MoveLine{Variant: ref(v[0]), FromLocationID: store, ToLocationID: warehouse, Quantity: 1}
	for _, c := range []struct {
		name  string
		u     inventory.BulkUpdate
		code  apperr.Code
		field string
		index int
	}{
		{"too many units", inventory.BulkUpdate{Products: []inventory.ProductChange{
			{ProductID: f.products[0], Tracking: inventory.StartTracking, Moves: []inventory.MoveLine{good}},
			{ProductID: f.products[1], Tracking: inventory.StartTracking, Moves: []inventory.MoveLine{
				{Variant: ref(v[2]), FromLocationID: store, ToLocationID: warehouse, Quantity: 1},
				{Variant: ref(v[3]), FromLocationID: store, ToLocationID: warehouse, Quantity: 101}}},
		}}, apperr.NegativeStock, "productChanges[1].variantChanges[1].quantity", 1},
		{"variant of another product", inventory.BulkUpdate{Products: []inventory.ProductChange{
			{ProductID: f.products[1], Tracking: inventory.StartTracking, Moves: []inventory.MoveLine{good}},
		}}, apperr.BadUserInput, "productChanges[0].variantChanges[0].variantId", 0},
		{"SKU of another product", inventory.BulkUpdate{Products: []inventory.ProductChange{
			{ProductID: f.products[0], Moves: []inventory.MoveLine{good,
				{Variant: inventory.VariantRef{SKU: f.sku(t, v[3])}, FromLocationID: store, ToLocationID: warehouse, Quantity: 1}}},
		}}, apperr.BadUserInput, "productChanges[0].variantChanges[1].sku", 0},
		{"unknown SKU", inventory.BulkUpdate{Products: []inventory.ProductChange{
			{ProductID: f.products[0], Tracking: inventory.StartTracking, Moves: []inventory.MoveLine{
				{Variant: inventory.VariantRef{SKU: "NOPE"}, FromLocationID: store, ToLocationID: warehouse, Quantity: 1}}},
		}}, apperr.NotFound, "productChanges[0].variantChanges[0].sku", 0},
		{"unknown product", inventory.BulkUpdate{Products: []inventory.ProductChange{
			{ProductID: f.products[0], Tracking: inventory.StartTracking}, {ProductID: 1 << 40, Tracking: inventory.StopTracking},
		}}, apperr.NotFound, "productChanges.productId", 1},
		{"product twice", inventory.BulkUpdate{Products: []inventory.ProductChange{
			{ProductID: f.products[0], Tracking: inventory.StartTracking}, {ProductID: f.products[0], Tracking: inventory.StopTracking},
		}}, apperr.BadUserInput, "productChanges.productId", 1},
		{"unknown balance location", inventory.BulkUpdate{ReturnBalanceFor: 1 << 40, Products: []inventory.ProductChange{
			{ProductID: f.products[0], Tracking: inventory.StartTracking, Moves: []inventory.MoveLine{good}},
		}}, apperr.NotFound, "returnBalanceForLocationId", -1},
	} {
		before, movements := f.items(t), f.movementCount(t)
		_, err := inventory.BulkUpdateStock(ctx, f.db, f.actor, c.u)
		e := wantAppErr(t, "BulkUpdateStock("+c.name+")", err, c.code)
		if e.Field != c.field || e.Index != c.index {
			t.Errorf("BulkUpdateStock(%s) error at %q index %d (%s), want %q index %d", c.name, e.Field, e.Index, e.Message, c.field, c.index)
		}
		after := f.items(t)
		for id, it := range before {
			if a := after[id]; a.OnHand != it.OnHand || a.TrackingMode != it.TrackingMode || a.Revision != it.Revision {
				t.Errorf("BulkUpdateStock(%s) changed item %d: %d %s r%d → %d %s r%d", c.name, id, it.OnHand, it.TrackingMode, it.Revision, a.OnHand, a.TrackingMode, a.Revision)
			}
		}
		if f.movementCount(t) != movements {
			t.Errorf("BulkUpdateStock(%s) wrote movements", c.name)
		}
	}
	f.noDefault(t)
	_, err := inventory.BulkUpdateStock(ctx, f.db, f.actor, inventory.BulkUpdate{Products: []inventory.ProductChange{{ProductID: f.products[0], Tracking: inventory.StartTracking}}})
	if e := wantAppErr(t, "BulkUpdateStock(no default, no returnBalanceFor)", err, apperr.NoDefaultLocation); e.Field != "returnBalanceForLocationId" {
		t.Errorf("BulkUpdateStock(no default) field = %q, want returnBalanceForLocationId", e.Field)
	}
	if got := f.trackingOf(t); got[models.TrackQuantity] != 0 {
		t.Errorf("tracking after refused updates = %v, want all UNTRACKED", got)
	}
}

// TestBulkUpdateIsIdempotent: the same call with the same key returns the
// first result and changes nothing more; the key with another input is
// IDEMPOTENCY_KEY_REUSED.
func TestBulkUpdateIsIdempotent(t *testing.T) {
	f := newBulkFixture(t)
	ctx := context.Background()
	u := inventory.BulkUpdate{IdempotencyKey: "zettle-1", Products: []inventory.ProductChange{{ProductID: f.products[0], Tracking: inventory.StartTracking,
		Moves: []inventory.MoveLine{{Variant: ref(f.variants[0]), FromLocationID: f.physical[0], ToLocationID: f.physical[1], Quantity: 5}}}}}
	first, err := inventory.BulkUpdateStock(ctx, f.db, f.actor, u)
	if err != nil || first.Replayed {
		t.Fatalf("BulkUpdateStock = replayed %v, %v; want applied", first.Replayed, err)
	}
	movements := f.movementCount(t)
	again, err := inventory.BulkUpdateStock(ctx, f.db, f.actor, u)
	if err != nil || !again.Replayed || again.TrackingChanged != first.TrackingChanged || len(again.Balances) != len(first.Balances) ||
		again.Balances[0] != first.Balances[0] {
		t.Errorf("BulkUpdateStock(again) = %+v, %v; want the first result %+v, replayed", again, err, first)
	}
	if f.movementCount(t) != movements || f.item(t, f.variants[0], f.physical[1]).OnHand != 5 {
		t.Errorf("BulkUpdateStock(again) moved units again")
	}
	u.Products[0].Moves[0].Quantity = 6
	_, err = inventory.BulkUpdateStock(ctx, f.db, f.actor, u)
	wantAppErr(t, "BulkUpdateStock(same key, other input)", err, apperr.IdempotencyKeyReused)
	f.mustBeConsistent(t)
}

func (f fixture) sku(t *testing.T, v int64) string {
	t.Helper()
	var sku string
	if err := f.db.Raw(`SELECT sku FROM variants WHERE id = ?`, v).Scan(&sku).Error; err != nil || sku == "" {
		t.Fatalf("SKU of variant %d = %q, %v", v, sku, err)
	}
	return sku
}
