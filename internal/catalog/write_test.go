package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

func ptr[T any](v T) *T { return &v }

// wantErr checks err's code and, when given, the field, index and a text
// its message must contain.
type wantErr struct {
	code     apperr.Code
	field    string
	index    int // -1 for none
	contains string
}

func checkErr(t *testing.T, what string, err error, want *wantErr) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s error = %v, want nil", what, err)
		}
		return
	}
	e, ok := apperr.As(err)
	if !ok {
		t.Errorf("%s error = %v (%T), want %s", what, err, err, want.code)
		return
	}
	if e.Code != want.code || (want.field != "" && e.Field != want.field) || e.Index != want.index || !strings.Contains(e.Message, want.contains) {
		t.Errorf("%s error = %s on %q index %d: %q, want %s on %q index %d containing %q",
			what, e.Code, e.Field, e.Index, e.Message, want.code, want.field, want.index, want.contains)
	}
}

// counts returns how many products and variants the store has.
func counts(t *testing.T, db *database.DB, storeID int64) (products, variants int64) {
	t.Helper()
	if err := db.Model(&models.Product{}).Where("store_id = ?", storeID).Count(&products).Error; err != nil {
		t.Fatalf("count products: %v", err)
	}
	if err := db.Model(&models.Variant{}).Where("store_id = ?", storeID).Count(&variants).Error; err != nil {
		t.Fatalf("count variants: %v", err)
	}
	return products, variants
}

func loadProduct(t *testing.T, db *database.DB, id int64) models.Product {
	t.Helper()
	var p models.Product
	if err := db.Where("id = ?", id).Take(&p).Error; err != nil {
		t.Fatalf("load product %d: %v", id, err)
	}
	return p
}

func loadVariant(t *testing.T, db *database.DB, id int64) models.Variant {
	t.Helper()
	var v models.Variant
	if err := db.Where("id = ?", id).Take(&v).Error; err != nil {
		t.Fatalf("load variant %d: %v", id, err)
	}
	return v
}

func variantSKUs(t *testing.T, db *database.DB, productID int64) []string {
	t.Helper()
	var skus []string
	if err := db.Model(&models.Variant{}).Where("product_id = ?", productID).Order("id").Pluck("sku", &skus).Error; err != nil {
		t.Fatalf("load variant SKUs: %v", err)
	}
	return skus
}

func TestCreateProduct(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store, other := mustStore(t, db, "writer"), mustStore(t, db, "neighbour")
	mustCreate(t, db, store, spec{"Existing", "TAKEN-P", []string{"TAKEN-V"}})
	mustCreate(t, db, other, spec{"Theirs", "THEIR-P", []string{"THEIR-V"}})

	vs := func(skus ...string) []catalog.VariantFields {
		out := make([]catalog.VariantFields, len(skus))
		for i, s := range skus {
			out[i] = catalog.VariantFields{SKU: s, Name: " name " + strings.TrimSpace(s) + " "}
		}
		return out
	}
	tests := []struct {
		name     string
		fields   catalog.ProductFields
		variants []catalog.VariantFields
		want     *wantErr
		wantSKUs []string // the created variants' SKUs
	}{
		{"no variants", catalog.ProductFields{Name: "Plain"}, nil, nil, nil},
		{"with variants", catalog.ProductFields{Name: "  Shirt ", SKU: " SHIRT ", Description: " as is "}, vs("SHIRT-S", " SHIRT-M ", "SHIRT-L"), nil, []string{"SHIRT-S", "SHIRT-M", "SHIRT-L"}},
		{"SKUs of another store are free", catalog.ProductFields{Name: "Copy", SKU: "THEIR-P"}, vs("THEIR-V"), nil, []string{"THEIR-V"}},
		{"empty product SKUs do not clash", catalog.ProductFields{Name: "Plain", SKU: "  "}, nil, nil, nil},
		{"empty name", catalog.ProductFields{Name: " \t "}, vs("NEW-1"), &wantErr{code: apperr.BadUserInput, field: "name", index: -1}, nil},
		{"long name", catalog.ProductFields{Name: strings.Repeat("é", 256)}, nil, &wantErr{code: apperr.BadUserInput, field: "name", index: -1}, nil},
		{"long SKU", catalog.ProductFields{Name: "X", SKU: strings.Repeat("s", 256)}, nil, &wantErr{code: apperr.BadUserInput, field: "sku", index: -1}, nil},
		{"duplicate SKUs in the request", catalog.ProductFields{Name: "Dup"}, vs("D-1", "D-2", "D-1"), &wantErr{code: apperr.BadUserInput, field: "variants.sku", index: 2, contains: "D-1"}, nil},
		{"duplicate SKUs after trimming", catalog.ProductFields{Name: "Dup"}, vs("D-1", " D-1"), &wantErr{code: apperr.BadUserInput, field: "variants.sku", index: 1, contains: "D-1"}, nil},
		{"empty variant SKU", catalog.ProductFields{Name: "Dup"}, vs("D-1", "  "), &wantErr{code: apperr.BadUserInput, field: "variants.sku", index: 1}, nil},
		{"variant SKU taken", catalog.ProductFields{Name: "Half", SKU: "HALF"}, vs("NEW-1", "TAKEN-V", "NEW-2"), &wantErr{code: apperr.Conflict, field: "variants.sku", index: 1, contains: `"TAKEN-V"`}, nil},
		{"product SKU taken", catalog.ProductFields{Name: "Again", SKU: " TAKEN-P"}, vs("NEW-3"), &wantErr{code: apperr.Conflict, field: "sku", index: -1, contains: `"TAKEN-P"`}, nil},
	}
	for _, tt := range tests {
		beforeP, beforeV := counts(t, db, store)
		p, err := catalog.CreateProduct(ctx, db.DB, store, tt.fields, tt.variants)
		what := fmt.Sprintf("%s: CreateProduct(%+v, %d variants)", tt.name, tt.fields, len(tt.variants))
		checkErr(t, what, err, tt.want)
		afterP, afterV := counts(t, db, store)
		if tt.want != nil {
			// All or nothing: neither the product nor any variant stays.
			if afterP != beforeP || afterV != beforeV {
				t.Errorf("%s left %d products and %d variants behind, want none", what, afterP-beforeP, afterV-beforeV)
			}
			continue
		}
		if afterP != beforeP+1 || afterV != beforeV+int64(len(tt.variants)) {
			t.Errorf("%s created %d products and %d variants, want 1 and %d", what, afterP-beforeP, afterV-beforeV, len(tt.variants))
		}
		got := loadProduct(t, db, p.ID)
		wantName, wantSKU := strings.TrimSpace(tt.fields.Name), strings.TrimSpace(tt.fields.SKU)
		if got.StoreID != store || got.Name != wantName || got.SKU != wantSKU || got.Description != tt.fields.Description {
			t.Errorf("%s stored %+v, want store %d, name %q, SKU %q, description %q", what, got, store, wantName, wantSKU, tt.fields.Description)
		}
		if p.ID != got.ID || p.Name != got.Name || p.SKU != got.SKU {
			t.Errorf("%s = %+v, want the stored %+v", what, p, got)
		}
		if skus := variantSKUs(t, db, p.ID); strings.Join(skus, ",") != strings.Join(tt.wantSKUs, ",") {
			t.Errorf("%s variants = %v, want %v", what, skus, tt.wantSKUs)
		}
		for _, sku := range tt.wantSKUs {
			found, _ := catalog.VariantsBySKUs(ctx, db.DB, store, []string{sku})
			if v := found[sku]; v.Name != "name "+sku || v.StoreID != store {
				t.Errorf("%s variant %q = %+v, want name %q in store %d", what, sku, v, "name "+sku, store)
			}
		}
	}
}

