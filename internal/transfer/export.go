package transfer

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
)

// exportQuery lists the items at physical locations. COLLATE "C" orders
// by bytes, so the order is the same whatever the database's locale.
const exportQuery = `
SELECT l.code, v.sku, i.on_hand, i.qty_backordered, i.safety_stock, i.warning_level, i.backorder_limit,
       i.backorder_threshold, i.bin_picking_number, i.tracking_mode, i.is_in_stock, i.preorder_enabled,
       i.preorder_limit, i.preorder_threshold, i.availability_date
FROM inventory_items i
JOIN locations l ON l.store_id = i.store_id AND l.id = i.location_id
JOIN variants v ON v.store_id = i.store_id AND v.id = i.variant_id
WHERE i.store_id = @store AND l.type IN ('STORE', 'WAREHOUSE')
  AND (cardinality(CAST(@locations AS bigint[])) = 0 OR i.location_id = ANY(CAST(@locations AS bigint[])))
  AND (cardinality(CAST(@skus AS text[])) = 0 OR v.sku = ANY(CAST(@skus AS text[])))
ORDER BY l.code COLLATE "C", v.sku COLLATE "C"`

// Export writes every inventory item of the store at its physical
// locations, ordered by location code and SKU, and returns how many rows
// it wrote.
func Export(ctx context.Context, db *gorm.DB, storeID int64, w io.Writer, format Format) (int, error) {
	return ExportWithProgress(ctx, db, storeID, w, format, nil)
}

// ExportWithProgress is Export reporting to p (nil for none). Rows are
// streamed from the database to w, never held all at once, from one
// snapshot, so that an export taken while stock moves still adds up.
func ExportWithProgress(ctx context.Context, db *gorm.DB, storeID int64, w io.Writer, format Format, p *Progress) (int, error) {
	return ExportWith(ctx, db, storeID, w, ExportOptions{Format: format, Progress: p})
}

// ExportFilter narrows an export; empty lists let everything through.
type ExportFilter struct {
	LocationIDs []int64  `json:"locationIds,omitempty"`
	SKUs        []string `json:"skus,omitempty"`
}

// ExportOptions say what to export and how.
type ExportOptions struct {
	Format   Format
	Filter   ExportFilter
	Progress *Progress // nil for none
}

// Count returns how many rows an export with the filter writes now.
func Count(ctx context.Context, db *gorm.DB, storeID int64, f ExportFilter) (int, error) {
	var n int
	err := db.WithContext(ctx).Raw(`SELECT count(*) FROM (`+exportQuery+`) x`, exportArgs(storeID, f)).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count the export's rows: %w", err)
	}
	return n, nil
}

func exportArgs(storeID int64, f ExportFilter) map[string]any {
	return map[string]any{"store": storeID, "locations": database.Int64s(f.LocationIDs), "skus": database.Strings(f.SKUs)}
}

// ExportWith is Export with options.
func ExportWith(ctx context.Context, db *gorm.DB, storeID int64, w io.Writer, o ExportOptions) (int, error) {
	format, p := o.Format, o.Progress
	enc, err := newEncoder(format, w)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	n := 0
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// An export reads all of a store's items, so hash joins suit it
		// whatever the statistics say; with statistics taken before a
		// store's bulk load, the planner chose nested loops that took
		// 74 s instead of 0.3 s for 100,000 items.
		if err := tx.Exec(`SET LOCAL enable_nestloop = off`).Error; err != nil {
			return err
		}
		// The export is one statement that runs as long as the rows take
		// to be written, longer than the server's statement_timeout suits
		// for a request (a bulk operation's export runs in serve).
		if err := tx.Exec(`SET LOCAL statement_timeout = 0`).Error; err != nil {
			return err
		}
		n, err = stream(tx, exportArgs(storeID, o.Filter), enc, p)
		return err
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if err := enc.flush(); err != nil {
		return n, fmt.Errorf("export: write: %w", err)
	}
	p.Done(n, 0)
	return n, nil
}

func stream(tx *gorm.DB, args map[string]any, enc encoder, p *Progress) (int, error) {
	rows, err := tx.Raw(exportQuery, args).Rows()
	if err != nil {
		return 0, fmt.Errorf("query the items: %w", err)
	}
	defer rows.Close()
	n := 0
	var lv level
	var c cells
	for rows.Next() {
		if err := lv.scan(rows); err != nil {
			return n, fmt.Errorf("read row %d: %w", n+1, err)
		}
		lv.cells(&c)
		if err := enc.write(&c); err != nil {
			return n, fmt.Errorf("write row %d: %w", n+1, err)
		}
		n++
		p.Update(n, 0)
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read the items: %w", err)
	}
	return n, nil
}

// level is one exported row as the database returns it.
type level struct {
	location, sku, bin, tracking                 string
	onHand, backordered, safety, warning         int64
	boLimit, boThreshold, preLimit, preThreshold int64
	inStock, preEnabled                          bool
	availability                                 sql.NullTime
}

func (l *level) scan(rows *sql.Rows) error {
	return rows.Scan(&l.location, &l.sku, &l.onHand, &l.backordered, &l.safety, &l.warning, &l.boLimit,
		&l.boThreshold, &l.bin, &l.tracking, &l.inStock, &l.preEnabled, &l.preLimit, &l.preThreshold, &l.availability)
}

func (l *level) cells(c *cells) {
	c[colLocation], c[colSKU] = l.location, l.sku
	c[colOnHand] = strconv.FormatInt(l.onHand, 10)
	c[colBackordered] = strconv.FormatInt(l.backordered, 10)
	c[colSafetyStock] = strconv.FormatInt(l.safety, 10)
	c[colWarningLevel] = strconv.FormatInt(l.warning, 10)
	c[colBackorderLimit] = strconv.FormatInt(l.boLimit, 10)
	c[colBackorderThreshold] = strconv.FormatInt(l.boThreshold, 10)
	c[colBinPickingNumber] = l.bin
	c[colTrackingMode] = l.tracking
	c[colIsInStock] = strconv.FormatBool(l.inStock)
	c[colPreorderEnabled] = strconv.FormatBool(l.preEnabled)
	c[colPreorderLimit] = strconv.FormatInt(l.preLimit, 10)
	c[colPreorderThreshold] = strconv.FormatInt(l.preThreshold, 10)
	c[colAvailabilityDate] = ""
	if l.availability.Valid {
		c[colAvailabilityDate] = l.availability.Time.UTC().Format(time.RFC3339Nano)
	}
}
