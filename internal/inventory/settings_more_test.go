package inventory_test

import (
	"context"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

func (f fixture) settings(t *testing.T, location int64, lines ...inventory.SettingsLine) []models.InventoryItem {
	t.Helper()
	items, err := inventory.UpdateSettings(context.Background(), f.db, f.actor, inventory.SettingsChange{LocationID: location, Lines: lines})
	if err != nil {
		t.Fatalf("UpdateSettings(%+v) error = %v", lines, err)
	}
	return items
}

// TestOracleBackorderExample: backorders on, backorder level 200,
// threshold 15, nothing on hand → BACKORDERABLE, Oracle's 1003.
func TestOracleBackorderExample(t *testing.T) {
	f := newFixture(t, 1, 1)
	v, l := f.variants[0], f.physical[0]
	f.configure(t, inventory.ConfigurationPatch{BackordersEnabled: ptr(true)})
	f.setOnHand(t, l, map[int64]int{v: 0})
	items := f.settings(t, l, inventory.SettingsLine{Variant: ref(v), BackorderLimit: ptr(200), BackorderThreshold: ptr(15)})
	if it := items[0]; it.BackorderLimit != 200 || it.BackorderThreshold != 15 || it.OnHand != 0 {
		t.Fatalf("UpdateSettings item = limit %d threshold %d onHand %d, want 200, 15, 0", it.BackorderLimit, it.BackorderThreshold, it.OnHand)
	}
	s := inventory.Summarize([]models.InventoryItem{f.item(t, v, l)}, inventory.SwitchesOf(f.actor.Store))
	if s.Availability != inventory.Backorderable || s.Availability.Code() != 1003 || s.AvailableForBackorder != 200 {
		t.Errorf("Summarize(Oracle's item) = %s (%d), availableForBackorder %d, want BACKORDERABLE (1003), 200", s.Availability, s.Availability.Code(), s.AvailableForBackorder)
	}
	// 190 backordered leaves 10 of capacity, below the threshold.
	if _, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "orders",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v), QtyBackordered: ptr(190)}}}); err != nil {
		t.Fatal(err)
	}
	if s := inventory.Summarize([]models.InventoryItem{f.item(t, v, l)}, inventory.SwitchesOf(f.actor.Store)); s.Availability != inventory.OutOfStock || s.Availability.Code() != 1001 {
		t.Errorf("Summarize(10 left, threshold 15) = %s (%d), want OUT_OF_STOCK (1001)", s.Availability, s.Availability.Code())
	}
	_, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "orders",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v), QtyBackordered: ptr(11)}}})
	wantAppErr(t, "Adjust(backorder past the limit)", err, apperr.BackorderLimitExceeded)
	f.mustBeConsistent(t)
}