func TestUpdateProduct(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store, other := mustStore(t, db, "writer"), mustStore(t, db, "neighbour")
	mustCreate(t, db, store, spec{"Taken", "TAKEN", nil})
	theirs := mustCreate(t, db, other, spec{"Theirs", "THEIRS", nil})
	base := models.Product{Name: "Mug", SKU: "MUG", Description: "A mug"}

	tests := []struct {
		name  string
		patch catalog.ProductPatch
		other bool // patch another store's product
		id    int64
		want  *wantErr
		after models.Product // name, SKU and description after the call
	}{
		{"empty patch", catalog.ProductPatch{}, false, 0, nil, base},
		{"name only", catalog.ProductPatch{Name: ptr("  Big mug ")}, false, 0, nil, models.Product{Name: "Big mug", SKU: "MUG", Description: "A mug"}},
		{"description only", catalog.ProductPatch{Description: ptr(" kept as is ")}, false, 0, nil, models.Product{Name: "Mug", SKU: "MUG", Description: " kept as is "}},
		{"clear SKU", catalog.ProductPatch{SKU: ptr("  ")}, false, 0, nil, models.Product{Name: "Mug", Description: "A mug"}},
		{"all fields", catalog.ProductPatch{Name: ptr("Cup"), SKU: ptr("CUP"), Description: ptr("")}, false, 0, nil, models.Product{Name: "Cup", SKU: "CUP"}},
		{"another store's SKU", catalog.ProductPatch{SKU: ptr("THEIRS")}, false, 0, nil, models.Product{Name: "Mug", SKU: "THEIRS", Description: "A mug"}},
		{"empty name", catalog.ProductPatch{Name: ptr(" "), SKU: ptr("NEW")}, false, 0, &wantErr{code: apperr.BadUserInput, field: "name", index: -1}, base},
		{"taken SKU", catalog.ProductPatch{Name: ptr("Renamed"), SKU: ptr("TAKEN")}, false, 0, &wantErr{code: apperr.Conflict, field: "sku", index: -1, contains: `"TAKEN"`}, base},
		{"unknown ID", catalog.ProductPatch{Name: ptr("X")}, false, 1 << 40, &wantErr{code: apperr.NotFound, index: -1}, base},
		{"another store's product", catalog.ProductPatch{Name: ptr("Stolen")}, true, 0, &wantErr{code: apperr.NotFound, index: -1}, base},
	}
	for _, tt := range tests {
		p, err := catalog.CreateProduct(ctx, db.DB, store, catalog.ProductFields{Name: base.Name, SKU: base.SKU, Description: base.Description}, nil)
		if err != nil {
			t.Fatalf("CreateProduct error = %v, want nil", err)
		}
		id := p.ID
		switch {
		case tt.other:
			id = theirs.ID
		case tt.id != 0:
			id = tt.id
		}
		time.Sleep(time.Millisecond) // so that updated_at can move
		got, err := catalog.UpdateProduct(ctx, db.DB, store, id, tt.patch)
		what := fmt.Sprintf("%s: UpdateProduct(%d, %+v)", tt.name, id, tt.patch)
		checkErr(t, what, err, tt.want)
		stored := loadProduct(t, db, p.ID)
		if stored.Name != tt.after.Name || stored.SKU != tt.after.SKU || stored.Description != tt.after.Description {
			t.Errorf("%s stored name, SKU, description = %q, %q, %q, want %q, %q, %q",
				what, stored.Name, stored.SKU, stored.Description, tt.after.Name, tt.after.SKU, tt.after.Description)
		}
		if tt.want == nil {
			if got.ID != p.ID || got.Name != stored.Name || got.SKU != stored.SKU || got.Description != stored.Description {
				t.Errorf("%s = %+v, want the stored %+v", what, got, stored)
			}
			if !stored.UpdatedAt.After(stored.CreatedAt) {
				t.Errorf("%s updated_at = %v, want later than created_at %v", what, stored.UpdatedAt, stored.CreatedAt)
			}
		}
		if th := loadProduct(t, db, theirs.ID); th.Name != "Theirs" {
			t.Errorf("%s changed the other store's product to %+v", what, th)
		}
		// Clear the SKU so that the next case can create MUG again.
		if err := db.Model(&models.Product{}).Where("id = ?", p.ID).Update("sku", "").Error; err != nil {
			t.Fatalf("clear SKU: %v", err)
		}
	}
}

