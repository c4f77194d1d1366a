package inventory

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
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

// resolve finds every line's variant and reads the store and its
// locations, in one statement (storeAndRefs); problems are reported per line, at the
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
	store, locations, found, err := storeAndRefs(ctx, tx, storeID, ids, skus, products)
	if err != nil {
		return r, err
	}
	r.store, r.locations = store, locations
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

// sortFound sorts the variants a statement found by the kind of
// reference that names each (a variant may be named several ways), with
// its SKU, for messages. The variants come in ID order.
func sortFound(ids []int64, skus []string, products []int64, rows []models.Variant) variantsFound {
	f := variantsFound{productOf: map[int64]int64{}, byID: map[int64]string{}, bySKU: map[string]int64{}, byProduct: map[int64][]models.Variant{}}
	byID, bySKU, byProduct := setOf(ids), setOf(skus), setOf(products)
	for _, v := range rows {
		f.productOf[v.ID] = v.ProductID
		if byID[v.ID] {
			f.byID[v.ID] = v.SKU
		}
		if bySKU[v.SKU] {
			f.bySKU[v.SKU] = v.ID
		}
		if byProduct[v.ProductID] {
			f.byProduct[v.ProductID] = append(f.byProduct[v.ProductID], v)
		}
	}
	return f
}

func setOf[K comparable](keys []K) map[K]bool {
	set := make(map[K]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return set
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
// statement (storeAndRefs).
func storeAndLocations(ctx context.Context, tx *gorm.DB, storeID int64) (models.Store, map[int64]models.Location, error) {
	store, locations, _, err := storeAndRefs(ctx, tx, storeID, nil, nil, nil)
	return store, locations, err
}

// storeAndRefsSQL reads the store's row and each of its locations, and
// the variants named by ID ($2), SKU ($3) or product ($4) as arrays in
// ID order, on the first row only.
const storeAndRefsSQL = `
	SELECT l.*, s.handle AS store_handle, s.name AS store_name, s.backorders_enabled, s.preorders_enabled, s.allow_negative_stock,
	       s.default_location_id, s.require_expected_revision,
	       CASE WHEN row_number() OVER () = 1 THEN v.ids END AS variant_ids,
	       CASE WHEN row_number() OVER () = 1 THEN v.products END AS variant_products,
	       CASE WHEN row_number() OVER () = 1 THEN v.skus END AS variant_skus
	FROM stock_write_store($1) s JOIN locations l ON l.store_id = s.id
	CROSS JOIN (
		SELECT array_agg(id ORDER BY id) AS ids, array_agg(product_id ORDER BY id) AS products, array_agg(sku ORDER BY id) AS skus
		FROM variants
		WHERE store_id = $1 AND (id = ANY($2::bigint[]) OR sku = ANY($3::text[]) OR product_id = ANY($4::bigint[]))) v`

// storeAndRefs reads the store, all its locations and the variants that
// references name (by ID, SKU or product) in one statement. It is the
// one way a write reads the store: through stock_write_store (migration
// 00011), which holds the store's switches (negative stock, backorders,
// preorders) against change until the write's transaction ends, and sees
// a change committed just before. Locations need no lock: the ledger's
// and the items' foreign keys keep a location a write names from being
// deleted under it, and a physical location cannot become virtual
// (catalog.checkBuiltIn).
func storeAndRefs(ctx context.Context, tx *gorm.DB, storeID int64, ids []int64, skus []string, products []int64) (
	models.Store, map[int64]models.Location, variantsFound, error) {
	var rows []struct {
		models.Location
		StoreHandle             string
		StoreName               string
		BackordersEnabled       bool
		PreordersEnabled        bool
		AllowNegativeStock      bool
		DefaultLocationID       *int64
		RequireExpectedRevision bool
		VariantIDs              models.Int64Array
		VariantProducts         models.Int64Array
		VariantSKUs             models.StringArray `gorm:"column:variant_skus"`
	}
	err := tx.WithContext(ctx).Raw(storeAndRefsSQL, storeID, database.Int64s(ids), models.StringArray(skus), database.Int64s(products)).Scan(&rows).Error
	if err != nil {
		return models.Store{}, nil, variantsFound{}, fmt.Errorf("read store %d, its locations and variants: %w", storeID, err)
	}
	if len(rows) == 0 { // every store has its built-in locations
		return models.Store{}, nil, variantsFound{}, fmt.Errorf("store %d has no locations", storeID)
	}
	r := rows[0]
	store := models.Store{ID: storeID, Handle: r.StoreHandle, Name: r.StoreName,
		BackordersEnabled: r.BackordersEnabled, PreordersEnabled: r.PreordersEnabled, AllowNegativeStock: r.AllowNegativeStock,
		DefaultLocationID: r.DefaultLocationID, RequireExpectedRevision: r.RequireExpectedRevision}
	locations := make(map[int64]models.Location, len(rows))
	for _, row := range rows {
		locations[row.Location.ID] = row.Location
	}
	variants := make([]models.Variant, len(r.VariantIDs))
	for i := range variants {
		variants[i] = models.Variant{ID: r.VariantIDs[i], ProductID: r.VariantProducts[i], SKU: r.VariantSKUs[i]}
	}
	return store, locations, sortFound(ids, skus, products, variants), nil
}
