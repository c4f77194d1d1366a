package inventory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"stockgraph/internal/catalog"
	"stockgraph/internal/inventory"
)

// TestLedgerNeverNamesADeletedLocation races the first adjustment of an
// item at a new location with the location's deletion, many times. The
// ledger has no foreign key to locations (migration 00019): what keeps
// its movements' locations in existence is that both take the item's
// row lock. Either the adjustment lands and the deletion is refused for
// the history, or the location goes and the adjustment fails; never a
// movement that names a location no longer there.
func TestLedgerNeverNamesADeletedLocation(t *testing.T) {
	f := newFixture(t, 1, 1)
	ctx := context.Background()
	v := f.variants[0]
	for i := range 40 {
		loc, err := catalog.CreateLocation(ctx, f.db, f.actor.Store.ID, catalog.LocationPatch{Code: ptr(fmt.Sprintf("RACE-%d", i)), Name: ptr("Race")})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := inventory.StockVariant(ctx, f.db, f.actor, inventory.Stocking{VariantID: v, LocationID: loc.ID}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var adjustErr, deleteErr error
		wg.Go(func() {
			_, adjustErr = inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "received",
				Lines: []inventory.AdjustLine{{LocationID: loc.ID, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(1)}}})
		})
		wg.Go(func() { deleteErr = catalog.DeleteLocation(ctx, f.db, f.actor.Store.ID, loc.ID) })
		wg.Wait()
		if (adjustErr == nil) == (deleteErr == nil) {
			t.Fatalf("round %d: adjust error = %v, delete error = %v; want exactly one to fail", i, adjustErr, deleteErr)
		}
	}
	var orphans int64
	if err := f.db.Raw(`SELECT count(*) FROM inventory_movements m WHERE m.store_id = ? AND NOT EXISTS
		(SELECT 1 FROM locations l WHERE l.store_id = m.store_id AND l.id = m.to_location_id)`, f.actor.Store.ID).Scan(&orphans).Error; err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d movements name a deleted location", orphans)
	}
	f.mustBeConsistent(t)
}