func TestVariants(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store, other := mustStore(t, db, "writer"), mustStore(t, db, "neighbour")
	mine := mustCreate(t, db, store, spec{"Mine", "", []string{"TAKEN"}})
	theirs := mustCreate(t, db, other, spec{"Theirs", "", []string{"THEIRS", "THEIRS-2"}})
	theirVariant := variantsOf(t, db, theirs.ID)[0]

	t.Run("create", func(t *testing.T) {
		tests := []struct {
			name    string
			product int64
			fields  catalog.VariantFields
			want    *wantErr
		}{
			{"ok", mine.ID, catalog.VariantFields{SKU: " NEW-1 ", Name: " Large "}, nil},
			{"SKU of another store", mine.ID, catalog.VariantFields{SKU: "THEIRS"}, nil},
			{"taken SKU", mine.ID, catalog.VariantFields{SKU: "TAKEN"}, &wantErr{code: apperr.Conflict, field: "sku", index: -1, contains: `"TAKEN"`}},
			{"empty SKU", mine.ID, catalog.VariantFields{SKU: "  "}, &wantErr{code: apperr.BadUserInput, field: "sku", index: -1}},
			{"unknown product", 1 << 40, catalog.VariantFields{SKU: "NEW-2"}, &wantErr{code: apperr.NotFound, field: "productId", index: -1}},
			{"another store's product", theirs.ID, catalog.VariantFields{SKU: "NEW-3"}, &wantErr{code: apperr.NotFound, field: "productId", index: -1}},
		}
		for _, tt := range tests {
			_, beforeV := counts(t, db, store)
			_, beforeOther := counts(t, db, other)
			v, err := catalog.CreateVariant(ctx, db.DB, store, tt.product, tt.fields)
			what := fmt.Sprintf("%s: CreateVariant(%d, %+v)", tt.name, tt.product, tt.fields)
			checkErr(t, what, err, tt.want)
			_, afterV := counts(t, db, store)
			_, afterOther := counts(t, db, other)
			if afterOther != beforeOther {
				t.Errorf("%s changed the other store's variants from %d to %d", what, beforeOther, afterOther)
			}
			if tt.want != nil {
				if afterV != beforeV {
					t.Errorf("%s created %d variants, want none", what, afterV-beforeV)
				}
				continue
			}
			stored := loadVariant(t, db, v.ID)
			if stored.StoreID != store || stored.ProductID != tt.product || stored.SKU != strings.TrimSpace(tt.fields.SKU) || stored.Name != strings.TrimSpace(tt.fields.Name) {
				t.Errorf("%s stored %+v, want product %d, SKU %q, name %q", what, stored, tt.product, strings.TrimSpace(tt.fields.SKU), strings.TrimSpace(tt.fields.Name))
			}
		}
	})

	t.Run("update", func(t *testing.T) {
		tests := []struct {
			name    string
			patch   catalog.VariantPatch
			id      int64 // 0 for a fresh variant of mine
			want    *wantErr
			wantSKU string
			name2   string // the name after the call
		}{
			{"empty patch", catalog.VariantPatch{}, 0, nil, "V", "Small"},
			{"name only", catalog.VariantPatch{Name: ptr(" Medium ")}, 0, nil, "V", "Medium"},
			{"SKU only", catalog.VariantPatch{SKU: ptr(" V2 ")}, 0, nil, "V2", "Small"},
			{"its own SKU", catalog.VariantPatch{SKU: ptr("V"), Name: ptr("")}, 0, nil, "V", ""},
			{"another store's SKU", catalog.VariantPatch{SKU: ptr("THEIRS-2")}, 0, nil, "THEIRS-2", "Small"},
			{"taken SKU", catalog.VariantPatch{SKU: ptr("TAKEN"), Name: ptr("Lost")}, 0, &wantErr{code: apperr.Conflict, field: "sku", index: -1, contains: `"TAKEN"`}, "V", "Small"},
			{"empty SKU", catalog.VariantPatch{SKU: ptr(" ")}, 0, &wantErr{code: apperr.BadUserInput, field: "sku", index: -1}, "V", "Small"},
			{"unknown ID", catalog.VariantPatch{Name: ptr("X")}, 1 << 40, &wantErr{code: apperr.NotFound, index: -1}, "V", "Small"},
			{"another store's variant", catalog.VariantPatch{Name: ptr("X")}, theirVariant.ID, &wantErr{code: apperr.NotFound, index: -1}, "V", "Small"},
		}
		for _, tt := range tests {
			v, err := catalog.CreateVariant(ctx, db.DB, store, mine.ID, catalog.VariantFields{SKU: "V", Name: "Small"})
			if err != nil {
				t.Fatalf("CreateVariant error = %v, want nil", err)
			}
			id := v.ID
			if tt.id != 0 {
				id = tt.id
			}
			got, err := catalog.UpdateVariant(ctx, db.DB, store, id, tt.patch)
			what := fmt.Sprintf("%s: UpdateVariant(%d, %+v)", tt.name, id, tt.patch)
			checkErr(t, what, err, tt.want)
			stored := loadVariant(t, db, v.ID)
			if stored.SKU != tt.wantSKU || stored.Name != tt.name2 || stored.ProductID != mine.ID {
				t.Errorf("%s stored SKU, name, product = %q, %q, %d, want %q, %q, %d", what, stored.SKU, stored.Name, stored.ProductID, tt.wantSKU, tt.name2, mine.ID)
			}
			if tt.want == nil && (got.ID != v.ID || got.SKU != stored.SKU || got.Name != stored.Name) {
				t.Errorf("%s = %+v, want the stored %+v", what, got, stored)
			}
			if th := loadVariant(t, db, theirVariant.ID); th.Name != theirVariant.Name || th.SKU != theirVariant.SKU {
				t.Errorf("%s changed the other store's variant to %+v", what, th)
			}
			if err := db.Delete(&stored).Error; err != nil {
				t.Fatalf("delete variant: %v", err)
			}
		}
	})
}

