package inventory

import (
	"database/sql"
	"fmt"

	"stockgraph/models"
)

// itemColumns are inventory_items' columns (alias i) in the order itemScanner
// reads them, both from the one declaration, models.ItemColumns. The read
// paths that load thousands of items per request scan them by position:
// GORM's reflection took a third of the time of a large query.
var itemColumns = models.ItemColumnList("i")

// itemScanner reads rows selected with itemColumns, then extra columns,
// into one item whose scan targets it builds once: a read of thousands of
// items would otherwise allocate a target list per row.
type itemScanner struct {
	item    models.InventoryItem
	targets []any
}

func newItemScanner(extra ...any) *itemScanner {
	s := &itemScanner{}
	s.targets = append(s.item.ScanTargets(), extra...)
	return s
}

// scan reads the current row. The item starts from zero each time, so
// nothing (a metadata map, a pointer) is shared with the item before.
func (s *itemScanner) scan(rows *sql.Rows) (models.InventoryItem, error) {
	s.item = models.InventoryItem{}
	if err := rows.Scan(s.targets...); err != nil {
		return models.InventoryItem{}, fmt.Errorf("scan inventory item: %w", err)
	}
	return s.item, nil
}

// scanItems reads and closes rows selected with itemColumns.
func scanItems(rows *sql.Rows) ([]models.InventoryItem, error) {
	defer rows.Close()
	var out []models.InventoryItem
	s := newItemScanner()
	for rows.Next() {
		it, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// runsBy splits items, already ordered by key, into one run per key. The
// runs share items' array: a caller that changes one must copy it first.
func runsBy(items []models.InventoryItem, keys []int64) map[int64][]models.InventoryItem {
	out := map[int64][]models.InventoryItem{}
	start := 0
	for i := range items {
		if i+1 == len(items) || keys[i+1] != keys[i] {
			out[keys[i]] = items[start : i+1 : i+1]
			start = i + 1
		}
	}
	return out
}
