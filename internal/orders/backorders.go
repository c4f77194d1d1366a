package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// BackorderFill turns waiting backorders and preorders into stock held for
// their orders, where stock is now available to sell: of one variant,
// at one location, or everywhere.
type BackorderFill struct {
	Variant    *inventory.VariantRef
	LocationID int64
}

// Filled is what FulfillBackorders did: the orders whose units turned into
// stock, and how many units.
type Filled struct {
	OrderIDs []int64
	Units    int
}

// waiting is a backorder or preorder allocation of an open order, with its
// line's variant and whether the order's stock level there is held.
type waiting struct {
	models.Allocation
	OrderID   int64
	VariantID int64
	Held      bool
}

// FulfillBackorders allocates stock that is available to sell to the
// backorders and preorders waiting for it, oldest first: each unit moves
// from the item's qtyBackordered (or qtyPreordered) to committed, and the
// order's allocation turns into stock, on hold only where its stock level
// or location is. Stock arriving does not do this by itself: the merchant
// decides when (a preorder may wait for its release date).
func FulfillBackorders(ctx context.Context, db *gorm.DB, actor inventory.Actor, in BackorderFill) (Filled, error) {
	var out Filled
	err := database.RetryTx(ctx, db, retries, func(tx *gorm.DB) error {
		var err error
		out, err = fillBackorders(ctx, tx, actor, in)
		return err
	})
	return out, err
}

func fillBackorders(ctx context.Context, tx *gorm.DB, actor inventory.Actor, in BackorderFill) (Filled, error) {
	var refs []inventory.VariantRef
	if in.Variant != nil {
		refs = append(refs, *in.Variant)
	}
	sale, err := inventory.StartSale(ctx, tx, actor, refs)
	if err != nil {
		return Filled{}, err
	}
	if errs := sale.Errors(); len(errs) > 0 {
		// The sale names lines ("line 0: …" at lines.sku); this input
		// names one variant by its own variantId or sku field.
		e := errs[0]
		return Filled{}, apperr.New(e.Code, "%s", strings.TrimPrefix(e.Message, "line 0: ")).WithField(strings.TrimPrefix(e.Field, "lines."))
	}
	variantID, _, _ := sale.Variant(0)
	candidates, err := waitingAllocations(ctx, tx, actor.Store.ID, variantID, in.LocationID, nil)
	if err != nil {
		return Filled{}, err
	}
	var orderIDs []int64
	for _, w := range candidates {
		orderIDs = append(orderIDs, w.OrderID)
	}
	slices.Sort(orderIDs)
	if orderIDs, err = lockOrderIDs(ctx, tx, actor.Store.ID, slices.Compact(orderIDs)); err != nil || len(orderIDs) == 0 {
		return Filled{}, err
	}
	// Read them again under the orders' locks: a step may have changed them.
	ws, err := waitingAllocations(ctx, tx, actor.Store.ID, variantID, in.LocationID, orderIDs)
	if err != nil {
		return Filled{}, err
	}
	return fill(ctx, tx, sale, ws)
}

// fill turns the waiting allocations, oldest first, into stock while their
// items have stock available to sell.
func fill(ctx context.Context, tx *gorm.DB, sale *inventory.Sale, ws []waiting) (Filled, error) {
	keys := make([]inventory.ItemKey, len(ws))
	for i, w := range ws {
		keys[i] = inventory.ItemKey{VariantID: w.VariantID, LocationID: w.LocationID}
	}
	items, err := sale.Lock(keys)
	if err != nil {
		return Filled{}, err
	}
	h := &holding{changedAllocs: map[int64]*models.Allocation{}, changedLines: map[int64]*models.OrderLine{}}
	var out Filled
	for i := range ws {
		w := &ws[i]
		k := inventory.ItemKey{VariantID: w.VariantID, LocationID: w.LocationID}
		it, ok := items[k]
		n := min(w.Quantity, inventory.AvailableToSell(it))
		if !ok || n <= 0 {
			continue
		}
		*it.Quantity(w.Kind.State()) -= n
		it.Committed += n
		items[k] = it
		w.Quantity -= n
		h.changedAllocs[w.ID] = &w.Allocation
		loc, _ := sale.Location(w.LocationID)
		h.newAllocs = append(h.newAllocs, models.Allocation{StoreID: w.StoreID, LineID: w.LineID, LocationID: w.LocationID,
			Kind: models.AllocateStock, Quantity: n, Counted: true, OnHold: w.Held || loc.OnHold})
		h.shifts = append(h.shifts, inventory.Shift{VariantID: w.VariantID, LocationID: w.LocationID,
			From: w.Kind.State(), To: models.StateCommitted, Quantity: n, Step: models.EventAllocated})
		out.Units += n
		if !slices.Contains(out.OrderIDs, w.OrderID) {
			out.OrderIDs = append(out.OrderIDs, w.OrderID)
		}
	}
	if _, _, err := sale.Record(h.shifts, "fulfillBackorders", "", ""); err != nil {
		return Filled{}, err
	}
	if err := h.save(ctx, tx, sale.Store().ID); err != nil {
		return Filled{}, err
	}
	slices.Sort(out.OrderIDs)
	return out, touchOrders(ctx, tx, sale.Store().ID, out.OrderIDs)
}

// waitingAllocations are the open orders' backorders and preorders with
// units waiting where stock is available to sell, oldest first; of one
// variant and one location when those are not 0, of some orders when
// orderIDs is not nil.
func waitingAllocations(ctx context.Context, tx *gorm.DB, storeID, variantID, locationID int64, orderIDs []int64) ([]waiting, error) {
	q := tx.WithContext(ctx).Table("allocations a").
		Select("a.*, l.order_id, l.variant_id, coalesce(sl.on_hold, false) AS held").
		Joins("JOIN order_lines l ON l.store_id = a.store_id AND l.id = a.line_id").
		Joins("JOIN orders o ON o.store_id = l.store_id AND o.id = l.order_id AND o.status = 'OPEN'").
		Joins("JOIN inventory_items i ON i.store_id = a.store_id AND i.variant_id = l.variant_id AND i.location_id = a.location_id").
		Joins("LEFT JOIN stock_levels sl ON sl.store_id = o.store_id AND sl.inventory_model_id = o.inventory_model_id AND sl.location_id = a.location_id").
		Where("a.store_id = ? AND a.kind <> 'STOCK' AND a.quantity > 0", storeID).
		Where("i.tracking_mode = 'QUANTITY' AND i.on_hand - i.committed - i.safety_stock > 0")
	if variantID != 0 {
		q = q.Where("l.variant_id = ?", variantID)
	}
	if locationID != 0 {
		q = q.Where("a.location_id = ?", locationID)
	}
	if orderIDs != nil {
		q = q.Where("l.order_id IN ?", orderIDs)
	}
	var out []waiting
	if err := q.Order("a.created_at, a.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("find waiting backorders: %w", err)
	}
	return out, nil
}

// touchOrders marks the orders as changed now.
func touchOrders(ctx context.Context, tx *gorm.DB, storeID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := tx.WithContext(ctx).Model(&models.Order{}).Where("store_id = ? AND id IN ?", storeID, ids).
		Update("updated_at", gorm.Expr("now()")).Error
	if err != nil {
		return fmt.Errorf("update orders: %w", err)
	}
	return nil
}