func variantsOf(t *testing.T, db *database.DB, productID int64) []models.Variant {
	t.Helper()
	var vs []models.Variant
	if err := db.Where("product_id = ?", productID).Order("id").Find(&vs).Error; err != nil {
		t.Fatalf("load variants of %d: %v", productID, err)
	}
	return vs
}

func countRows(t *testing.T, db *database.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestDeleteProductAndVariant(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store, other := mustStore(t, db, "writer"), mustStore(t, db, "neighbour")
	mine := mustCreate(t, db, store, spec{"Mine", "", []string{"M-1", "M-2"}})
	keep := mustCreate(t, db, store, spec{"Keep", "", []string{"K-1"}})
	theirs := mustCreate(t, db, other, spec{"Theirs", "", []string{"T-1"}})
	loc, err := catalog.CreateLocation(ctx, db.DB, store, catalog.LocationPatch{Code: ptr("WH"), Name: ptr("Warehouse")})
	if err != nil {
		t.Fatalf("CreateLocation error = %v, want nil", err)
	}
	for _, v := range append(variantsOf(t, db, mine.ID), variantsOf(t, db, keep.ID)...) {
		mustExec(t, db, `INSERT INTO inventory_items (store_id, variant_id, location_id, on_hand) VALUES (?, ?, ?, 3)`, store, v.ID, loc.ID)
	}
	theirVariant := variantsOf(t, db, theirs.ID)[0]

	// Stock is never deleted with its variant: it must be moved away first.
	stockHeld := &wantErr{code: apperr.Conflict, index: -1, contains: "3 units"}
	checkErr(t, "DeleteVariant(holding stock)", catalog.DeleteVariant(ctx, db.DB, store, variantsOf(t, db, keep.ID)[0].ID), stockHeld)
	checkErr(t, "DeleteProduct(holding stock)", catalog.DeleteProduct(ctx, db.DB, store, keep.ID), stockHeld)
	mustExec(t, db, `UPDATE inventory_items SET on_hand = 0 WHERE store_id = ?`, store)

	notFound := &wantErr{code: apperr.NotFound, index: -1}
	checkErr(t, "DeleteProduct(unknown)", catalog.DeleteProduct(ctx, db.DB, store, 1<<40), notFound)
	checkErr(t, "DeleteProduct(another store's)", catalog.DeleteProduct(ctx, db.DB, store, theirs.ID), notFound)
	checkErr(t, "DeleteVariant(unknown)", catalog.DeleteVariant(ctx, db.DB, store, 1<<40), notFound)
	checkErr(t, "DeleteVariant(another store's)", catalog.DeleteVariant(ctx, db.DB, store, theirVariant.ID), notFound)
	if n := countRows(t, db, "products", "store_id = ?", other); n != 1 {
		t.Errorf("the other store has %d products after the refused deletes, want 1", n)
	}
	if n := countRows(t, db, "variants", "store_id = ?", other); n != 1 {
		t.Errorf("the other store has %d variants after the refused deletes, want 1", n)
	}

	// Deleting a variant takes its inventory items along, nothing else.
	kv := variantsOf(t, db, keep.ID)[0]
	checkErr(t, "DeleteVariant(own)", catalog.DeleteVariant(ctx, db.DB, store, kv.ID), nil)
	if n := countRows(t, db, "variants", "id = ?", kv.ID); n != 0 {
		t.Errorf("DeleteVariant(%d) left the variant", kv.ID)
	}
	if n := countRows(t, db, "inventory_items", "variant_id = ?", kv.ID); n != 0 {
		t.Errorf("DeleteVariant(%d) left %d inventory items, want 0", kv.ID, n)
	}
	checkErr(t, "DeleteVariant(again)", catalog.DeleteVariant(ctx, db.DB, store, kv.ID), notFound)
	if n := countRows(t, db, "products", "id = ?", keep.ID); n != 1 {
		t.Errorf("DeleteVariant deleted the product too")
	}

	// Deleting a product takes its variants and their items along.
	checkErr(t, "DeleteProduct(own)", catalog.DeleteProduct(ctx, db.DB, store, mine.ID), nil)
	if n := countRows(t, db, "variants", "product_id = ?", mine.ID); n != 0 {
		t.Errorf("DeleteProduct(%d) left %d variants, want 0", mine.ID, n)
	}
	if n := countRows(t, db, "inventory_items", "store_id = ?", store); n != 0 {
		t.Errorf("the store has %d inventory items after both deletes, want 0", n)
	}
	checkErr(t, "DeleteProduct(again)", catalog.DeleteProduct(ctx, db.DB, store, mine.ID), notFound)
	if n := countRows(t, db, "locations", "id = ?", loc.ID); n != 1 {
		t.Errorf("deleting products deleted the location")
	}
}

func TestCreateLocation(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store, other := mustStore(t, db, "writer"), mustStore(t, db, "neighbour")
	if _, err := catalog.CreateLocation(ctx, db.DB, other, catalog.LocationPatch{Code: ptr("SHARED"), Name: ptr("Theirs")}); err != nil {
		t.Fatalf("CreateLocation(other store) error = %v, want nil", err)
	}
	storeType := models.LocationStore
	tests := []struct {
		name  string
		patch catalog.LocationPatch
		want  *wantErr
		check func(models.Location) bool
	}{
		{"defaults", catalog.LocationPatch{Code: ptr(" MAIN "), Name: ptr(" Main ")}, nil, func(l models.Location) bool {
			return l.Code == "MAIN" && l.Name == "Main" && l.Type == models.LocationWarehouse && l.Enabled && !l.OnHold && l.Priority == 0
		}},
		{"all fields", catalog.LocationPatch{Code: ptr("bin.a-1_x"), Name: ptr("Bin"), Type: &storeType, Enabled: ptr(false), Priority: ptr(-7), OnHold: ptr(true),
			Address: &catalog.AddressPatch{Line1: ptr(" 1 Road "), City: ptr("Berlin"), CountryCode: ptr(" de "), Email: ptr("a@b.c")}}, nil, func(l models.Location) bool {
			return l.Code == "bin.a-1_x" && l.Type == models.LocationStore && !l.Enabled && l.OnHold && l.Priority == -7 &&
				l.AddressLine1 == "1 Road" && l.City == "Berlin" && l.CountryCode == "DE" && l.Email == "a@b.c"
		}},
		{"code of another store", catalog.LocationPatch{Code: ptr("SHARED"), Name: ptr("Mine")}, nil, nil},
		{"duplicate code", catalog.LocationPatch{Code: ptr("MAIN"), Name: ptr("Again")}, &wantErr{code: apperr.Conflict, field: "code", index: -1, contains: `"MAIN"`}, nil},
		{"no code", catalog.LocationPatch{Name: ptr("X")}, &wantErr{code: apperr.BadUserInput, field: "code", index: -1}, nil},
		{"code with a space", catalog.LocationPatch{Code: ptr("A B"), Name: ptr("X")}, &wantErr{code: apperr.BadUserInput, field: "code", index: -1}, nil},
		{"code starting with a dash", catalog.LocationPatch{Code: ptr("-A"), Name: ptr("X")}, &wantErr{code: apperr.BadUserInput, field: "code", index: -1}, nil},
		{"code too long", catalog.LocationPatch{Code: ptr(strings.Repeat("a", 65)), Name: ptr("X")}, &wantErr{code: apperr.BadUserInput, field: "code", index: -1}, nil},
		{"code of 64", catalog.LocationPatch{Code: ptr(strings.Repeat("a", 64)), Name: ptr("X")}, nil, nil},
		{"no name", catalog.LocationPatch{Code: ptr("N"), Name: ptr("  ")}, &wantErr{code: apperr.BadUserInput, field: "name", index: -1}, nil},
		{"country of three letters", catalog.LocationPatch{Code: ptr("C1"), Name: ptr("X"), Address: &catalog.AddressPatch{CountryCode: ptr("DEU")}}, &wantErr{code: apperr.BadUserInput, field: "address.countryCode", index: -1}, nil},
		{"country name", catalog.LocationPatch{Code: ptr("C2"), Name: ptr("X"), Address: &catalog.AddressPatch{CountryCode: ptr("Germany")}}, &wantErr{code: apperr.BadUserInput, field: "address.countryCode", index: -1}, nil},
		{"country with a digit", catalog.LocationPatch{Code: ptr("C3"), Name: ptr("X"), Address: &catalog.AddressPatch{CountryCode: ptr("D1")}}, &wantErr{code: apperr.BadUserInput, field: "address.countryCode", index: -1}, nil},
		{"unknown type", catalog.LocationPatch{Code: ptr("T"), Name: ptr("X"), Type: ptr(models.LocationType("SHOP"))}, &wantErr{code: apperr.BadUserInput, field: "type", index: -1}, nil},
		{"priority out of range", catalog.LocationPatch{Code: ptr("P"), Name: ptr("X"), Priority: ptr(1000001)}, &wantErr{code: apperr.BadUserInput, field: "priority", index: -1}, nil},
	}
	for _, tt := range tests {
		before := countRows(t, db, "locations", "store_id = ?", store)
		loc, err := catalog.CreateLocation(ctx, db.DB, store, tt.patch)
		what := fmt.Sprintf("%s: CreateLocation", tt.name)
		checkErr(t, what, err, tt.want)
		after := countRows(t, db, "locations", "store_id = ?", store)
		if tt.want != nil {
			if after != before {
				t.Errorf("%s created a location anyway", what)
			}
			continue
		}
		var stored models.Location
		if err := db.Where("store_id = ? AND id = ?", store, loc.ID).Take(&stored).Error; err != nil {
			t.Fatalf("%s: load location %d: %v", what, loc.ID, err)
		}
		if tt.check != nil && !tt.check(stored) {
			t.Errorf("%s stored %+v, which does not match", what, stored)
		}
	}
}

// locationFixture is a store with a warehouse stocking two variants, and
// another store with a location of its own.
type locationFixture struct {
	db         *database.DB
	store      int64
	loc        models.Location
	items      []int64
	otherLoc   models.Location
	otherStore int64
}

func newLocationFixture(t *testing.T, db *database.DB, code string) locationFixture {
	t.Helper()
	ctx := context.Background()
	f := locationFixture{db: db, store: mustStore(t, db, "loc-"+strings.ToLower(code)), otherStore: mustStore(t, db, "loc-other-"+strings.ToLower(code))}
	var err error
	f.loc, err = catalog.CreateLocation(ctx, db.DB, f.store, catalog.LocationPatch{Code: ptr(code), Name: ptr("Warehouse " + code),
		Address: &catalog.AddressPatch{City: ptr("Hamburg"), CountryCode: ptr("DE")}})
	if err != nil {
		t.Fatalf("CreateLocation error = %v, want nil", err)
	}
	f.otherLoc, err = catalog.CreateLocation(ctx, db.DB, f.otherStore, catalog.LocationPatch{Code: ptr(code), Name: ptr("Theirs")})
	if err != nil {
		t.Fatalf("CreateLocation(other) error = %v, want nil", err)
	}
	// The store's first location became its default, which cannot be
	// deleted or disabled (TestDefaultLocationStays); these tests change
	// another.
	main, err := catalog.CreateLocation(ctx, db.DB, f.store, catalog.LocationPatch{Code: ptr("MAIN-" + code), Name: ptr("Main")})
	if err != nil {
		t.Fatalf("CreateLocation(main) error = %v, want nil", err)
	}
	mustExec(t, db, `UPDATE stores SET default_location_id = ? WHERE id = ?`, main.ID, f.store)
	p := mustCreate(t, db, f.store, spec{"Stocked " + code, "", []string{code + "-1", code + "-2"}})
	for _, v := range variantsOf(t, db, p.ID) {
		var id int64
		if err := db.Raw(`INSERT INTO inventory_items (store_id, variant_id, location_id) VALUES (?, ?, ?) RETURNING id`, f.store, v.ID, f.loc.ID).Scan(&id).Error; err != nil {
			t.Fatalf("insert inventory item: %v", err)
		}
		f.items = append(f.items, id)
	}
	return f
}

func (f locationFixture) load(t *testing.T) models.Location {
	t.Helper()
	var l models.Location
	if err := f.db.Where("store_id = ? AND id = ?", f.store, f.loc.ID).Take(&l).Error; err != nil {
		t.Fatalf("load location %d: %v", f.loc.ID, err)
	}
	return l
}

func TestUpdateLocation(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	virtual, physical := models.LocationSupplier, models.LocationStore

	t.Run("partial patches", func(t *testing.T) {
		f := newLocationFixture(t, db, "UP")
		if _, err := catalog.CreateLocation(ctx, db.DB, f.store, catalog.LocationPatch{Code: ptr("TAKEN"), Name: ptr("Taken")}); err != nil {
			t.Fatalf("CreateLocation error = %v, want nil", err)
		}
		steps := []struct {
			name  string
			patch catalog.LocationPatch
			want  *wantErr
			check func(models.Location) bool
		}{
			{"name only", catalog.LocationPatch{Name: ptr(" Renamed ")}, nil, func(l models.Location) bool {
				return l.Name == "Renamed" && l.Code == "UP" && l.City == "Hamburg" && l.CountryCode == "DE" && l.Enabled && l.Type == models.LocationWarehouse
			}},
			{"address city only", catalog.LocationPatch{Address: &catalog.AddressPatch{City: ptr("Bremen"), CountryCode: ptr("at")}}, nil, func(l models.Location) bool {
				return l.Name == "Renamed" && l.City == "Bremen" && l.CountryCode == "AT"
			}},
			{"address phone only", catalog.LocationPatch{Address: &catalog.AddressPatch{Phone: ptr(" +49 40 1 ")}}, nil, func(l models.Location) bool {
				return l.Phone == "+49 40 1" && l.City == "Bremen" && l.CountryCode == "AT" && l.Name == "Renamed"
			}},
			{"flags and priority", catalog.LocationPatch{Enabled: ptr(false), OnHold: ptr(true), Priority: ptr(42)}, nil, func(l models.Location) bool {
				return !l.Enabled && l.OnHold && l.Priority == 42 && l.Name == "Renamed" && l.City == "Bremen"
			}},
			{"code", catalog.LocationPatch{Code: ptr("UP-2")}, nil, func(l models.Location) bool { return l.Code == "UP-2" && l.Priority == 42 }},
			{"physical to physical with stock", catalog.LocationPatch{Type: &physical}, nil, func(l models.Location) bool { return l.Type == models.LocationStore }},
			{"taken code", catalog.LocationPatch{Code: ptr("TAKEN"), Name: ptr("Lost")}, &wantErr{code: apperr.Conflict, field: "code", index: -1, contains: `"TAKEN"`}, func(l models.Location) bool {
				return l.Code == "UP-2" && l.Name == "Renamed"
			}},
			{"bad country", catalog.LocationPatch{Address: &catalog.AddressPatch{CountryCode: ptr("XYZ")}}, &wantErr{code: apperr.BadUserInput, field: "address.countryCode", index: -1}, func(l models.Location) bool {
				return l.CountryCode == "AT"
			}},
			{"bad code", catalog.LocationPatch{Code: ptr("")}, &wantErr{code: apperr.BadUserInput, field: "code", index: -1}, func(l models.Location) bool { return l.Code == "UP-2" }},
		}
		for _, s := range steps {
			if s.name == "physical to physical with stock" {
				mustExec(t, db, `UPDATE inventory_items SET on_hand = 5 WHERE id = ?`, f.items[0])
			}
			got, err := catalog.UpdateLocation(ctx, db.DB, f.store, f.loc.ID, s.patch)
			what := fmt.Sprintf("%s: UpdateLocation(%+v)", s.name, s.patch)
			checkErr(t, what, err, s.want)
			stored := f.load(t)
			if !s.check(stored) {
				t.Errorf("%s stored %+v, which does not match", what, stored)
			}
			if s.want == nil && (got.Code != stored.Code || got.Name != stored.Name || got.Type != stored.Type) {
				t.Errorf("%s = %+v, want the stored %+v", what, got, stored)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		f := newLocationFixture(t, db, "NF")
		for _, id := range []int64{1 << 40, f.otherLoc.ID} {
			_, err := catalog.UpdateLocation(ctx, db.DB, f.store, id, catalog.LocationPatch{Name: ptr("Stolen")})
			checkErr(t, fmt.Sprintf("UpdateLocation(%d)", id), err, &wantErr{code: apperr.NotFound, index: -1})
		}
		var theirs models.Location
		if err := db.Where("id = ?", f.otherLoc.ID).Take(&theirs).Error; err != nil || theirs.Name != "Theirs" {
			t.Errorf("the other store's location = %+v, %v, want it unchanged", theirs, err)
		}
	})

	t.Run("virtual locations are built in", func(t *testing.T) {
		f := newLocationFixture(t, db, "VS")
		if err := catalog.EnsureVirtualLocations(db.DB, f.store); err != nil {
			t.Fatal(err)
		}
		var supplier models.Location
		if err := db.Where("store_id = ? AND type = 'SUPPLIER'", f.store).Take(&supplier).Error; err != nil {
			t.Fatal(err)
		}
		builtIn := &wantErr{code: apperr.BadUserInput, field: "type", index: -1}
		_, err := catalog.UpdateLocation(ctx, db.DB, f.store, f.loc.ID, catalog.LocationPatch{Type: &virtual})
		checkErr(t, "UpdateLocation(WAREHOUSE to SUPPLIER)", err, builtIn)
		_, err = catalog.CreateLocation(ctx, db.DB, f.store, catalog.LocationPatch{Code: ptr("SUP-2"), Name: ptr("Another"), Type: &virtual})
		checkErr(t, "CreateLocation(SUPPLIER)", err, builtIn)
		_, err = catalog.UpdateLocation(ctx, db.DB, f.store, supplier.ID, catalog.LocationPatch{Type: &physical})
		checkErr(t, "UpdateLocation(SUPPLIER to STORE)", err, builtIn)
		_, err = catalog.UpdateLocation(ctx, db.DB, f.store, supplier.ID, catalog.LocationPatch{Code: ptr("ELSEWHERE")})
		checkErr(t, "UpdateLocation(SUPPLIER's code)", err, builtIn)
		checkErr(t, "DeleteLocation(SUPPLIER)", catalog.DeleteLocation(ctx, db.DB, f.store, supplier.ID), builtIn)
		got, err := catalog.UpdateLocation(ctx, db.DB, f.store, supplier.ID, catalog.LocationPatch{Name: ptr("Main supplier")})
		checkErr(t, "UpdateLocation(SUPPLIER's name)", err, nil)
		if got.Name != "Main supplier" || got.Type != models.LocationSupplier || got.Code != "SUPPLIER" {
			t.Errorf("UpdateLocation(SUPPLIER's name) = %+v, want the new name, code and type kept", got)
		}
	})
}

func TestDeleteLocation(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	f := newLocationFixture(t, db, "DEL")
	notFound := &wantErr{code: apperr.NotFound, index: -1}
	checkErr(t, "DeleteLocation(unknown)", catalog.DeleteLocation(ctx, db.DB, f.store, 1<<40), notFound)
	checkErr(t, "DeleteLocation(another store's)", catalog.DeleteLocation(ctx, db.DB, f.store, f.otherLoc.ID), notFound)
	if n := countRows(t, db, "locations", "id = ?", f.otherLoc.ID); n != 1 {
		t.Errorf("DeleteLocation(another store's) deleted it")
	}

	for _, set := range []string{"on_hand = 7", "on_hand = -1", "qty_backordered = 2", "committed = 1", "damaged = 1", "incoming = 3", "quality_control = 2", "qty_preordered = 1"} {
		mustExec(t, db, `UPDATE inventory_items SET `+set+` WHERE id = ?`, f.items[0])
		err := catalog.DeleteLocation(ctx, db.DB, f.store, f.loc.ID)
		checkErr(t, fmt.Sprintf("DeleteLocation with %s", set), err, &wantErr{code: apperr.Conflict, index: -1})
		if n := countRows(t, db, "locations", "id = ?", f.loc.ID); n != 1 {
			t.Fatalf("DeleteLocation with %s deleted the location", set)
		}
		if n := countRows(t, db, "inventory_items", "location_id = ?", f.loc.ID); n != 2 {
			t.Errorf("DeleteLocation with %s left %d inventory items, want 2", set, n)
		}
		mustExec(t, db, `UPDATE inventory_items SET on_hand = 0, qty_backordered = 0, committed = 0, damaged = 0, incoming = 0, quality_control = 0, qty_preordered = 0 WHERE id = ?`, f.items[0])
	}

	// Empty items go with the location; the variants stay.
	checkErr(t, "DeleteLocation(empty)", catalog.DeleteLocation(ctx, db.DB, f.store, f.loc.ID), nil)
	if n := countRows(t, db, "locations", "id = ?", f.loc.ID); n != 0 {
		t.Errorf("DeleteLocation(empty) left the location")
	}
	if n := countRows(t, db, "inventory_items", "location_id = ?", f.loc.ID); n != 0 {
		t.Errorf("DeleteLocation(empty) left %d inventory items, want 0", n)
	}
	if n := countRows(t, db, "variants", "store_id = ?", f.store); n != 2 {
		t.Errorf("DeleteLocation deleted variants: %d left, want 2", n)
	}
	checkErr(t, "DeleteLocation(again)", catalog.DeleteLocation(ctx, db.DB, f.store, f.loc.ID), notFound)

	// A location the ledger names stays, so that the ledger adds up.
	hist, err := catalog.CreateLocation(ctx, db.DB, f.store, catalog.LocationPatch{Code: ptr("HIST"), Name: ptr("History")})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `INSERT INTO inventory_movements (store_id, operation_id, variant_id, from_location_id, from_state, to_location_id, to_state, quantity, reason)
		VALUES (?, gen_random_uuid(), 1, ?, 'ON_HAND', ?, 'DAMAGED', 1, 'test')`, f.store, hist.ID, hist.ID)
	checkErr(t, "DeleteLocation(with ledger history)", catalog.DeleteLocation(ctx, db.DB, f.store, hist.ID), &wantErr{code: apperr.Conflict, field: "id", index: -1})
	// Nor does SQL that goes around DeleteLocation (the trigger of
	// migration 00019, in place of a foreign key).
	if err := db.Exec(`DELETE FROM locations WHERE id = ?`, hist.ID).Error; err == nil {
		t.Errorf("DELETE FROM locations of a location with ledger history succeeded")
	}
}

// TestUpdatesDoNotLoseConcurrentPatches runs two patches of different
// fields of one row at once. Each update reads the row and writes it back
// whole, so unless the read locks the row, the second writer overwrites
// the first one's change with the value it read before.
func TestUpdatesDoNotLoseConcurrentPatches(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	store := mustStore(t, db, "race")
	p := mustCreate(t, db, store, spec{"Before", "", []string{"RACE-1"}})
	v := variantsOf(t, db, p.ID)[0]
	loc, err := catalog.CreateLocation(ctx, db.DB, store, catalog.LocationPatch{Code: ptr("RACE"), Name: ptr("Before")})
	if err != nil {
		t.Fatalf("CreateLocation error = %v, want nil", err)
	}
	tests := []struct {
		name   string
		table  string
		id     int64
		a, b   func() error
		verify func() string // "" when both patches are in
	}{
		{"UpdateProduct", "products", p.ID,
			func() error {
				_, err := catalog.UpdateProduct(ctx, db.DB, store, p.ID, catalog.ProductPatch{Name: ptr("After")})
				return err
			},
			func() error {
				_, err := catalog.UpdateProduct(ctx, db.DB, store, p.ID, catalog.ProductPatch{Description: ptr("described")})
				return err
			},
			func() string {
				if got := loadProduct(t, db, p.ID); got.Name != "After" || got.Description != "described" {
					return fmt.Sprintf("name %q, description %q, want %q, %q", got.Name, got.Description, "After", "described")
				}
				return ""
			}},
		{"UpdateVariant", "variants", v.ID,
			func() error {
				_, err := catalog.UpdateVariant(ctx, db.DB, store, v.ID, catalog.VariantPatch{Name: ptr("After")})
				return err
			},
			func() error {
				_, err := catalog.UpdateVariant(ctx, db.DB, store, v.ID, catalog.VariantPatch{SKU: ptr("RACE-2")})
				return err
			},
			func() string {
				if got := loadVariant(t, db, v.ID); got.Name != "After" || got.SKU != "RACE-2" {
					return fmt.Sprintf("name %q, SKU %q, want %q, %q", got.Name, got.SKU, "After", "RACE-2")
				}
				return ""
			}},
		{"UpdateLocation", "locations", loc.ID,
			func() error {
				_, err := catalog.UpdateLocation(ctx, db.DB, store, loc.ID, catalog.LocationPatch{Name: ptr("After")})
				return err
			},
			func() error {
				_, err := catalog.UpdateLocation(ctx, db.DB, store, loc.ID, catalog.LocationPatch{Priority: ptr(5)})
				return err
			},
			func() string {
				var got models.Location
				if err := db.Where("id = ?", loc.ID).Take(&got).Error; err != nil || got.Name != "After" || got.Priority != 5 {
					return fmt.Sprintf("name %q, priority %d (%v), want %q, 5", got.Name, got.Priority, err, "After")
				}
				return ""
			}},
	}
	for _, tt := range tests {
		// Hold the row so that both updates are under way before either
		// writes: they queue on the lock, at their read if it locks, at
		// their write if not.
		holder := db.Begin()
		if err := holder.Exec(`SELECT 1 FROM `+tt.table+` WHERE id = ? FOR UPDATE`, tt.id).Error; err != nil {
			t.Fatalf("lock %s %d: %v", tt.table, tt.id, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, fn := range []func() error{tt.a, tt.b} {
			wg.Go(func() { errs[i] = fn() })
		}
		waitForLockWaiters(t, db.DB, 2)
		if err := holder.Commit().Error; err != nil {
			t.Fatalf("release the lock: %v", err)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s: concurrent patch %d error = %v, want nil", tt.name, i, err)
			}
		}
		if msg := tt.verify(); msg != "" {
			t.Errorf("%s: after two concurrent patches the row has %s; one patch was lost", tt.name, msg)
		}
	}
}

// waitForLockWaiters waits until n sessions of the test database wait for a lock.
func waitForLockWaiters(t *testing.T, db *gorm.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting).Error; err != nil {
			t.Fatalf("count lock waiters: %v", err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait for a lock after 10s, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
