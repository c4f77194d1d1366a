// Package catalog owns products, variants and locations: reading them in
// batches (for the dataloaders) and creating, changing and deleting them.
// Functions take a context, a *gorm.DB (a pool or a transaction) and plain
// values; they know nothing of GraphQL.
package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// ProductsByIDs returns the store's products with the given IDs, keyed by ID.
func ProductsByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.Product, error) {
	var rows []models.Product
	if err := db.WithContext(ctx).Where("store_id = ? AND id IN ?", storeID, ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	return byID(rows, func(p models.Product) int64 { return p.ID }), nil
}

// VariantsByIDs returns the store's variants with the given IDs, keyed by ID.
func VariantsByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.Variant, error) {
	var rows []models.Variant
	if err := db.WithContext(ctx).Where("store_id = ? AND id IN ?", storeID, ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load variants: %w", err)
	}
	return byID(rows, func(v models.Variant) int64 { return v.ID }), nil
}

// VariantsBySKUs returns the store's variants with the given SKUs, keyed by SKU.
func VariantsBySKUs(ctx context.Context, db *gorm.DB, storeID int64, skus []string) (map[string]models.Variant, error) {
	var rows []models.Variant
	if err := db.WithContext(ctx).Where("store_id = ? AND sku IN ?", storeID, skus).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load variants by SKU: %w", err)
	}
	out := make(map[string]models.Variant, len(rows))
	for _, v := range rows {
		out[v.SKU] = v
	}
	return out, nil
}

// ProductBySKU returns the store's product with the given own SKU.
func ProductBySKU(ctx context.Context, db *gorm.DB, storeID int64, sku string) (models.Product, error) {
	var rows []models.Product
	if err := db.WithContext(ctx).Where("store_id = ? AND sku = ? AND sku <> ''", storeID, sku).Limit(1).Find(&rows).Error; err != nil {
		return models.Product{}, fmt.Errorf("load product by SKU: %w", err)
	}
	if len(rows) == 0 {
		return models.Product{}, apperr.New(apperr.NotFound, "no product with SKU %q", sku)
	}
	return rows[0], nil
}

// Locations returns all of the store's locations, highest priority first,
// then by ID. Stores have few locations, so they are loaded whole.
func Locations(ctx context.Context, db *gorm.DB, storeID int64) ([]models.Location, error) {
	var rows []models.Location
	if err := db.WithContext(ctx).Where("store_id = ?", storeID).Order("priority DESC, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load locations: %w", err)
	}
	return rows, nil
}

// VariantPages returns a page of variants, in creation order, for each product.
func VariantPages(ctx context.Context, db *gorm.DB, storeID int64, productIDs []int64, w page.Window) (map[int64]page.Page[models.Variant], error) {
	return database.ChildPages(ctx, db, database.ChildQuery{
		Table: "variants", ParentColumn: "product_id", StoreID: storeID, ParentIDs: productIDs, Window: w,
	}, func(v models.Variant) int64 { return v.ID })
}

// ProductSortField is a column products can be sorted by.
type ProductSortField string

// The product sort fields.
const (
	SortByID        ProductSortField = "ID"
	SortByName      ProductSortField = "NAME"
	SortBySKU       ProductSortField = "SKU"
	SortByCreatedAt ProductSortField = "CREATED_AT"
)

// sortColumns maps each sort field to its column and how a cursor holds
// its value; ID needs no key, the cursor's ID is the key.
var sortColumns = map[ProductSortField]string{
	SortByID: "", SortByName: "name", SortBySKU: "sku", SortByCreatedAt: "created_at",
}

// ProductQuery selects a page of products.
type ProductQuery struct {
	Search     string
	IDs        []int64
	SKUs       []string
	Sort       ProductSortField
	Descending bool
	Window     page.Window
	// WithTotal asks for the number of matching products too (one more
	// statement), only when the client selected it.
	WithTotal bool
}

// MaxSearchLen is the longest product search, in characters: a search
// is a name or a SKU, and each character of a pattern costs ILIKE time on
// every row it scans.
const MaxSearchLen = 200