func TestSettingsNeedTheirSwitches(t *testing.T) {
	f := newFixture(t, 2, 1)
	ctx := context.Background()
	v, l := f.variants, f.physical[0]
	when := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
	for name, line := range map[string]inventory.SettingsLine{
		"backorderLimit":     {Variant: ref(v[0]), BackorderLimit: ptr(5)},
		"backorderThreshold": {Variant: ref(v[0]), BackorderThreshold: ptr(1)},
		"preorderEnabled":    {Variant: ref(v[0]), PreorderEnabled: ptr(true)},
		"preorderLimit":      {Variant: ref(v[0]), PreorderLimit: ptr(5)},
		"availabilityDate":   {Variant: ref(v[0]), AvailabilityDate: &when},
	} {
		_, err := inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l, Lines: []inventory.SettingsLine{{Variant: ref(v[1]), SafetyStock: ptr(1)}, line}})
		if e := wantAppErr(t, "UpdateSettings("+name+", switched off)", err, apperr.FeatureDisabled); e.Index != 1 {
			t.Errorf("UpdateSettings(%s, switched off) error index = %d, want 1", name, e.Index)
		}
	}
	if got := f.item(t, v[1], l).SafetyStock; got == 1 {
		t.Errorf("safetyStock after refused batches = 1, want unchanged")
	}
	// Zero and off are always allowed.
	f.settings(t, l, inventory.SettingsLine{Variant: ref(v[0]), BackorderLimit: ptr(0), PreorderEnabled: ptr(false), PreorderLimit: ptr(0)})

	f.configure(t, inventory.ConfigurationPatch{BackordersEnabled: ptr(true)})
	f.settings(t, l, inventory.SettingsLine{Variant: ref(v[0]), BackorderLimit: ptr(5)})
	_, err := inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l, Lines: []inventory.SettingsLine{{Variant: ref(v[0]), PreorderLimit: ptr(5)}}})
	wantAppErr(t, "UpdateSettings(preorderLimit, only backorders on)", err, apperr.FeatureDisabled)

	f.configure(t, inventory.ConfigurationPatch{PreordersEnabled: ptr(true)})
	items := f.settings(t, l, inventory.SettingsLine{Variant: ref(v[0]), PreorderEnabled: ptr(true), PreorderLimit: ptr(5), AvailabilityDate: &when})
	if it := items[0]; !it.PreorderEnabled || it.PreorderLimit != 5 || it.AvailabilityDate == nil || !it.AvailabilityDate.Equal(when) {
		t.Errorf("UpdateSettings(preorders on) item = enabled %v limit %d date %v, want true, 5, %v", it.PreorderEnabled, it.PreorderLimit, it.AvailabilityDate, when)
	}
	// Tracking by status has no quantities, so no preorder limit (Wix).
	_, err = inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l, Lines: []inventory.SettingsLine{{Variant: ref(v[0]), TrackingMode: ptr(models.TrackStatus)}}})
	wantAppErr(t, "UpdateSettings(STATUS with a preorder limit)", err, apperr.BadUserInput)
	_, err = inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l, Lines: []inventory.SettingsLine{{Variant: ref(v[1]), TrackingMode: ptr(models.TrackStatus), PreorderLimit: ptr(3)}}})
	wantAppErr(t, "UpdateSettings(STATUS and a preorder limit)", err, apperr.BadUserInput)
	items = f.settings(t, l, inventory.SettingsLine{Variant: ref(v[0]), TrackingMode: ptr(models.TrackStatus), PreorderLimit: ptr(0)})
	if items[0].TrackingMode != models.TrackStatus {
		t.Errorf("UpdateSettings(STATUS, preorder limit 0) tracking = %s, want STATUS", items[0].TrackingMode)
	}
	_, err = inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l, Lines: []inventory.SettingsLine{{Variant: ref(v[1]), SafetyStock: ptr(inventory.MaxLevel + 1)}}})
	wantAppErr(t, "UpdateSettings(safetyStock 100000)", err, apperr.BadUserInput)
}

func TestSettingsExpectedRevision(t *testing.T) {
	f := newFixture(t, 2, 1)
	ctx := context.Background()
	v, l := f.variants, f.physical[0]
	it := f.item(t, v[1], l)
	items := f.settings(t, l, inventory.SettingsLine{Variant: ref(v[1]), WarningLevel: ptr(9), ExpectedRevision: ptr(it.Revision)})
	if items[0].Revision != it.Revision+1 || items[0].WarningLevel != 9 {
		t.Errorf("UpdateSettings(expected revision %d) = revision %d warning %d, want %d, 9", it.Revision, items[0].Revision, items[0].WarningLevel, it.Revision+1)
	}
	_, err := inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l, Lines: []inventory.SettingsLine{
		{Variant: ref(v[0]), WarningLevel: ptr(2)},
		{Variant: ref(v[1]), WarningLevel: ptr(3), ExpectedRevision: ptr(it.Revision)}}})
	e := wantAppErr(t, "UpdateSettings(stale revision)", err, apperr.RevisionConflict)
	if ext := e.Extensions(); ext["currentRevision"] != it.Revision+1 || ext["index"] != 1 {
		t.Errorf("UpdateSettings(stale revision) extensions = %v, want currentRevision %d at index 1", ext, it.Revision+1)
	}
	if got := f.item(t, v[0], l).WarningLevel; got == 2 {
		t.Errorf("warningLevel of the other line = 2, want unchanged after the conflict")
	}
	// Adjustments check revisions the same way.
	_, err = inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "x",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v[1]), Quantity: ptr(1), ExpectedRevision: ptr(it.Revision)}}})
	if e := wantAppErr(t, "Adjust(stale revision)", err, apperr.RevisionConflict); e.Extensions()["currentRevision"] != it.Revision+1 {
		t.Errorf("Adjust(stale revision) extensions = %v, want currentRevision %d", e.Extensions(), it.Revision+1)
	}
}

