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
func checkLevel(at line, field string, state models.QuantityState, level int) *apperr.Error {
	if level > MaxLevel || level < -MaxLevel {
		return at.errorf(apperr.BadUserInput, field, "%s would be %d, outside ±%d", state, level, MaxLevel)
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
// locations, in location ID order. The lists share one array: callers
// copy a list before changing it.
func ItemsByVariants(ctx context.Context, db *gorm.DB, storeID int64, variantIDs []int64) (map[int64][]models.InventoryItem, error) {
	rows, err := db.WithContext(ctx).Raw(`SELECT `+itemColumns+` FROM inventory_items i
		WHERE i.store_id = ? AND i.variant_id = ANY(?::bigint[])
		ORDER BY i.variant_id, i.location_id`, storeID, database.Int64s(variantIDs)).Rows()
	if err != nil {
		return nil, fmt.Errorf("load inventory items by variant: %w", err)
	}
	items, err := scanItems(rows)
	if err != nil {
		return nil, err
	}
	return ByVariant(items), nil
}

// ByVariant splits items ordered by variant (as ItemsByVariants and
// ItemsByProducts return them) into each variant's items, without
// copying them.
func ByVariant(items []models.InventoryItem) map[int64][]models.InventoryItem {
	variants := make([]int64, len(items))
	for i, it := range items {
		variants[i] = it.VariantID
	}
	return runsBy(items, variants)
}

// ItemsByProducts returns every inventory item of all the variants of each
// product, in one statement, ordered by variant and location. The lists
// share one array: callers copy a list before changing it.
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
	var items []models.InventoryItem
	var products []int64
	var productID int64
	s := newItemScanner(&productID)
	for rows.Next() {
		it, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		items, products = append(items, it), append(products, productID)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return runsBy(items, products), nil
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
	// Settings are checked whether or not the item exists already.
	if _, err := s.Settings.apply(line{stockingSettings, 0}, models.InventoryItem{TrackingMode: models.TrackQuantity}); err != nil {
		return item, false, err
	}
	if s.Reference != nil {
		if err := checkText("reference", *s.Reference, maxShortText); err != nil {
			return item, false, err
		}
	}
	res, _, err := runBatch(ctx, db, actor.Store.ID, "", "stockVariant", s, false, func(tx *gorm.DB) (stocked, error) {
		return stockVariant(ctx, tx, actor, s)
	})
	return res.item, res.created, err
}

type stocked struct {
	item    models.InventoryItem
	created bool
}

func stockVariant(ctx context.Context, tx *gorm.DB, actor Actor, s Stocking) (stocked, error) {
	b := newBatch(ctx, tx, actor, stockingInput)
	if err := b.resolve([]VariantRef{{VariantID: s.VariantID}}); err != nil {
		return stocked{}, err
	}
	b.fail(0, s.Settings.checkSwitches(line{stockingSettings, 0}, b.actor.Store))
	b.keyLines(1, func(int) int64 { return s.LocationID })
	if err := b.rejected(RejectEverything); err != nil {
		return stocked{}, err
	}
	if err := b.lockLines(); err != nil {
		return stocked{}, err
	}
	k := b.keys[0]
	if !b.created[k] {
		return stocked{item: b.locked[k]}, nil
	}
	it, lineErr := s.Settings.apply(line{stockingSettings, 0}, b.locked[k])
	if lineErr != nil {
		return stocked{}, lineErr
	}
	if s.Reference != nil {
		it.Reference = *s.Reference
	}
	if s.Metadata != nil {
		it.Metadata = s.Metadata
	}
	// The item is new: its settings are part of its creation, at revision 1.
	written, err := writeItems(ctx, tx, actor.Store.ID, []models.InventoryItem{it})
	if err != nil {
		return stocked{}, err
	}
	if err := b.recordEvents(changesOf(b.locked, written), nil, changeMeta{reason: "stocked", reference: it.Reference}); err != nil {
		return stocked{}, err
	}
	return stocked{item: written[0], created: true}, nil
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
	then := map[ItemKey]map[models.QuantityState]int{}
	for _, l := range levels {
		k := ItemKey{l.VariantID, l.LocationID}
		if then[k] == nil {
			then[k] = map[models.QuantityState]int{}
		}
		then[k][l.State] = l.Quantity
	}
	for _, items := range current {
		for i := range items {
			it := &items[i]
			for _, q := range models.QuantityColumns {
				*it.Quantity(q.State) = then[ItemKey{it.VariantID, it.LocationID}][q.State]
			}
		}
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
