package inventory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// newVariant adds a variant to the fixture's product, stocked nowhere.
func (f fixture) newVariant(t *testing.T, sku string) int64 {
	t.Helper()
	var id int64
	err := f.db.Raw(`INSERT INTO variants (store_id, product_id, sku) SELECT store_id, product_id, ? FROM variants WHERE id = ? RETURNING id`,
		sku, f.variants[0]).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// noDefault leaves the store without a default location, as a store
// without physical locations is.
func (f *fixture) noDefault(t *testing.T) {
	t.Helper()
	if err := f.db.Exec(`UPDATE stores SET default_location_id = NULL WHERE id = ?`, f.actor.Store.ID).Error; err != nil {
		t.Fatal(err)
	}
}

// itemWrite is one kind of write that names an item by variant and,
// optionally, location (0: left out); it returns the item it wrote.
type itemWrite struct {
	name  string
	field string // where the missing location is reported
	write func(f fixture, variant, location int64) (models.InventoryItem, error)
}

var itemWrites = []itemWrite{
	{"adjustInventoryAbsolute", "items.locationId", func(f fixture, v, l int64) (models.InventoryItem, error) {
		res, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count",
			Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v), Quantity: ptr(7)}}})
		return first(res.Items), err
	}},
	{"adjustInventoryRelative", "items.locationId", func(f fixture, v, l int64) (models.InventoryItem, error) {
		res, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "received",
			Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v), Quantity: ptr(1)}}})
		return first(res.Items), err
	}},
	{"updateInventorySettings", "locationId", func(f fixture, v, l int64) (models.InventoryItem, error) {
		items, err := inventory.UpdateSettings(context.Background(), f.db, f.actor, inventory.SettingsChange{LocationID: l,
			Lines: []inventory.SettingsLine{{Variant: ref(v), SafetyStock: ptr(2)}}})
		return first(items), err
	}},
	{"stockVariant", "locationId", func(f fixture, v, l int64) (models.InventoryItem, error) {
		it, _, err := inventory.StockVariant(context.Background(), f.db, f.actor, inventory.Stocking{VariantID: v, LocationID: l})
		return it, err
	}},
}

func first(items []models.InventoryItem) models.InventoryItem {
	if len(items) == 0 {
		return models.InventoryItem{}
	}
	return items[0]
}

// TestWritesWithoutLocationUseTheDefault: each item write that leaves out
// its location writes the item at the store's default location (the
// first physical one at first, then the one configured), and is refused
// with NO_DEFAULT_LOCATION, naming the field, when the store has none.
func TestWritesWithoutLocationUseTheDefault(t *testing.T) {
	f := newFixture(t, 1, 3)
	var seeded int64
	f.db.Raw(`SELECT default_location_id FROM stores WHERE id = ?`, f.actor.Store.ID).Scan(&seeded)
	if seeded != f.physical[0] {
		t.Fatalf("seeded store's default location = %d, want its first physical location %d", seeded, f.physical[0])
	}
	for i, w := range itemWrites {
		t.Run(w.name, func(t *testing.T) {
			v := f.newVariant(t, "DEF-"+w.name)
			f.configure(t, inventory.ConfigurationPatch{DefaultLocationID: &f.physical[i%2]})
			it, err := w.write(f, v, 0)
			if err != nil || it.LocationID != f.physical[i%2] || it.VariantID != v {
				t.Fatalf("%s(no locationId) = item at %d of variant %d, %v; want the default location %d", w.name, it.LocationID, it.VariantID, err, f.physical[i%2])
			}
			// A location given is still the one written.
			if it, err := w.write(f, v, f.physical[2]); err != nil || it.LocationID != f.physical[2] {
				t.Errorf("%s(locationId %d) = item at %d, %v", w.name, f.physical[2], it.LocationID, err)
			}
		})
	}
	f.noDefault(t)
	for _, w := range itemWrites {
		_, err := w.write(f, f.variants[0], 0)
		if e := wantAppErr(t, w.name+"(no locationId, no default)", err, apperr.NoDefaultLocation); e.Field != w.field {
			t.Errorf("%s(no locationId, no default) field = %q, want %q", w.name, e.Field, w.field)
		}
	}
}

