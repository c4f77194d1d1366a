package inventory

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/models"
)

// MaxBatch is the most items one mutation may change.
const MaxBatch = 1000

// VariantRef names a variant the ways BigCommerce allows: by ID, by SKU,
// or by a product that has exactly one variant. Exactly one is set.
type VariantRef struct {
	VariantID int64
	SKU       string
	ProductID int64
}

// resolved is what a batch's references name, with the store as it is
// inside the batch's transaction.
type resolved struct {
	variants  []int64 // per line, 0 where the line failed
	locations map[int64]models.Location
	store     models.Store
	skus      map[int64]string // variant ID → SKU
	products  map[int64]int64  // variant ID → product ID, for events
}

// where names a variant at a location for a message, the way a merchant
// knows them: SKU "P00001-01" at LOC-1.
func (r resolved) where(variantID, locationID int64) string {
	return fmt.Sprintf("SKU %q at %s", r.skus[variantID], r.locations[locationID].Code)
}

// resolve finds every line's variant and loads the store's locations, in
// a constant number of statements; problems are reported per line, at the
// field the line named its variant by.
func resolve(ctx context.Context, tx *gorm.DB, storeID int64, refs []VariantRef, at func(int) line, errs *lineErrors) (resolved, error) {
	r := resolved{variants: make([]int64, len(refs)), locations: map[int64]models.Location{}, skus: map[int64]string{}, products: map[int64]int64{}}
	var ids, products []int64
	var skus []string
	for i, ref := range refs {
		switch {
		case countSet(ref) != 1:
			errs.add(i, at(i).errorf(apperr.BadUserInput, refField(ref), "name the variant by exactly one of variantId, sku and productId"))
		case ref.VariantID != 0:
			ids = append(ids, ref.VariantID)
		case ref.SKU != "":
			skus = append(skus, ref.SKU)
		default:
			products = append(products, ref.ProductID)
		}
	}
	found, err := lookupVariants(ctx, tx, storeID, ids, skus, products)
	if err != nil {
		return r, err
	}
	for i, ref := range refs {
		if errs.failed(i) {
			continue
		}
		id, sku, lineErr := found.of(ref, at(i))
		if lineErr != nil {
			errs.add(i, lineErr)
			continue
		}
		r.variants[i], r.skus[id], r.products[id] = id, sku, found.productOf[id]
	}
	store, locations, err := storeAndLocations(ctx, tx, storeID)
	if err != nil {
		return r, err
	}
	r.store, r.locations = store, locations
	return r, nil
}

// refField is the input field a reference names its variant by: the
// first one given, or variantId when none is; with several, the second,
// which is the one too many.
func refField(ref VariantRef) string {
	var given []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"variantId", ref.VariantID != 0}, {"sku", ref.SKU != ""}, {"productId", ref.ProductID != 0}} {
		if f.set {
			given = append(given, f.name)
		}
	}
	switch len(given) {
	case 0:
		return "variantId"
	case 1:
		return given[0]
	}
	return given[1]
}

// variantsFound are the variants that references name, by kind of reference.
type variantsFound struct {
	productOf map[int64]int64 // every variant found → its product
	byID      map[int64]string
	bySKU     map[string]int64
	byProduct map[int64][]models.Variant
}

// of returns the variant a reference names, and its SKU.
func (f variantsFound) of(ref VariantRef, at line) (int64, string, *apperr.Error) {
	switch {
	case ref.VariantID != 0:
		sku, ok := f.byID[ref.VariantID]
		if !ok {
			return 0, "", at.errorf(apperr.NotFound, "variantId", "no variant with ID %d", ref.VariantID)
		}
		return ref.VariantID, sku, nil
	case ref.SKU != "":
		v, ok := f.bySKU[ref.SKU]
		if !ok {
			return 0, "", at.errorf(apperr.NotFound, "sku", "no variant with SKU %q", ref.SKU)
		}
		return v, ref.SKU, nil
	}
	vs := f.byProduct[ref.ProductID]
	switch len(vs) {
	case 0:
		return 0, "", at.errorf(apperr.NotFound, "productId", "no product with ID %d, or it has no variants", ref.ProductID)
	case 1:
		return vs[0].ID, vs[0].SKU, nil
	}
	return 0, "", at.errorf(apperr.BadUserInput, "productId", "product %d has %d variants; name the variant by variantId or sku", ref.ProductID, len(vs))
}

func countSet(ref VariantRef) int {
	n := 0
	for _, set := range []bool{ref.VariantID != 0, ref.SKU != "", ref.ProductID != 0} {
		if set {
			n++
		}
	}
	return n
}

