package models

import "strings"

// The columns of inventory_items and its quantity states are declared here
// once. Scanning, the writes' SQL (deltas, settings), recomputing levels as
// of a moment and the ledger's SQL are all derived from these two tables,
// and a test compares them with the database's columns and the
// quantity_state enum. Adding a quantity state is one line in
// QuantityColumns, a field on InventoryItem and a migration that adds the
// column and the enum's label.

// QuantityColumn declares one quantity state an inventory item holds.
type QuantityColumn struct {
	// State is the quantity_state enum's label.
	State QuantityState
	// Column is the inventory_items column holding the level.
	Column string
	// From and To are the virtual locations (by type) the ledger moves
	// units from when the level rises without coming from another
	// location, and to when it falls: an adjustment or an opening balance.
	From, To LocationType
	field    func(*InventoryItem) *int
}

// QuantityColumns are the quantity states, in the enum's order.
var QuantityColumns = []QuantityColumn{
	{StateOnHand, "on_hand", LocationSupplier, LocationBin, func(it *InventoryItem) *int { return &it.OnHand }},
	{StateBackordered, "qty_backordered", LocationSold, LocationSold, func(it *InventoryItem) *int { return &it.QtyBackordered }},
	{StateDamaged, "damaged", LocationSupplier, LocationBin, func(it *InventoryItem) *int { return &it.Damaged }},
	{StateQualityControl, "quality_control", LocationSupplier, LocationBin, func(it *InventoryItem) *int { return &it.QualityControl }},
	{StateIncoming, "incoming", LocationSupplier, LocationSupplier, func(it *InventoryItem) *int { return &it.Incoming }},
	{StateCommitted, "committed", LocationSold, LocationSold, func(it *InventoryItem) *int { return &it.Committed }},
	{StatePreordered, "qty_preordered", LocationSold, LocationSold, func(it *InventoryItem) *int { return &it.QtyPreordered }},
}

// Quantity points at the item's level in a state, so that reading and
// changing a state by name share the one mapping. It panics on a state
// QuantityColumns lacks: states come from the enum, never from clients
// unchecked.
func (it *InventoryItem) Quantity(s QuantityState) *int {
	for _, q := range QuantityColumns {
		if q.State == s {
			return q.field(it)
		}
	}
	panic("models: unknown quantity state " + string(s))
}

// ItemColumn is one column of inventory_items and the field it maps to.
type ItemColumn struct {
	Name string
	// Written says the item writer (settings, stocking) stores the field's
	// value as it is on the item; the other columns are keys, times kept
	// by the database, or quantities that change only through the ledger.
	Written bool
	field   func(*InventoryItem) any
}

// ItemColumns are inventory_items' columns in the order ScanTargets
// returns their fields: the settings and bookkeeping columns, then one per
// quantity state.
var ItemColumns = append([]ItemColumn{
	{"store_id", false, func(it *InventoryItem) any { return &it.StoreID }},
	{"id", false, func(it *InventoryItem) any { return &it.ID }},
	{"variant_id", false, func(it *InventoryItem) any { return &it.VariantID }},
	{"location_id", false, func(it *InventoryItem) any { return &it.LocationID }},
	{"safety_stock", true, func(it *InventoryItem) any { return &it.SafetyStock }},
	{"warning_level", true, func(it *InventoryItem) any { return &it.WarningLevel }},
	{"backorder_limit", true, func(it *InventoryItem) any { return &it.BackorderLimit }},
	{"backorder_threshold", true, func(it *InventoryItem) any { return &it.BackorderThreshold }},
	{"bin_picking_number", true, func(it *InventoryItem) any { return &it.BinPickingNumber }},
	{"tracking_mode", true, func(it *InventoryItem) any { return &it.TrackingMode }},
	{"is_in_stock", true, func(it *InventoryItem) any { return &it.IsInStock }},
	{"preorder_enabled", true, func(it *InventoryItem) any { return &it.PreorderEnabled }},
	{"preorder_limit", true, func(it *InventoryItem) any { return &it.PreorderLimit }},
	{"preorder_threshold", true, func(it *InventoryItem) any { return &it.PreorderThreshold }},
	{"preorder_message", true, func(it *InventoryItem) any { return &it.PreorderMessage }},
	{"availability_date", true, func(it *InventoryItem) any { return &it.AvailabilityDate }},
	{"reference", true, func(it *InventoryItem) any { return &it.Reference }},
	{"metadata", true, func(it *InventoryItem) any { return &it.Metadata }},
	{"revision", true, func(it *InventoryItem) any { return &it.Revision }},
	{"next_incoming_at", false, func(it *InventoryItem) any { return &it.NextIncomingAt }},
	{"created_at", false, func(it *InventoryItem) any { return &it.CreatedAt }},
	{"updated_at", false, func(it *InventoryItem) any { return &it.UpdatedAt }},
}, quantityItemColumns()...)

func quantityItemColumns() []ItemColumn {
	out := make([]ItemColumn, len(QuantityColumns))
	for i, q := range QuantityColumns {
		field := q.field
		out[i] = ItemColumn{Name: q.Column, field: func(it *InventoryItem) any { return field(it) }}
	}
	return out
}

// ScanTargets returns pointers to the item's fields in ItemColumns' order,
// for sql.Rows.Scan.
func (it *InventoryItem) ScanTargets() []any {
	out := make([]any, len(ItemColumns))
	for i, c := range ItemColumns {
		out[i] = c.field(it)
	}
	return out
}

// Value returns the field of the column as it is on the item.
func (c ItemColumn) Value(it *InventoryItem) any { return c.field(it) }

// ItemColumnList lists ItemColumns for a SELECT or RETURNING, each
// qualified with alias when it is not empty.
func ItemColumnList(alias string) string {
	names := make([]string, len(ItemColumns))
	for i, c := range ItemColumns {
		names[i] = c.Name
		if alias != "" {
			names[i] = alias + "." + c.Name
		}
	}
	return strings.Join(names, ", ")
}