// TestDefaultLocationMustHoldStock: the default location is an enabled
// physical location of the store.
func TestDefaultLocationMustHoldStock(t *testing.T) {
	f := newFixture(t, 1, 2)
	ctx := context.Background()
	disabled := f.physical[1]
	if err := f.db.Exec(`UPDATE stores SET default_location_id = ? WHERE id = ?`, f.physical[0], f.actor.Store.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Exec(`UPDATE locations SET enabled = false WHERE id = ?`, disabled).Error; err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		id   int64
		code apperr.Code
	}{
		{"virtual", f.virtual(t).supplier, apperr.BadUserInput},
		{"disabled", disabled, apperr.BadUserInput},
		{"unknown", 1 << 40, apperr.NotFound},
	} {
		_, err := inventory.UpdateConfiguration(ctx, f.db, f.actor.Store.ID, inventory.ConfigurationPatch{DefaultLocationID: &c.id})
		if e := wantAppErr(t, "UpdateConfiguration(default "+c.name+")", err, c.code); e.Field != "defaultLocationId" {
			t.Errorf("UpdateConfiguration(default %s) field = %q, want defaultLocationId", c.name, e.Field)
		}
	}
	var got int64
	f.db.Raw(`SELECT default_location_id FROM stores WHERE id = ?`, f.actor.Store.ID).Scan(&got)
	if got != f.physical[0] {
		t.Errorf("default location after refused changes = %d, want %d", got, f.physical[0])
	}
}

// revisionWrite is a write of an existing item with an expected revision
// (nil: left out).
type revisionWrite struct {
	name  string
	write func(f fixture, it models.InventoryItem, expected *int64) error
}

var revisionWrites = []revisionWrite{
	{"adjust", func(f fixture, it models.InventoryItem, rev *int64) error {
		_, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "r",
			Lines: []inventory.AdjustLine{{LocationID: it.LocationID, Variant: ref(it.VariantID), Quantity: ptr(1), ExpectedRevision: rev}}})
		return err
	}},
	{"adjust (coalescer)", func(f fixture, it models.InventoryItem, rev *int64) error {
		_, err := inventory.NewCoalescer(f.db).Adjust(context.Background(), f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "r",
			Lines: []inventory.AdjustLine{{LocationID: it.LocationID, Variant: ref(it.VariantID), Quantity: ptr(3), ExpectedRevision: rev}}})
		return err
	}},
	{"settings", func(f fixture, it models.InventoryItem, rev *int64) error {
		_, err := inventory.UpdateSettings(context.Background(), f.db, f.actor, inventory.SettingsChange{LocationID: it.LocationID,
			Lines: []inventory.SettingsLine{{Variant: ref(it.VariantID), WarningLevel: ptr(4), ExpectedRevision: rev}}})
		return err
	}},
	{"updateInventoryItem", func(f fixture, it models.InventoryItem, rev *int64) error {
		_, err := inventory.UpdateItem(context.Background(), f.db, f.actor, inventory.ItemPatch{ItemID: it.ID, Reference: ptr("ERP-1"), ExpectedRevision: rev})
		return err
	}},
}

