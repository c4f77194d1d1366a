package catalog_test

import (
	"context"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// defaultOf is the store's default location, 0 for none.
func defaultOf(t *testing.T, db *database.DB, store int64) int64 {
	t.Helper()
	var id *int64
	if err := db.Raw(`SELECT default_location_id FROM stores WHERE id = ?`, store).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	if id == nil {
		return 0
	}
	return *id
}

// TestFirstPhysicalLocationIsDefault: a new store has no default location
// (its virtual locations are none); the first enabled physical location
// created, or enabled, becomes it, and later ones do not replace it
// (migration 00012's triggers).
func TestFirstPhysicalLocationIsDefault(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store := mustStore(t, db, "default-first")
	if got := defaultOf(t, db, store); got != 0 {
		t.Fatalf("default location of a new store = %d, want none (it has only virtual locations)", got)
	}
	disabled, err := catalog.CreateLocation(ctx, db.DB, store, catalog.LocationPatch{Code: ptr("OFF"), Name: ptr("Off"), Enabled: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := catalog.CreateLocation(ctx, db.DB, store, catalog.LocationPatch{Code: ptr("FIRST"), Name: ptr("First")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.CreateLocation(ctx, db.DB, store, catalog.LocationPatch{Code: ptr("SECOND"), Name: ptr("Second")}); err != nil {
		t.Fatal(err)
	}
	if got := defaultOf(t, db, store); got != first.ID {
		t.Errorf("default location = %d, want %d (FIRST: the first enabled one, not OFF %d nor SECOND)", got, first.ID, disabled.ID)
	}

	// A store whose only physical location was created disabled takes it
	// as its default once it is enabled.
	late := mustStore(t, db, "default-late")
	off, err := catalog.CreateLocation(ctx, db.DB, late, catalog.LocationPatch{Code: ptr("OFF"), Name: ptr("Off"), Enabled: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if got := defaultOf(t, db, late); got != 0 {
		t.Errorf("default location with only a disabled location = %d, want none", got)
	}
	if _, err := catalog.UpdateLocation(ctx, db.DB, late, off.ID, catalog.LocationPatch{Enabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if got := defaultOf(t, db, late); got != off.ID {
		t.Errorf("default location once OFF is enabled = %d, want %d", got, off.ID)
	}
}

// TestDefaultLocationStays: the default location cannot be deleted nor
// disabled (DEFAULT_LOCATION_IN_USE, naming the field); once another is
// the default, it can.
func TestDefaultLocationStays(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store := mustStore(t, db, "default-stays")
	def, err := catalog.CreateLocation(ctx, db.DB, store, catalog.LocationPatch{Code: ptr("DEF"), Name: ptr("Default")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := catalog.CreateLocation(ctx, db.DB, store, catalog.LocationPatch{Code: ptr("OTHER"), Name: ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = catalog.UpdateLocation(ctx, db.DB, store, def.ID, catalog.LocationPatch{Enabled: ptr(false)})
	checkErr(t, "UpdateLocation(default, enabled: false)", err, &wantErr{code: apperr.DefaultLocationInUse, field: "enabled", index: -1, contains: "DEF"})
	checkErr(t, "DeleteLocation(default)", catalog.DeleteLocation(ctx, db.DB, store, def.ID),
		&wantErr{code: apperr.DefaultLocationInUse, field: "id", index: -1, contains: "DEF"})
	if n := countRows(t, db, "locations", "id = ? AND enabled", def.ID); n != 1 {
		t.Fatalf("the default location was deleted or disabled")
	}
	// Other changes of the default location go through.
	if _, err := catalog.UpdateLocation(ctx, db.DB, store, def.ID, catalog.LocationPatch{Name: ptr("Renamed")}); err != nil {
		t.Errorf("UpdateLocation(default, name) error = %v, want nil", err)
	}

	mustExec(t, db, `UPDATE stores SET default_location_id = ? WHERE id = ?`, other.ID, store)
	if _, err := catalog.UpdateLocation(ctx, db.DB, store, def.ID, catalog.LocationPatch{Enabled: ptr(false)}); err != nil {
		t.Errorf("UpdateLocation(former default, enabled: false) error = %v, want nil", err)
	}
	checkErr(t, "DeleteLocation(former default)", catalog.DeleteLocation(ctx, db.DB, store, def.ID), nil)
}