// ListProducts returns one page of the store's products, using keyset
// pagination on the sort column and then the ID.
func ListProducts(ctx context.Context, db *gorm.DB, storeID int64, q ProductQuery) (page.Page[models.Product], error) {
	var out page.Page[models.Product]
	column, ok := sortColumns[q.Sort]
	if !ok {
		return out, apperr.New(apperr.BadUserInput, "cannot sort products by %q", q.Sort).WithField("sortBy.field")
	}
	if n := utf8.RuneCountInString(q.Search); n > MaxSearchLen {
		return out, apperr.New(apperr.BadUserInput, "a search has at most %d characters, got %d", MaxSearchLen, n).WithField("filter.search")
	}
	filtered := filterProducts(db.WithContext(ctx).Model(&models.Product{}), storeID, q)
	if q.WithTotal {
		var total int64
		if err := filtered.Session(&gorm.Session{}).Count(&total).Error; err != nil {
			return out, fmt.Errorf("count products: %w", err)
		}
		out.TotalCount = int(total)
	}
	cmp, dir := q.Window.Order(q.Descending)
	sel := filtered.Session(&gorm.Session{})
	if c := q.Window.From; c != nil {
		if column == "" {
			sel = sel.Where("id "+cmp+" ?", c.ID)
		} else {
			key, err := cursorKey(q.Sort, c.Key)
			if err != nil {
				return out, err
			}
			sel = sel.Where(fmt.Sprintf("(%s, id) %s (?, ?)", column, cmp), key, c.ID)
		}
	}
	if column != "" {
		sel = sel.Order(column + " " + dir)
	}
	var rows []models.Product
	if err := sel.Order("id " + dir).Limit(q.Window.Limit + 1).Find(&rows).Error; err != nil {
		return out, fmt.Errorf("list products: %w", err)
	}
	total := out.TotalCount
	out = page.FromRows(rows, q.Window, func(p models.Product) page.Position {
		return page.Position{Key: sortKey(q.Sort, p), ID: p.ID}
	})
	out.TotalCount = total
	return out, nil
}

func filterProducts(sel *gorm.DB, storeID int64, q ProductQuery) *gorm.DB {
	sel = sel.Where("store_id = ?", storeID)
	if s := strings.TrimSpace(q.Search); s != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
		sel = sel.Where(`name ILIKE ? OR sku ILIKE ? OR EXISTS (
			SELECT 1 FROM variants v WHERE v.store_id = products.store_id AND v.product_id = products.id AND v.sku ILIKE ?)`, like, like, like)
	}
	// Lists go as one array parameter: "IN ?" spends a parameter per
	// value and fails past PostgreSQL's 65,535.
	if q.IDs != nil {
		sel = sel.Where("id = ANY(?)", database.Int64s(q.IDs))
	}
	if q.SKUs != nil {
		skus := models.StringArray(q.SKUs)
		sel = sel.Where(`(sku <> '' AND sku = ANY(?)) OR EXISTS (
			SELECT 1 FROM variants v WHERE v.store_id = products.store_id AND v.product_id = products.id AND v.sku = ANY(?))`, skus, skus)
	}
	return sel
}

func sortKey(field ProductSortField, p models.Product) string {
	switch field {
	case SortByName:
		return p.Name
	case SortBySKU:
		return p.SKU
	case SortByCreatedAt:
		return p.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

func cursorKey(field ProductSortField, key string) (any, error) {
	if field != SortByCreatedAt {
		return key, nil
	}
	t, err := time.Parse(time.RFC3339Nano, key)
	if err != nil {
		return nil, apperr.New(apperr.BadUserInput, "the cursor does not fit sorting by %s", field).WithField("after")
	}
	return t, nil
}

func byID[T any](rows []T, id func(T) int64) map[int64]T {
	out := make(map[int64]T, len(rows))
	for _, r := range rows {
		out[id(r)] = r
	}
	return out
}