// TestRequireExpectedRevision: with the store's requireExpectedRevision
// on, each write of an existing item without expectedRevision is refused
// with REVISION_REQUIRED and changes nothing; with the right revision it
// applies, with a stale one it is REVISION_CONFLICT. Off, the revision is
// optional. Writes that create an item need none.
func TestRequireExpectedRevision(t *testing.T) {
	f := newFixture(t, 1, 1)
	l := f.physical[0]
	for _, w := range revisionWrites {
		t.Run(w.name, func(t *testing.T) {
			f.configure(t, inventory.ConfigurationPatch{RequireExpectedRevision: ptr(false)})
			it := f.item(t, f.variants[0], l)
			if err := w.write(f, it, nil); err != nil {
				t.Fatalf("%s(no revision, not required) error = %v", w.name, err)
			}
			f.configure(t, inventory.ConfigurationPatch{RequireExpectedRevision: ptr(true)})
			it = f.item(t, f.variants[0], l)
			e := wantAppErr(t, w.name+"(no revision, required)", w.write(f, it, nil), apperr.RevisionRequired)
			if !strings.HasSuffix(e.Field, "expectedRevision") || e.Extra["currentRevision"] != it.Revision {
				t.Errorf("%s(no revision, required) field %q, currentRevision %v; want expectedRevision, %d", w.name, e.Field, e.Extra["currentRevision"], it.Revision)
			}
			if after := f.item(t, f.variants[0], l); after.Revision != it.Revision {
				t.Errorf("%s(no revision, required) moved the revision %d → %d", w.name, it.Revision, after.Revision)
			}
			stale := it.Revision - 1
			wantAppErr(t, w.name+"(stale revision)", w.write(f, it, &stale), apperr.RevisionConflict)
			if err := w.write(f, it, &it.Revision); err != nil {
				t.Errorf("%s(revision %d, required) error = %v, want nil", w.name, it.Revision, err)
			}
		})
	}
	// A write that creates the item has no revision to pass.
	v := f.newVariant(t, "REV-NEW")
	if _, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "first count",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v), Quantity: ptr(5)}}}); err != nil {
		t.Errorf("Adjust(new item, no revision, required) error = %v, want nil", err)
	}
	// Moves carry no revision: they change levels by movements checked
	// against the stock.
	if _, err := inventory.MoveStock(context.Background(), f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{
		{Variant: ref(v), FromLocationID: l, ToLocationID: f.virtual(t).sold, Quantity: 1}}}); err != nil {
		t.Errorf("MoveStock(required) error = %v, want nil", err)
	}
	f.mustBeConsistent(t)
}

// quantityWrite changes the quantities of the item of variant v at l.
type quantityWrite struct {
	name, field string
	write       func(f fixture, v, l int64) error
}

func quantityWrites(f fixture, t *testing.T) []quantityWrite {
	sold := f.virtual(t).sold
	supplier := f.virtual(t).supplier
	adjust := func(mode inventory.AdjustMode, line inventory.AdjustLine) error {
		_, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: mode, Reason: "r", Lines: []inventory.AdjustLine{line}})
		return err
	}
	move := func(line inventory.MoveLine) error {
		_, err := inventory.MoveStock(context.Background(), f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{line}})
		return err
	}
	return []quantityWrite{
		{"absolute quantity", "items.quantity", func(f fixture, v, l int64) error {
			return adjust(inventory.Absolute, inventory.AdjustLine{LocationID: l, Variant: ref(v), Quantity: ptr(5)})
		}},
		{"relative quantity", "items.quantity", func(f fixture, v, l int64) error {
			return adjust(inventory.Relative, inventory.AdjustLine{LocationID: l, Variant: ref(v), Quantity: ptr(1)})
		}},
		{"qtyBackordered", "items.qtyBackordered", func(f fixture, v, l int64) error {
			return adjust(inventory.Absolute, inventory.AdjustLine{LocationID: l, Variant: ref(v), QtyBackordered: ptr(0)})
		}},
		{"move in", "changes.toLocationId", func(f fixture, v, l int64) error {
			return move(inventory.MoveLine{Variant: ref(v), FromLocationID: supplier, ToLocationID: l, Quantity: 1})
		}},
		{"move out", "changes.fromLocationId", func(f fixture, v, l int64) error {
			return move(inventory.MoveLine{Variant: ref(v), FromLocationID: l, ToLocationID: sold, Quantity: 1})
		}},
		{"bulk move without START_TRACKING", "productChanges[0].variantChanges[0].toLocationId", func(f fixture, v, l int64) error {
			_, err := inventory.BulkUpdateStock(context.Background(), f.db, f.actor, inventory.BulkUpdate{Products: []inventory.ProductChange{
				{ProductID: f.productOf(t, v), Moves: []inventory.MoveLine{{Variant: ref(v), FromLocationID: supplier, ToLocationID: l, Quantity: 1}}}}})
			return err
		}},
	}
}

func (f fixture) productOf(t *testing.T, v int64) int64 {
	t.Helper()
	var p int64
	if err := f.db.Raw(`SELECT product_id FROM variants WHERE id = ?`, v).Scan(&p).Error; err != nil || p == 0 {
		t.Fatalf("product of variant %d = %d, %v", v, p, err)
	}
	return p
}

