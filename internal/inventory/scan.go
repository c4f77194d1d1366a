package inventory

import (
	"database/sql"
	"fmt"

	"stockgraph/models"
)

// itemColumns are inventory_items' columns (alias i) in the order scanItem
// reads them. The read paths that load thousands of items per request
// scan them by position: GORM's reflection took a third of the time of a
// large query.
const itemColumns = `i.store_id, i.id, i.variant_id, i.location_id, i.on_hand, i.committed, i.qty_backordered,
	i.safety_stock, i.warning_level, i.backorder_limit, i.bin_picking_number, i.tracking_mode, i.is_in_stock,
	i.revision, i.reference, i.metadata, i.created_at, i.updated_at, i.damaged, i.quality_control, i.incoming,
	i.next_incoming_at, i.backorder_threshold, i.preorder_enabled, i.preorder_limit, i.preorder_threshold,
	i.qty_preordered, i.preorder_message, i.availability_date`

// scanItem reads one row selected with itemColumns, then extra columns.
func scanItem(rows *sql.Rows, extra ...any) (models.InventoryItem, error) {
	var it models.InventoryItem
	dest := append([]any{
		&it.StoreID, &it.ID, &it.VariantID, &it.LocationID, &it.OnHand, &it.Committed, &it.QtyBackordered,
		&it.SafetyStock, &it.WarningLevel, &it.BackorderLimit, &it.BinPickingNumber, &it.TrackingMode, &it.IsInStock,
		&it.Revision, &it.Reference, &it.Metadata, &it.CreatedAt, &it.UpdatedAt, &it.Damaged, &it.QualityControl, &it.Incoming,
		&it.NextIncomingAt, &it.BackorderThreshold, &it.PreorderEnabled, &it.PreorderLimit, &it.PreorderThreshold,
		&it.QtyPreordered, &it.PreorderMessage, &it.AvailabilityDate,
	}, extra...)
	if err := rows.Scan(dest...); err != nil {
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