// TestSetTrackingOfProducts switches every item of the products' variants.
func TestSetTrackingOfProducts(t *testing.T) {
	f, _ := newCountedFixture(t, 3, 2, 2)
	ctx := context.Background()
	var products []int64
	f.db.Raw(`SELECT id FROM products ORDER BY id`).Scan(&products)
	before := f.items(t)
	n, err := inventory.SetTracking(ctx, f.db, f.actor, inventory.Tracking{ProductIDs: products[:2], Mode: models.TrackUntracked})
	if err != nil || n != 8 {
		t.Fatalf("SetTracking(2 products of 2 variants at 2 locations) = %d, %v, want 8", n, err)
	}
	var inFirstTwo []int64
	f.db.Raw(`SELECT id FROM variants WHERE product_id IN ?`, products[:2]).Scan(&inFirstTwo)
	for id, it := range f.items(t) {
		want, rev := models.TrackQuantity, before[id].Revision
		for _, v := range inFirstTwo {
			if it.VariantID == v {
				want, rev = models.TrackUntracked, rev+1
			}
		}
		if it.TrackingMode != want || it.Revision != rev {
			t.Errorf("item %d (variant %d) tracking = %s rev %d, want %s rev %d", id, it.VariantID, it.TrackingMode, it.Revision, want, rev)
		}
	}
	if n, err := inventory.SetTracking(ctx, f.db, f.actor, inventory.Tracking{ProductIDs: products[:2], Mode: models.TrackUntracked}); err != nil || n != 0 {
		t.Errorf("SetTracking(again) = %d, %v, want 0 changed", n, err)
	}
	// Starting again changes only the items that were not tracked.
	if n, err := inventory.SetTracking(ctx, f.db, f.actor, inventory.Tracking{VariantIDs: inFirstTwo[:1], ProductIDs: products[2:], Mode: models.TrackQuantity}); err != nil || n != 2 {
		t.Errorf("SetTracking(1 variant and 1 product, QUANTITY) = %d, %v, want 2", n, err)
	}
	_, err = inventory.SetTracking(ctx, f.db, f.actor, inventory.Tracking{ProductIDs: products, Mode: models.TrackStatus})
	wantAppErr(t, "SetTracking(STATUS)", err, apperr.BadUserInput)
	_, err = inventory.SetTracking(ctx, f.db, f.actor, inventory.Tracking{ProductIDs: products, Mode: "SOMETIMES"})
	wantAppErr(t, "SetTracking(unknown mode)", err, apperr.BadUserInput)
	_, err = inventory.SetTracking(ctx, f.db, f.actor, inventory.Tracking{Mode: models.TrackUntracked})
	wantAppErr(t, "SetTracking(nothing named)", err, apperr.BadUserInput)
}

// TestAllowNegativeStock: with the switch on, −5 of 2 leaves −3; the
// ±99,999 bounds hold either way.
func TestAllowNegativeStock(t *testing.T) {
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	v, l, other := f.variants[0], f.physical[0], f.physical[1]
	f.setOnHand(t, l, map[int64]int{v: 2})
	take := func(q int) (inventory.ChangeResult, error) {
		return inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "sale",
			Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v), Quantity: ptr(q)}}})
	}
	_, err := take(-5)
	wantAppErr(t, "Adjust(−5 of 2, switch off)", err, apperr.NegativeStock)

	f.configure(t, inventory.ConfigurationPatch{AllowNegativeStock: ptr(true)})
	res, err := take(-5)
	if err != nil || res.Items[0].OnHand != -3 {
		t.Fatalf("Adjust(−5 of 2, switch on) = %+v, %v, want onHand −3", res.Items, err)
	}
	if m := res.Movements[0]; m.FromLocationID != l || m.Quantity != 5 || m.FromBalance == nil || *m.FromBalance != -3 {
		t.Errorf("movement of −5 = %+v, want 5 out of %d leaving −3", m, l)
	}
	// Moves may take on hand below zero too, but no other state.
	mres, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v), FromLocationID: l, ToLocationID: other, Quantity: 2}}})
	if err != nil || mres.Balances[0].OnHand != -5 {
		t.Errorf("MoveStock(2 of −3, switch on) = %+v, %v, want balance −5", mres.Balances, err)
	}
	_, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v), FromLocationID: l, FromState: models.StateDamaged, ToLocationID: other, Quantity: 1}}})
	wantAppErr(t, "MoveStock(damaged below zero)", err, apperr.NegativeStock)

	// The bounds: −99,999 is the floor, 99,999 the ceiling.
	if _, err := take(-(inventory.MaxLevel - 5)); err != nil {
		t.Errorf("Adjust(down to −99,999) error = %v", err)
	}
	_, err = take(-1)
	wantAppErr(t, "Adjust(below −99,999)", err, apperr.BadUserInput)
	_, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v), FromLocationID: l, ToLocationID: other, Quantity: 1}}})
	wantAppErr(t, "MoveStock(below −99,999)", err, apperr.BadUserInput)
	_, err = inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v), Quantity: ptr(-inventory.MaxLevel - 1)}}})
	wantAppErr(t, "Adjust(absolute −100,000)", err, apperr.BadUserInput)
	if _, err := take(2 * inventory.MaxLevel); err != nil {
		t.Errorf("Adjust(+199,998 from −99,999) error = %v, want 99,999", err)
	}
	_, err = take(1)
	wantAppErr(t, "Adjust(above 99,999)", err, apperr.BadUserInput)
	if got := f.item(t, v, l).OnHand; got != inventory.MaxLevel {
		t.Errorf("onHand = %d, want %d", got, inventory.MaxLevel)
	}
	f.mustBeConsistent(t)
}

