package inventory_test

import (
	"context"
	"sync"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/internal/ledger"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"

	"gorm.io/gorm"
)

// fixture is a seeded store with its first variant and location.
type fixture struct {
	db       *gorm.DB
	actor    inventory.Actor
	variants []int64
	physical []int64
}

func newFixture(t testing.TB, variants, locations int) fixture {
	t.Helper()
	db := testdb.MustOpenDB(t)
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: "inv", Products: 1, Variants: variants, Locations: locations})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{db: db.DB, actor: inventory.Actor{Store: res.Store}}
	db.Raw(`SELECT id FROM variants ORDER BY id`).Scan(&f.variants)
	db.Raw(`SELECT id FROM locations WHERE type IN ('STORE', 'WAREHOUSE') ORDER BY id`).Scan(&f.physical)
	return f
}

func (f fixture) item(t testing.TB, variant, location int64) models.InventoryItem {
	t.Helper()
	var it models.InventoryItem
	if err := f.db.Where("variant_id = ? AND location_id = ?", variant, location).Take(&it).Error; err != nil {
		t.Fatalf("load item: %v", err)
	}
	return it
}

func (f fixture) mustBeConsistent(t testing.TB) {
	t.Helper()
	bad, err := ledger.Inconsistencies(context.Background(), f.db, f.actor.Store.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("ledger differs from levels: %+v", bad)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAdjustAbsoluteAndRelative(t *testing.T) {
	f := newFixture(t, 2, 2)
	ctx := context.Background()
	v, l := f.variants[0], f.physical[0]
	before := f.item(t, v, l)
	res, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(40)}}})
	if err != nil {
		t.Fatalf("Adjust(absolute 40) error = %v", err)
	}
	if got := res.Items[0]; got.OnHand != 40 || got.Revision != before.Revision+1 {
		t.Errorf("Adjust(absolute 40) item = onHand %d revision %d, want 40, %d", got.OnHand, got.Revision, before.Revision+1)
	}
	if len(res.Movements) != 1 || res.Movements[0].Quantity != abs(40-before.OnHand) {
		t.Errorf("Adjust(absolute 40) movements = %+v, want one of %d", res.Movements, abs(40-before.OnHand))
	}
	res, err = inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "sold",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(-5)}}})
	if err != nil || res.Items[0].OnHand != 35 {
		t.Fatalf("Adjust(relative -5) = %+v, %v, want onHand 35", res.Items, err)
	}
	f.mustBeConsistent(t)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestConcurrentRelativeAdjustments: 64 goroutines each take one unit of
// the same item; none may be lost.
func TestConcurrentRelativeAdjustments(t *testing.T) {
	f := newFixture(t, 1, 1)
	v, l := f.variants[0], f.physical[0]
	ctx := context.Background()
	if _, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(100)}}}); err != nil {
		t.Fatal(err)
	}
	const workers = 64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			_, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "sale",
				Lines: []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(-1)}}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Adjust error = %v", err)
		}
	}
	if got := f.item(t, v, l).OnHand; got != 100-workers {
		t.Errorf("onHand after %d concurrent −1 = %d, want %d", workers, got, 100-workers)
	}
	var sales int64
	f.db.Model(&models.Movement{}).Where("reason = 'sale' AND quantity = 1").Count(&sales)
	if sales != workers {
		t.Errorf("ledger has %d sale movements, want %d", sales, workers)
	}
	f.mustBeConsistent(t)
}

func TestAdjustErrors(t *testing.T) {
	f := newFixture(t, 2, 2)
	ctx := context.Background()
	v, l := f.variants[0], f.physical[0]
	it := f.item(t, v, l)
	tests := []struct {
		name  string
		lines []inventory.AdjustLine
		mode  inventory.AdjustMode
		code  apperr.Code
		index int
	}{
		{"negative stock", []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(-1000)}}, inventory.Relative, apperr.NegativeStock, 0},
		{"above bound", []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(100000)}}, inventory.Absolute, apperr.BadUserInput, 0},
		{"revision", []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(1), ExpectedRevision: ptr(it.Revision + 7)}}, inventory.Absolute, apperr.RevisionConflict, 0},
		{"unknown SKU second", []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(1)}, {LocationID: l, Variant: inventory.VariantRef{SKU: "nope"}, Quantity: ptr(1)}}, inventory.Absolute, apperr.NotFound, 1},
		{"duplicate", []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(1)}, {LocationID: l, Variant: inventory.VariantRef{VariantID: v}, Quantity: ptr(2)}}, inventory.Absolute, apperr.BadUserInput, 1},
		{"product with two variants", []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{ProductID: 1}, Quantity: ptr(1)}}, inventory.Absolute, apperr.BadUserInput, 0},
		{"backorders off", []inventory.AdjustLine{{LocationID: l, Variant: inventory.VariantRef{VariantID: v}, QtyBackordered: ptr(5)}}, inventory.Relative, apperr.FeatureDisabled, 0},
	}
	for _, tt := range tests {
		_, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: tt.mode, Reason: "x", Lines: tt.lines})
		e, ok := apperr.As(err)
		if !ok || e.Code != tt.code || e.Index != tt.index {
			t.Errorf("Adjust(%s) error = %v, want %s at index %d", tt.name, err, tt.code, tt.index)
		}
	}
	if got := f.item(t, v, l); got.OnHand != it.OnHand || got.Revision != it.Revision {
		t.Errorf("after failed adjustments item = %d rev %d, want unchanged %d rev %d", got.OnHand, got.Revision, it.OnHand, it.Revision)
	}
	f.mustBeConsistent(t)
}
