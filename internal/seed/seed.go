// Package seed fills a store with deterministic demo data: the same
// arguments always give the same catalog and the same quantities, so that
// benchmarks and examples can be repeated.
package seed

import (
	"context"
	"fmt"
	"io"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/ledger"
	"stockgraph/models"
)

// Options say what to seed.
type Options struct {
	StoreHandle string
	Products    int
	Variants    int // per product
	Locations   int
	// Progress receives a line per step; nil for none.
	Progress io.Writer
}

// Result says what the seed did.
type Result struct {
	Store    models.Store
	Created  bool // whether the store was created
	Seeded   bool // false when the store had products already
	Products int64
}

// Run creates the store when missing and, when it has no products yet,
// its locations, products, variants and inventory items. It does nothing
// to a store that has products, so it is safe to run again.
func Run(ctx context.Context, db *gorm.DB, o Options) (Result, error) {
	var res Result
	if err := o.validate(); err != nil {
		return res, err
	}
	say := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		store, created, err := catalog.EnsureStore(tx, o.StoreHandle)
		if err != nil {
			return err
		}
		res.Store, res.Created = store, created
		if err := tx.Model(&models.Product{}).Where("store_id = ?", store.ID).Count(&res.Products).Error; err != nil {
			return fmt.Errorf("count products: %w", err)
		}
		if res.Products > 0 {
			say("store %q already has %d products; nothing to seed", store.Handle, res.Products)
			return nil
		}
		steps := []struct {
			what string
			sql  string
			args []any
		}{
			{fmt.Sprintf("%d locations", o.Locations), insertLocations, []any{store.ID, o.Locations}},
			{fmt.Sprintf("%d products", o.Products), insertProducts, []any{store.ID, o.Products}},
			{fmt.Sprintf("%d variants", o.Products*o.Variants), insertVariants, []any{o.Variants, store.ID}},
			{fmt.Sprintf("%d inventory items", o.Products*o.Variants*o.Locations), insertItems, []any{store.ID}},
		}
		for i, s := range steps {
			say("[%d/%d] creating %s", i+1, len(steps)+1, s.what)
			if err := tx.Exec(s.sql, s.args...).Error; err != nil {
				return fmt.Errorf("seed %s: %w", s.what, err)
			}
		}
		say("[%d/%d] recording opening balances in the ledger", len(steps)+1, len(steps)+1)
		if err := ledger.RecordOpeningBalances(ctx, tx, store.ID); err != nil {
			return err
		}
		res.Seeded, res.Products = true, int64(o.Products)
		return nil
	})
	if err == nil && res.Seeded {
		// Fresh statistics, or the planner takes the new tables for empty
		// and scans them whole.
		err = db.WithContext(ctx).Exec(`ANALYZE locations, products, variants, inventory_items, inventory_movements`).Error
	}
	return res, err
}

func (o Options) validate() error {
	var problems []string
	if o.StoreHandle == "" {
		problems = append(problems, "--store is required")
	}
	for _, c := range []struct {
		name     string
		n, upper int
	}{{"--products", o.Products, 100000}, {"--variants", o.Variants, 100}, {"--locations", o.Locations, 50}} {
		if c.n < 1 || c.n > c.upper {
			problems = append(problems, fmt.Sprintf("%s must be between 1 and %d, got %d", c.name, c.upper, c.n))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("seed: %s", strings.Join(problems, "; "))
	}
	return nil
}

// The quantities are functions of the product, variant and location
// numbers only, never of database IDs, so every run seeds the same data.
const (
	insertLocations = `
INSERT INTO locations (store_id, code, name, type, priority, city, country_code)
SELECT ?, 'LOC-' || g, CASE WHEN g = 1 THEN 'Flagship store' ELSE 'Warehouse ' || g END,
       (CASE WHEN g = 1 THEN 'STORE' ELSE 'WAREHOUSE' END)::location_type, 100 - g,
       (ARRAY['Berlin', 'Hamburg', 'Munich', 'Cologne', 'Leipzig'])[1 + (g - 1) % 5], 'DE'
FROM generate_series(1, ?) AS g
ON CONFLICT (store_id, code) DO NOTHING`

	insertProducts = `
INSERT INTO products (store_id, name, sku, description)
SELECT ?, 'Product ' || lpad(g::text, 5, '0'), 'P' || lpad(g::text, 5, '0'), 'Demo product number ' || g
FROM generate_series(1, ?) AS g`

	insertVariants = `
INSERT INTO variants (store_id, product_id, sku, name)
SELECT p.store_id, p.id, p.sku || '-' || lpad(v::text, 2, '0'), 'Size ' || v
FROM products p CROSS JOIN generate_series(1, ?) AS v
WHERE p.store_id = ?
ORDER BY p.id, v`

	insertItems = `
INSERT INTO inventory_items (store_id, variant_id, location_id, on_hand, safety_stock, warning_level,
                             backorder_limit, qty_backordered, bin_picking_number)
SELECT v.store_id, v.id, l.id,
       (pn * 7 + vn * 3 + ln * 5) % 60,
       (pn + ln) % 3,
       5,
       (vn * 11) % 40,
       (pn + vn + ln) % 4,
       'B' || ln || '-' || pn || '-' || vn
FROM (SELECT v.*, substring(v.sku from 2 for 5)::int AS pn, substring(v.sku from 8)::int AS vn FROM variants v) v
CROSS JOIN (SELECT l.*, CASE WHEN l.code ~ '^LOC-[0-9]+$' THEN substring(l.code from 5)::int END AS ln FROM locations l) l
WHERE v.store_id = ? AND l.store_id = v.store_id AND l.ln IS NOT NULL
ORDER BY v.id, l.id`
)
