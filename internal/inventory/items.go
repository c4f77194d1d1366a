package inventory

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/ledger"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// MaxLevel bounds every quantity and setting, as Wix does: ±99,999.
const MaxLevel = 99999

// checkLevel refuses a level a change would leave outside ±MaxLevel.
func checkLevel(line int, field string, state models.QuantityState, level int) *apperr.Error {
	if level > MaxLevel || level < -MaxLevel {
		return apperr.New(apperr.BadUserInput, "item %d: %s would be %d, outside ±%d", line, state, level, MaxLevel).WithField(field)
	}
	return nil
}

// ItemsByIDs returns the store's inventory items with the given IDs.
func ItemsByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.InventoryItem, error) {
	var rows []models.InventoryItem
	if err := db.WithContext(ctx).Where("store_id = ? AND id IN ?", storeID, ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load inventory items: %w", err)
	}
	out := make(map[int64]models.InventoryItem, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// ItemsByVariants returns every inventory item of each variant, at all
// locations, in location ID order.
func ItemsByVariants(ctx context.Context, db *gorm.DB, storeID int64, variantIDs []int64) (map[int64][]models.InventoryItem, error) {
	rows, err := db.WithContext(ctx).Raw(`SELECT `+itemColumns+` FROM inventory_items i
		WHERE i.store_id = ? AND i.variant_id = ANY(?::bigint[])
		ORDER BY i.variant_id, i.location_id`, storeID, database.Int64s(variantIDs)).Rows()
	if err != nil {
		return nil, fmt.Errorf("load inventory items by variant: %w", err)
	}
	defer rows.Close()
	out := make(map[int64][]models.InventoryItem, len(variantIDs))
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out[it.VariantID] = append(out[it.VariantID], it)
	}
	return out, rows.Err()
}

// ItemsByProducts returns every inventory item of all the variants of each
// product, in one statement.
func ItemsByProducts(ctx context.Context, db *gorm.DB, storeID int64, productIDs []int64) (map[int64][]models.InventoryItem, error) {
	rows, err := db.WithContext(ctx).Raw(`SELECT `+itemColumns+`, v.product_id
		FROM inventory_items i
		JOIN variants v ON v.store_id = i.store_id AND v.id = i.variant_id
		WHERE i.store_id = ? AND v.product_id = ANY(?::bigint[])
		ORDER BY v.product_id, i.variant_id, i.location_id`, storeID, database.Int64s(productIDs)).Rows()
	if err != nil {
		return nil, fmt.Errorf("load inventory items by product: %w", err)
	}
	defer rows.Close()
	out := make(map[int64][]models.InventoryItem, len(productIDs))
	for rows.Next() {
		var productID int64
		it, err := scanItem(rows, &productID)
		if err != nil {
			return nil, err
		}
		out[productID] = append(out[productID], it)
	}
	return out, rows.Err()
}

// ItemFilter narrows the items of a location.
type ItemFilter struct {
	VariantIDs []int64
	SKUs       []string
}

// ItemPagesByLocations returns a page of inventory items, in ID order, for
// each location.
func ItemPagesByLocations(ctx context.Context, db *gorm.DB, storeID int64, locationIDs []int64, f ItemFilter, w page.Window) (map[int64]page.Page[models.InventoryItem], error) {
	q := database.ChildQuery{Table: "inventory_items", ParentColumn: "location_id", StoreID: storeID, ParentIDs: locationIDs, Window: w}
	switch {
	case f.VariantIDs != nil && f.SKUs != nil:
		q.Where, q.Args = "t.variant_id IN ? AND t.variant_id IN (SELECT id FROM variants WHERE store_id = t.store_id AND sku IN ?)", []any{append(f.VariantIDs, 0), append(f.SKUs, "")}
	case f.VariantIDs != nil:
		q.Where, q.Args = "t.variant_id IN ?", []any{append(f.VariantIDs, 0)}
	case f.SKUs != nil:
		q.Where, q.Args = "t.variant_id IN (SELECT id FROM variants WHERE store_id = t.store_id AND sku IN ?)", []any{append(f.SKUs, "")}
	}
	return database.ChildPages(ctx, db, q, func(it models.InventoryItem) int64 { return it.ID })
}

// Stocking asks for a variant to be stocked at a location.
type Stocking struct {
	VariantID  int64
	LocationID int64
	Settings   SettingsLine
	Reference  *string
	Metadata   models.JSONObject
}

// StockVariant creates the inventory item of a variant at a physical
// location, with nothing on hand. When the item exists already it is
// returned unchanged with created false, so the call is safe to repeat.
func StockVariant(ctx context.Context, db *gorm.DB, actor Actor, s Stocking) (item models.InventoryItem, created bool, err error) {
	storeID := actor.Store.ID
	item = models.InventoryItem{
		StoreID: storeID, VariantID: s.VariantID, LocationID: s.LocationID,
		TrackingMode: models.TrackQuantity, IsInStock: true, Revision: 1, Metadata: s.Metadata,
	}
	item, lineErr := s.Settings.apply(0, item)
	if lineErr != nil {
		return item, false, lineErr.WithIndex(-1)
	}
	if s.Reference != nil {
		if err := checkText("reference", *s.Reference, maxShortText); err != nil {
			return item, false, err
		}
		item.Reference = *s.Reference
	}
	err = database.Tx(ctx, db, func(tx *gorm.DB) error {
		actor, err := withCurrentStore(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := s.Settings.checkSwitches(0, actor.Store); err != nil {
			return err.WithIndex(-1)
		}
		if err := requireStockable(tx, storeID, s.VariantID, s.LocationID); err != nil {
			return err
		}
		res := tx.Raw(`
			INSERT INTO inventory_items (store_id, variant_id, location_id, safety_stock, warning_level, backorder_limit,
				backorder_threshold, bin_picking_number, tracking_mode, is_in_stock, preorder_enabled, preorder_limit,
				preorder_threshold, preorder_message, availability_date, reference, metadata)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (store_id, variant_id, location_id) DO NOTHING
			RETURNING *`, storeID, s.VariantID, s.LocationID, item.SafetyStock, item.WarningLevel, item.BackorderLimit,
			item.BackorderThreshold, item.BinPickingNumber, item.TrackingMode, item.IsInStock, item.PreorderEnabled, item.PreorderLimit,
			item.PreorderThreshold, item.PreorderMessage, item.AvailabilityDate, item.Reference, item.Metadata).Scan(&item)
		if res.Error != nil {
			return fmt.Errorf("stock variant %d at location %d: %w", s.VariantID, s.LocationID, res.Error)
		}
		if res.RowsAffected == 1 {
			created = true
			return nil
		}
		return tx.Where("store_id = ? AND variant_id = ? AND location_id = ?", storeID, s.VariantID, s.LocationID).Take(&item).Error
	})
	return item, created, err
}

// requireStockable checks the variant exists and the location is a
// physical one of the store.
func requireStockable(tx *gorm.DB, storeID, variantID, locationID int64) error {
	var found struct {
		Variant  bool
		Location *models.LocationType
	}
	err := tx.Raw(`SELECT
			EXISTS (SELECT 1 FROM variants WHERE store_id = ? AND id = ?) AS variant,
			(SELECT type FROM locations WHERE store_id = ? AND id = ?) AS location`,
		storeID, variantID, storeID, locationID).Scan(&found).Error
	switch {
	case err != nil:
		return fmt.Errorf("check variant and location: %w", err)
	case !found.Variant:
		return apperr.New(apperr.NotFound, "no variant with ID %d", variantID).WithField("variantId")
	case found.Location == nil:
		return apperr.New(apperr.NotFound, "no location with ID %d", locationID).WithField("locationId")
	case !found.Location.IsPhysical():
		return apperr.New(apperr.BadUserInput, "location %d is a virtual %s location; stock is held at STORE and WAREHOUSE locations", locationID, *found.Location).WithField("locationId")
	}
	return nil
}

// ItemsAsOf returns each variant's items with the quantities the ledger
// says they held at the given time; settings are today's.
func ItemsAsOf(ctx context.Context, db *gorm.DB, storeID int64, variantIDs []int64, at time.Time) (map[int64][]models.InventoryItem, error) {
	current, err := ItemsByVariants(ctx, db, storeID, variantIDs)
	if err != nil {
		return nil, err
	}
	levels, err := ledger.LevelsAsOf(ctx, db, storeID, variantIDs, &at)
	if err != nil {
		return nil, err
	}
	then := map[itemKey]map[models.QuantityState]int{}
	for _, l := range levels {
		k := itemKey{l.VariantID, l.LocationID}
		if then[k] == nil {
			then[k] = map[models.QuantityState]int{}
		}
		then[k][l.State] = l.Quantity
	}
	for v, items := range current {
		for i, it := range items {
			q := then[itemKey{it.VariantID, it.LocationID}]
			it.OnHand, it.QtyBackordered, it.Damaged = q[models.StateOnHand], q[models.StateBackordered], q[models.StateDamaged]
			it.QualityControl, it.Incoming, it.Committed = q[models.StateQualityControl], q[models.StateIncoming], q[models.StateCommitted]
			it.QtyPreordered = q[models.StatePreordered]
			items[i] = it
		}
		current[v] = items
	}
	return current, nil
}

// ProductItemsAsOf is ItemsAsOf for all the variants of each product.
func ProductItemsAsOf(ctx context.Context, db *gorm.DB, storeID int64, productIDs []int64, at time.Time) (map[int64][]models.InventoryItem, error) {
	var variants []models.Variant
	if err := db.WithContext(ctx).Select("id", "product_id").Where("store_id = ? AND product_id IN ?", storeID, productIDs).Find(&variants).Error; err != nil {
		return nil, fmt.Errorf("load variants of products: %w", err)
	}
	ids := make([]int64, len(variants))
	productOf := map[int64]int64{}
	for i, v := range variants {
		ids[i], productOf[v.ID] = v.ID, v.ProductID
	}
	byVariant, err := ItemsAsOf(ctx, db, storeID, ids, at)
	if err != nil {
		return nil, err
	}
	out := map[int64][]models.InventoryItem{}
	for _, v := range variants {
		out[productOf[v.ID]] = append(out[productOf[v.ID]], byVariant[v.ID]...)
	}
	return out, nil
}
