package sourcing_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/sourcing"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

func ptr[T any](v T) *T { return &v }

// fixture is a store made by catalog.EnsureStore (so it has its default
// model) with two physical locations and the virtual ones.
type fixture struct {
	db        *database.DB
	storeID   int64
	defaultID int64
	locations map[string]int64 // by code
}

func setup(t *testing.T) fixture {
	t.Helper()
	db := testdb.MustOpenDB(t)
	store, created, err := catalog.EnsureStore(db.DB, "shop")
	if err != nil || !created {
		t.Fatalf("EnsureStore(shop) = %v, %v; want created", created, err)
	}
	f := fixture{db: db, storeID: store.ID, locations: map[string]int64{}}
	for _, code := range []string{"WH-A", "WH-B"} {
		loc, err := catalog.CreateLocation(context.Background(), db.DB, store.ID, catalog.LocationPatch{Code: ptr(code), Name: ptr(code)})
		if err != nil {
			t.Fatalf("CreateLocation(%s): %v", code, err)
		}
		f.locations[code] = loc.ID
	}
	var virt []models.Location
	if err := db.Where("store_id = ? AND type = 'SUPPLIER'", store.ID).Find(&virt).Error; err != nil || len(virt) != 1 {
		t.Fatalf("load SUPPLIER location: %v (%d rows)", err, len(virt))
	}
	f.locations["SUPPLIER"] = virt[0].ID
	var defaults []models.InventoryModel
	if err := db.Where("store_id = ? AND is_default", store.ID).Find(&defaults).Error; err != nil {
		t.Fatal(err)
	}
	if len(defaults) != 1 {
		t.Fatalf("default inventory models of a new store = %d, want 1", len(defaults))
	}
	f.defaultID = defaults[0].ID
	return f
}

func checkCode(t *testing.T, what string, err error, want apperr.Code, contains string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s error = %v, want nil", what, err)
		}
		return
	}
	e, ok := apperr.As(err)
	if !ok || e.Code != want || !strings.Contains(e.Message, contains) {
		t.Errorf("%s error = %v, want %s containing %q", what, err, want, contains)
	}
}