// TestStatusItemsRefuseQuantities: every quantity change sent to an item
// tracked by STATUS is refused with TRACKED_BY_STATUS, naming the field
// and the SKU, and changes nothing; a bulk update that starts tracking
// the product in the same call moves the units.
func TestStatusItemsRefuseQuantities(t *testing.T) {
	f := newFixture(t, 1, 1)
	v, l := f.variants[0], f.physical[0]
	f.setOnHand(t, l, map[int64]int{v: 4})
	f.settings(t, l, inventory.SettingsLine{Variant: ref(v), TrackingMode: ptr(models.TrackStatus)})
	before, movements := f.item(t, v, l), f.movementCount(t)
	var sku string
	f.db.Raw(`SELECT sku FROM variants WHERE id = ?`, v).Scan(&sku)
	for _, w := range quantityWrites(f, t) {
		e := wantAppErr(t, w.name+" on a STATUS item", w.write(f, v, l), apperr.TrackedByStatus)
		if e.Field != w.field || !strings.Contains(e.Message, `SKU "`+sku+`"`) {
			t.Errorf("%s on a STATUS item: field %q, message %q; want field %s and the SKU named", w.name, e.Field, e.Message, w.field)
		}
	}
	if after := f.item(t, v, l); after.OnHand != before.OnHand || after.Revision != before.Revision || f.movementCount(t) != movements {
		t.Fatalf("refused writes changed the item (%d → %d on hand, revision %d → %d) or the ledger", before.OnHand, after.OnHand, before.Revision, after.Revision)
	}
	res, err := inventory.BulkUpdateStock(context.Background(), f.db, f.actor, inventory.BulkUpdate{Products: []inventory.ProductChange{
		{ProductID: f.productOf(t, v), Tracking: inventory.StartTracking,
			Moves: []inventory.MoveLine{{Variant: ref(v), FromLocationID: f.virtual(t).supplier, ToLocationID: l, Quantity: 3}}}}})
	if err != nil {
		t.Fatalf("BulkUpdateStock(START_TRACKING and a move) error = %v", err)
	}
	if it := f.item(t, v, l); it.TrackingMode != models.TrackQuantity || it.OnHand != 7 || res.TrackingChanged != 1 {
		t.Errorf("after START_TRACKING and +3: %s, %d on hand, %d items changed tracking; want QUANTITY, 7, 1", it.TrackingMode, it.OnHand, res.TrackingChanged)
	}
	f.mustBeConsistent(t)
}

// TestUpdateItem: reference and metadata change and the revision moves
// on; bad input changes nothing.
func TestUpdateItem(t *testing.T) {
	f := newFixture(t, 1, 1)
	ctx := context.Background()
	it := f.item(t, f.variants[0], f.physical[0])
	got, err := inventory.UpdateItem(ctx, f.db, f.actor, inventory.ItemPatch{ItemID: it.ID, ExpectedRevision: &it.Revision,
		Reference: ptr("ERP-42"), Metadata: models.JSONObject{"color": "red"}})
	if err != nil {
		t.Fatalf("UpdateItem error = %v", err)
	}
	if got.Reference != "ERP-42" || got.Metadata["color"] != "red" || got.Revision != it.Revision+1 || got.OnHand != it.OnHand {
		t.Errorf("UpdateItem = reference %q, metadata %v, revision %d, onHand %d; want ERP-42, color red, %d, %d",
			got.Reference, got.Metadata, got.Revision, got.OnHand, it.Revision+1, it.OnHand)
	}
	if stored := f.item(t, f.variants[0], f.physical[0]); stored.Reference != "ERP-42" || stored.Revision != got.Revision {
		t.Errorf("stored item = %q at %d, want the returned one", stored.Reference, stored.Revision)
	}
	big := models.JSONObject{"note": strings.Repeat("x", inventory.MaxMetadataBytes)}
	for _, c := range []struct {
		name  string
		patch inventory.ItemPatch
		code  apperr.Code
		field string
	}{
		{"nothing", inventory.ItemPatch{ItemID: it.ID}, apperr.BadUserInput, "reference"},
		{"metadata over 16 KiB", inventory.ItemPatch{ItemID: it.ID, Metadata: big}, apperr.BadUserInput, "metadata"},
		{"long reference", inventory.ItemPatch{ItemID: it.ID, Reference: ptr(strings.Repeat("r", 256))}, apperr.BadUserInput, "reference"},
		{"unknown item", inventory.ItemPatch{ItemID: 1 << 40, Reference: ptr("x")}, apperr.NotFound, "id"},
	} {
		_, err := inventory.UpdateItem(ctx, f.db, f.actor, c.patch)
		if e := wantAppErr(t, "UpdateItem("+c.name+")", err, c.code); e.Field != c.field {
			t.Errorf("UpdateItem(%s) field = %q, want %q", c.name, e.Field, c.field)
		}
	}
	if stored := f.item(t, f.variants[0], f.physical[0]); stored.Revision != got.Revision {
		t.Errorf("refused updates moved the revision to %d, want %d", stored.Revision, got.Revision)
	}
}

