package inventory

import (
	"database/sql"
	"fmt"

	"stockgraph/models"
)

// itemColumns are inventory_items' columns (alias i) in the order scanItem
// reads them, both from the one declaration, models.ItemColumns. The read
// paths that load thousands of items per request scan them by position:
// GORM's reflection took a third of the time of a large query.
var itemColumns = models.ItemColumnList("i")

// scanItem reads one row selected with itemColumns, then extra columns.
func scanItem(rows *sql.Rows, extra ...any) (models.InventoryItem, error) {
	var it models.InventoryItem
	if err := rows.Scan(append(it.ScanTargets(), extra...)...); err != nil {
		return it, fmt.Errorf("scan inventory item: %w", err)
	}
	return it, nil
}

// scanItems reads and closes rows selected with itemColumns.
func scanItems(rows *sql.Rows) ([]models.InventoryItem, error) {
	defer rows.Close()
	var out []models.InventoryItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