func (f fixture) defaults(t *testing.T) []int64 {
	t.Helper()
	var ids []int64
	if err := f.db.Raw(`SELECT id FROM inventory_models WHERE store_id = ? AND is_default ORDER BY id`, f.storeID).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestInventoryModelWrites(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	db := f.db.DB
	other, err := sourcing.CreateInventoryModel(ctx, db, f.storeID, sourcing.ModelPatch{Name: ptr(" EU "), Reference: ptr("erp-1"), Metadata: &models.JSONObject{"a": "b"}})
	if err != nil {
		t.Fatalf("CreateInventoryModel(EU): %v", err)
	}
	if other.Name != "EU" || other.IsDefault || other.Reference != "erp-1" || other.Metadata["a"] != "b" {
		t.Errorf("CreateInventoryModel(EU) = %+v, want name EU, not default, reference erp-1, metadata a=b", other)
	}
	tests := []struct {
		name     string
		run      func() error
		code     apperr.Code
		contains string
	}{
		{"create without a name", func() error {
			_, err := sourcing.CreateInventoryModel(ctx, db, f.storeID, sourcing.ModelPatch{Name: ptr("  ")})
			return err
		}, apperr.BadUserInput, "needs a name"},
		{"create with a taken name", func() error {
			_, err := sourcing.CreateInventoryModel(ctx, db, f.storeID, sourcing.ModelPatch{Name: ptr("EU")})
			return err
		}, apperr.Conflict, `"EU"`},
		{"rename to a taken name", func() error {
			_, err := sourcing.UpdateInventoryModel(ctx, db, f.storeID, other.ID, sourcing.ModelPatch{Name: ptr("Default")})
			return err
		}, apperr.Conflict, `"Default"`},
		{"update a missing model", func() error {
			_, err := sourcing.UpdateInventoryModel(ctx, db, f.storeID, 999999, sourcing.ModelPatch{Name: ptr("x")})
			return err
		}, apperr.NotFound, "999999"},
		{"unset the default", func() error {
			_, err := sourcing.UpdateInventoryModel(ctx, db, f.storeID, f.defaultID, sourcing.ModelPatch{IsDefault: ptr(false)})
			return err
		}, apperr.BadUserInput, `"Default" is the store's default`},
		{"delete the default", func() error {
			return sourcing.DeleteInventoryModel(ctx, db, f.storeID, f.defaultID)
		}, apperr.Conflict, `"Default" is the store's default`},
		{"delete a missing model", func() error {
			return sourcing.DeleteInventoryModel(ctx, db, f.storeID, 999999)
		}, apperr.NotFound, "999999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCode(t, tt.name, tt.run(), tt.code, tt.contains) })
	}
	if got := f.defaults(t); len(got) != 1 || got[0] != f.defaultID {
		t.Fatalf("defaults after failed writes = %v, want [%d]", got, f.defaultID)
	}

	// Making EU the default moves the flag; then the old default can go.
	if m, err := sourcing.UpdateInventoryModel(ctx, db, f.storeID, other.ID, sourcing.ModelPatch{IsDefault: ptr(true)}); err != nil || !m.IsDefault {
		t.Fatalf("UpdateInventoryModel(EU, default) = %+v, %v; want default", m, err)
	}
	if got := f.defaults(t); len(got) != 1 || got[0] != other.ID {
		t.Errorf("defaults after moving = %v, want [%d]", got, other.ID)
	}
	// A model created as default takes the flag too.
	us, err := sourcing.CreateInventoryModel(ctx, db, f.storeID, sourcing.ModelPatch{Name: ptr("US"), IsDefault: ptr(true)})
	if err != nil {
		t.Fatalf("CreateInventoryModel(US, default): %v", err)
	}
	if got := f.defaults(t); len(got) != 1 || got[0] != us.ID {
		t.Errorf("defaults after creating a default = %v, want [%d]", got, us.ID)
	}
	if err := sourcing.DeleteInventoryModel(ctx, db, f.storeID, f.defaultID); err != nil {
		t.Errorf("DeleteInventoryModel(old default) = %v, want nil", err)
	}
}

func TestStockLevelWrites(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	db := f.db.DB
	l, err := sourcing.CreateStockLevel(ctx, db, f.storeID, f.defaultID, f.locations["WH-A"], sourcing.LevelPatch{Priority: ptr(5), OnHold: ptr(true), Reference: ptr("r1")})
	if err != nil {
		t.Fatalf("CreateStockLevel(WH-A): %v", err)
	}
	if l.Priority != 5 || !l.OnHold || l.Reference != "r1" || l.ID == 0 {
		t.Errorf("CreateStockLevel(WH-A) = %+v, want priority 5, on hold, reference r1", l)
	}
	tests := []struct {
		name          string
		model, loc    int64
		code          apperr.Code
		contains      string
		wantFieldName string
	}{
		{"same location twice", f.defaultID, f.locations["WH-A"], apperr.Conflict, `location "WH-A" is already in inventory model "Default"`, "locationId"},
		{"virtual location", f.defaultID, f.locations["SUPPLIER"], apperr.BadUserInput, `location "SUPPLIER" is virtual`, "locationId"},
		{"missing location", f.defaultID, 999999, apperr.NotFound, "no location with ID 999999", "locationId"},
		{"missing model", 999999, f.locations["WH-B"], apperr.NotFound, "no inventory model with ID 999999", "inventoryModelId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sourcing.CreateStockLevel(ctx, db, f.storeID, tt.model, tt.loc, sourcing.LevelPatch{})
			checkCode(t, "CreateStockLevel", err, tt.code, tt.contains)
			if e, ok := apperr.As(err); ok && e.Field != tt.wantFieldName {
				t.Errorf("CreateStockLevel field = %q, want %q", e.Field, tt.wantFieldName)
			}
		})
	}
	u, err := sourcing.UpdateStockLevel(ctx, db, f.storeID, l.ID, sourcing.LevelPatch{Priority: ptr(-2), OnHold: ptr(false), Metadata: &models.JSONObject{"k": 1.0}})
	if err != nil || u.Priority != -2 || u.OnHold || u.Reference != "r1" || u.Metadata["k"] != 1.0 {
		t.Errorf("UpdateStockLevel = %+v, %v; want priority -2, not on hold, reference kept, metadata k=1", u, err)
	}
	_, err = sourcing.UpdateStockLevel(ctx, db, f.storeID, 999999, sourcing.LevelPatch{})
	checkCode(t, "UpdateStockLevel(missing)", err, apperr.NotFound, "no stock level with ID 999999")
	checkCode(t, "DeleteStockLevel", sourcing.DeleteStockLevel(ctx, db, f.storeID, l.ID), "", "")
	checkCode(t, "DeleteStockLevel(again)", sourcing.DeleteStockLevel(ctx, db, f.storeID, l.ID), apperr.NotFound, "no stock level")

	// Deleting a model takes its levels with it.
	m, err := sourcing.CreateInventoryModel(ctx, db, f.storeID, sourcing.ModelPatch{Name: ptr("Temp")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sourcing.CreateStockLevel(ctx, db, f.storeID, m.ID, f.locations["WH-B"], sourcing.LevelPatch{}); err != nil {
		t.Fatal(err)
	}
	if err := sourcing.DeleteInventoryModel(ctx, db, f.storeID, m.ID); err != nil {
		t.Fatalf("DeleteInventoryModel(Temp): %v", err)
	}
	var n int64
	if err := f.db.Model(&models.StockLevel{}).Where("store_id = ?", f.storeID).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("stock levels after deleting their model = %d (%v), want 0", n, err)
	}
}

// TestDefaultMovesRace makes several models the default at once: the
// store lock in takeDefault must leave exactly one default, and no move
// may fail on the one-default index.
func TestDefaultMovesRace(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	var ids []int64
	for i := range 8 {
		m, err := sourcing.CreateInventoryModel(ctx, f.db.DB, f.storeID, sourcing.ModelPatch{Name: ptr(fmt.Sprintf("M%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	errs := make(chan error, len(ids))
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := sourcing.UpdateInventoryModel(ctx, f.db.DB, f.storeID, id, sourcing.ModelPatch{IsDefault: ptr(true)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("UpdateInventoryModel(isDefault) concurrently = %v, want nil", err)
		}
	}
	if got := f.defaults(t); len(got) != 1 {
		t.Errorf("defaults after concurrent moves = %v, want exactly one", got)
	}
}