// TestMoveReturnsTheDefaultBalances: without returnBalanceFor, a move
// returns the default location's balances (Zettle returns its STORE
// location's), whatever the source; in a store without a default, the
// first change's source's.
func TestMoveReturnsTheDefaultBalances(t *testing.T) {
	f := newFixture(t, 1, 2)
	v, def, other := f.variants[0], f.physical[0], f.physical[1]
	f.setOnHand(t, other, map[int64]int{v: 10})
	move := inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v), FromLocationID: other, ToLocationID: f.virtual(t).sold, Quantity: 1}}}
	res, err := inventory.MoveStock(context.Background(), f.db, f.actor, move)
	if err != nil || res.BalanceLocationID != def || len(res.Balances) != 1 || res.Balances[0].LocationID != def {
		t.Errorf("MoveStock(from %d) balances = %+v at %d, %v; want the default location %d's", other, res.Balances, res.BalanceLocationID, err, def)
	}
	f.noDefault(t)
	res, err = inventory.MoveStock(context.Background(), f.db, f.actor, move)
	if err != nil || res.BalanceLocationID != other || res.Balances[0].OnHand != 8 {
		t.Errorf("MoveStock(no default) balances = %+v at %d, %v; want the source %d's: 8", res.Balances, res.BalanceLocationID, err, other)
	}
}

// TestDefaultLocationAndDisableDoNotCross: making a location the default
// and disabling it at the same time never leave a disabled default:
// exactly one of the two goes through (updateInventoryConfiguration holds
// the location FOR SHARE, updateLocation locks it and then reads the
// default).
func TestDefaultLocationAndDisableDoNotCross(t *testing.T) {
	f := newFixture(t, 1, 1)
	ctx := context.Background()
	for i := range 20 {
		loc, err := catalog.CreateLocation(ctx, f.db, f.actor.Store.ID, catalog.LocationPatch{Code: ptr(fmt.Sprintf("RACE-%d", i)), Name: ptr("Race")})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		start := make(chan struct{})
		go func() {
			<-start
			_, err := inventory.UpdateConfiguration(ctx, f.db, f.actor.Store.ID, inventory.ConfigurationPatch{DefaultLocationID: &loc.ID})
			errs <- err
		}()
		go func() {
			<-start
			_, err := catalog.UpdateLocation(ctx, f.db, f.actor.Store.ID, loc.ID, catalog.LocationPatch{Enabled: ptr(false)})
			errs <- err
		}()
		close(start)
		failed := 0
		for range 2 {
			if err := <-errs; err != nil {
				if c := apperr.CodeOf(err); c != apperr.BadUserInput && c != apperr.DefaultLocationInUse {
					t.Fatalf("round %d: error %v (%s), want BAD_USER_INPUT or DEFAULT_LOCATION_IN_USE", i, err, c)
				}
				failed++
			}
		}
		var bad bool
		f.db.Raw(`SELECT EXISTS (SELECT 1 FROM stores s JOIN locations l ON l.store_id = s.id AND l.id = s.default_location_id
			WHERE s.id = ? AND NOT l.enabled)`, f.actor.Store.ID).Scan(&bad)
		if bad || failed != 1 {
			t.Fatalf("round %d: disabled default %v, %d of the two refused; want an enabled default and exactly one refused", i, bad, failed)
		}
		// Back to the first location, so the next round starts alike.
		f.configure(t, inventory.ConfigurationPatch{DefaultLocationID: &f.physical[0]})
	}
}
