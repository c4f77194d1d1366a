package inventory_test

import (
	"context"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// Helpers shared by the *_more_test.go files. They build on newFixture and
// mustBeConsistent from adjust_test.go.

// virtualIDs are a store's virtual locations.
type virtualIDs struct{ supplier, sold, bin int64 }

func (f fixture) virtual(t *testing.T) virtualIDs {
	t.Helper()
	var rows []models.Location
	if err := f.db.Where("store_id = ? AND type NOT IN ('STORE', 'WAREHOUSE')", f.actor.Store.ID).Find(&rows).Error; err != nil {
		t.Fatalf("load virtual locations: %v", err)
	}
	var v virtualIDs
	for _, l := range rows {
		switch l.Code {
		case "SUPPLIER":
			v.supplier = l.ID
		case "SOLD":
			v.sold = l.ID
		case "BIN":
			v.bin = l.ID
		}
	}
	if v.supplier == 0 || v.sold == 0 || v.bin == 0 {
		t.Fatalf("virtual locations = %+v, want SUPPLIER, SOLD and BIN", v)
	}
	return v
}

// configure changes the store's switches and the fixture's actor with them.
func (f *fixture) configure(t *testing.T, p inventory.ConfigurationPatch) {
	t.Helper()
	store, err := inventory.UpdateConfiguration(context.Background(), f.db, f.actor.Store.ID, p)
	if err != nil {
		t.Fatalf("UpdateConfiguration(%+v) error = %v", p, err)
	}
	f.actor.Store = store
}

// movementCount is the number of rows in the store's ledger.
func (f fixture) movementCount(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := f.db.Model(&models.Movement{}).Where("store_id = ?", f.actor.Store.ID).Count(&n).Error; err != nil {
		t.Fatalf("count movements: %v", err)
	}
	return n
}

// items returns every inventory item of the store by ID.
func (f fixture) items(t *testing.T) map[int64]models.InventoryItem {
	t.Helper()
	var rows []models.InventoryItem
	if err := f.db.Where("store_id = ?", f.actor.Store.ID).Order("id").Find(&rows).Error; err != nil {
		t.Fatalf("load items: %v", err)
	}
	out := make(map[int64]models.InventoryItem, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out
}

// setOnHand sets absolute on-hand levels (and zero backorders) of the
// variants at a location.
func (f fixture) setOnHand(t *testing.T, location int64, levels map[int64]int) inventory.ChangeResult {
	t.Helper()
	var lines []inventory.AdjustLine
	for v, q := range levels {
		lines = append(lines, inventory.AdjustLine{LocationID: location, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(q), QtyBackordered: ptr(0)})
	}
	res, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "stock count", Lines: lines})
	if err != nil {
		t.Fatalf("Adjust(absolute %v at %d) error = %v", levels, location, err)
	}
	return res
}

// wantAppErr checks err is an *apperr.Error with the code and returns it.
func wantAppErr(t *testing.T, what string, err error, code apperr.Code) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("%s error = %v (code %s), want %s", what, err, apperr.CodeOf(err), code)
	}
	return e
}

// ref names a variant by ID.
func ref(v int64) inventory.VariantRef { return inventory.VariantRef{VariantID: v} }

// newCountedFixture is newFixture with the pool's statement counter kept.
func newCountedFixture(t *testing.T, products, variants, locations int) (fixture, *database.DB) {
	t.Helper()
	db := testdb.MustOpenDB(t)
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: "bulk", Products: products, Variants: variants, Locations: locations})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{db: db.DB, actor: inventory.Actor{Store: res.Store}}
	db.Raw(`SELECT id FROM variants ORDER BY id`).Scan(&f.variants)
	db.Raw(`SELECT id FROM locations WHERE type IN ('STORE', 'WAREHOUSE') ORDER BY id`).Scan(&f.physical)
	return f, db
}