// TestInStockOnlyWhenTrackedByStatus: isInStock false is an item's own
// status only when it is tracked by STATUS; elsewhere it is refused, and
// leaving STATUS (by settings or SetTracking) sets it back to true, so no
// item shows a status its availability contradicts.
func TestInStockOnlyWhenTrackedByStatus(t *testing.T) {
	f := newFixture(t, 2, 1)
	ctx := context.Background()
	v, w, l := f.variants[0], f.variants[1], f.physical[0]
	status, quantity := models.TrackStatus, models.TrackQuantity
	_, err := inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l,
		Lines: []inventory.SettingsLine{{Variant: ref(v), IsInStock: ptr(false)}}})
	if e := wantAppErr(t, "UpdateSettings(isInStock false, QUANTITY)", err, apperr.BadUserInput); e.Field != "settings.isInStock" || e.Index != 0 {
		t.Errorf("UpdateSettings(isInStock false, QUANTITY) error at %s[%d], want settings.isInStock[0]", e.Field, e.Index)
	}
	items := f.settings(t, l, inventory.SettingsLine{Variant: ref(v), TrackingMode: &status, IsInStock: ptr(false)},
		inventory.SettingsLine{Variant: ref(w), TrackingMode: &status, IsInStock: ptr(false)})
	if items[0].IsInStock || items[1].IsInStock {
		t.Fatalf("UpdateSettings(STATUS, isInStock false) = %v, %v, want false, false", items[0].IsInStock, items[1].IsInStock)
	}
	items = f.settings(t, l, inventory.SettingsLine{Variant: ref(v), TrackingMode: &quantity})
	if !items[0].IsInStock {
		t.Errorf("UpdateSettings(STATUS → QUANTITY).IsInStock = false, want true")
	}
	if _, err := inventory.SetTracking(ctx, f.db, f.actor, inventory.Tracking{VariantIDs: []int64{w}, Mode: models.TrackUntracked}); err != nil {
		t.Fatal(err)
	}
	if it := f.item(t, w, l); !it.IsInStock || it.TrackingMode != models.TrackUntracked {
		t.Errorf("SetTracking(UNTRACKED) item = %s, isInStock %v, want UNTRACKED, true", it.TrackingMode, it.IsInStock)
	}
}

// TestStockVariantCreatesOnce: stocking creates the item with its
// settings at revision 1; stocking again returns it unchanged, and bad
// input is refused at the path the client sent.
func TestStockVariantCreatesOnce(t *testing.T) {
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	v, l := f.variants[0], f.physical[1]
	f.db.Exec(`DELETE FROM inventory_items WHERE variant_id = ? AND location_id = ?`, v, l)
	s := inventory.Stocking{VariantID: v, LocationID: l, Reference: ptr("ERP-1"), Metadata: models.JSONObject{"k": "v"},
		Settings: inventory.SettingsLine{SafetyStock: ptr(3), BinPickingNumber: ptr("A-1")}}
	it, created, err := inventory.StockVariant(ctx, f.db, f.actor, s)
	if err != nil || !created || it.SafetyStock != 3 || it.BinPickingNumber != "A-1" || it.Reference != "ERP-1" || it.Metadata["k"] != "v" || it.Revision != 1 {
		t.Fatalf("StockVariant = %+v, created %v, %v; want a new item at revision 1 with the settings", it, created, err)
	}
	s.Settings.SafetyStock = ptr(9)
	again, created, err := inventory.StockVariant(ctx, f.db, f.actor, s)
	if err != nil || created || again.ID != it.ID || again.SafetyStock != 3 {
		t.Errorf("StockVariant again = item %d safety %d, created %v, %v; want item %d unchanged", again.ID, again.SafetyStock, created, err, it.ID)
	}
	s.Settings.SafetyStock = ptr(-1)
	_, _, err = inventory.StockVariant(ctx, f.db, f.actor, s)
	if e := wantAppErr(t, "StockVariant(safetyStock -1)", err, apperr.BadUserInput); e.Field != "settings.safetyStock" || e.Index != -1 {
		t.Errorf("StockVariant(safetyStock -1) error at %s[%d], want settings.safetyStock, no index", e.Field, e.Index)
	}
}