// lookupVariants runs at most three statements, one per kind of
// reference, and returns the variants' SKUs too, for messages.
func lookupVariants(ctx context.Context, tx *gorm.DB, storeID int64, ids []int64, skus []string, products []int64) (variantsFound, error) {
	f := variantsFound{productOf: map[int64]int64{}, byID: map[int64]string{}, bySKU: map[string]int64{}, byProduct: map[int64][]models.Variant{}}
	var rows []models.Variant
	if len(ids) > 0 {
		if err := tx.WithContext(ctx).Select("id", "product_id", "sku").Where("store_id = ? AND id IN ?", storeID, ids).Find(&rows).Error; err != nil {
			return f, fmt.Errorf("look up variants: %w", err)
		}
		for _, v := range rows {
			f.byID[v.ID], f.productOf[v.ID] = v.SKU, v.ProductID
		}
	}
	if len(skus) > 0 {
		rows = nil
		if err := tx.WithContext(ctx).Select("id", "product_id", "sku").Where("store_id = ? AND sku IN ?", storeID, skus).Find(&rows).Error; err != nil {
			return f, fmt.Errorf("look up variants by SKU: %w", err)
		}
		for _, v := range rows {
			f.bySKU[v.SKU], f.productOf[v.ID] = v.ID, v.ProductID
		}
	}
	if len(products) > 0 {
		rows = nil
		if err := tx.WithContext(ctx).Select("id", "product_id", "sku").Where("store_id = ? AND product_id IN ?", storeID, products).Order("id").Find(&rows).Error; err != nil {
			return f, fmt.Errorf("look up variants by product: %w", err)
		}
		for _, v := range rows {
			f.byProduct[v.ProductID], f.productOf[v.ID] = append(f.byProduct[v.ProductID], v), v.ProductID
		}
	}
	return f, nil
}

// lineErrors collects the problems of a batch, one per line at most.
type lineErrors struct {
	byLine map[int]*apperr.Error
	order  []int
}

func (e *lineErrors) add(i int, err *apperr.Error) {
	if e.byLine == nil {
		e.byLine = map[int]*apperr.Error{}
	}
	if _, dup := e.byLine[i]; dup {
		return
	}
	e.byLine[i] = err
	e.order = append(e.order, i)
}

func (e *lineErrors) failed(i int) bool { _, ok := e.byLine[i]; return ok }

func (e *lineErrors) any() bool { return len(e.order) > 0 }

// list returns the errors in line order.
func (e *lineErrors) list() apperr.List {
	out := make(apperr.List, 0, len(e.order))
	for i := range maxLine(e.order) + 1 {
		if err, ok := e.byLine[i]; ok {
			out = append(out, err)
		}
	}
	return out
}

func maxLine(lines []int) int {
	m := -1
	for _, l := range lines {
		m = max(m, l)
	}
	return m
}

// storeAndLocations reads the store and all its locations in one
// statement. It is the one way a write reads the store: through
// stock_write_store (migration 00011), which holds the store's switches
// (negative stock, backorders, preorders) against change until the
// write's transaction ends, and sees a change committed just before.
// Locations need no lock: the ledger's and the items' foreign keys keep a
// location a write names from being deleted under it, and a physical
// location cannot become virtual (catalog.checkBuiltIn).
func storeAndLocations(ctx context.Context, tx *gorm.DB, storeID int64) (models.Store, map[int64]models.Location, error) {
	var rows []struct {
		models.Location
		StoreHandle        string
		StoreName          string
		BackordersEnabled  bool
		PreordersEnabled   bool
		AllowNegativeStock bool
	}
	err := tx.WithContext(ctx).Raw(`
		SELECT l.*, s.handle AS store_handle, s.name AS store_name, s.backorders_enabled, s.preorders_enabled, s.allow_negative_stock
		FROM stock_write_store(?) s JOIN locations l ON l.store_id = s.id`, storeID).Scan(&rows).Error
	if err != nil {
		return models.Store{}, nil, fmt.Errorf("read store %d and its locations: %w", storeID, err)
	}
	if len(rows) == 0 { // every store has its built-in locations
		return models.Store{}, nil, fmt.Errorf("store %d has no locations", storeID)
	}
	r := rows[0]
	store := models.Store{ID: storeID, Handle: r.StoreHandle, Name: r.StoreName,
		BackordersEnabled: r.BackordersEnabled, PreordersEnabled: r.PreordersEnabled, AllowNegativeStock: r.AllowNegativeStock}
	locations := make(map[int64]models.Location, len(rows))
	for _, row := range rows {
		locations[row.Location.ID] = row.Location
	}
	return store, locations, nil
}
