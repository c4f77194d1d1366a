package orders

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// An order and a reservation both hold units through lines and their
// allocations. A step on one locks its row first, then the items (in ID
// order, through inventory.Sale), then changes its allocations: every
// step takes locks in that order, so steps never deadlock.

// holding is the lines of one order or reservation with their
// allocations, as a step changes them in memory before saving.
type holding struct {
	lines  []models.OrderLine
	allocs map[int64][]*models.Allocation // by line ID, in allocation order
	// changed are the allocations and lines to save.
	changedAllocs map[int64]*models.Allocation
	changedLines  map[int64]*models.OrderLine
	newAllocs     []models.Allocation
	shifts        []inventory.Shift
}

// loadHolding reads the lines of an order (column "order_id") or of a
// reservation ("reservation_id"), with their allocations.
func loadHolding(ctx context.Context, tx *gorm.DB, storeID int64, column string, id int64) (*holding, error) {
	h := &holding{allocs: map[int64][]*models.Allocation{}, changedAllocs: map[int64]*models.Allocation{}, changedLines: map[int64]*models.OrderLine{}}
	err := tx.WithContext(ctx).Where("store_id = ? AND "+column+" = ?", storeID, id).Order("position").Find(&h.lines).Error
	if err != nil {
		return nil, fmt.Errorf("read lines: %w", err)
	}
	ids := make([]int64, len(h.lines))
	for i, l := range h.lines {
		ids[i] = l.ID
	}
	var allocs []models.Allocation
	if len(ids) > 0 {
		err = tx.WithContext(ctx).Where("store_id = ? AND line_id IN ?", storeID, ids).Order("id").Find(&allocs).Error
		if err != nil {
			return nil, fmt.Errorf("read allocations: %w", err)
		}
	}
	for i := range allocs {
		h.allocs[allocs[i].LineID] = append(h.allocs[allocs[i].LineID], &allocs[i])
	}
	return h, nil
}

// line returns the line with the ID, or nil.
func (h *holding) line(id int64) *models.OrderLine {
	for i := range h.lines {
		if h.lines[i].ID == id {
			return &h.lines[i]
		}
	}
	return nil
}

// refs names the lines' variants by ID, for inventory.StartSale.
func (h *holding) refs() []inventory.VariantRef {
	out := make([]inventory.VariantRef, len(h.lines))
	for i, l := range h.lines {
		out[i] = inventory.VariantRef{VariantID: l.VariantID}
	}
	return out
}

// itemKeys are the items the lines' counted allocations hold units at.
func (h *holding) itemKeys() []inventory.ItemKey {
	var keys []inventory.ItemKey
	for _, l := range h.lines {
		for _, a := range h.allocs[l.ID] {
			if a.Counted {
				keys = append(keys, inventory.ItemKey{VariantID: l.VariantID, LocationID: a.LocationID})
			}
		}
	}
	return keys
}

// startSale resolves the lines' variants and locks the items they hold
// units at; it returns the items locked. A line whose variant was deleted
// holds nothing any more: its items went with it.
func (h *holding) startSale(ctx context.Context, tx *gorm.DB, actor inventory.Actor, extra ...inventory.ItemKey) (*inventory.Sale, map[inventory.ItemKey]models.InventoryItem, error) {
	sale, err := inventory.StartSale(ctx, tx, actor, h.refs())
	if err != nil {
		return nil, nil, err
	}
	items, err := sale.Lock(append(h.itemKeys(), extra...))
	return sale, items, err
}

// release lets go of n open units of a line, from the allocations least
// wanted first (preorders, backorders, then stock from the lowest
// priority), and counts them as cancelled when cancel is set (otherwise
// the line's quantity drops: an update). It returns the units released.
func (h *holding) release(l *models.OrderLine, n int, cancel bool, items map[inventory.ItemKey]models.InventoryItem) int {
	done := 0
	for _, a := range releaseOrder(h.allocs[l.ID]) {
		take := min(n-done, a.Quantity)
		if take <= 0 {
			continue
		}
		a.Quantity -= take
		h.changedAllocs[a.ID] = a
		if _, ok := items[inventory.ItemKey{VariantID: l.VariantID, LocationID: a.LocationID}]; ok && a.Counted {
			h.shifts = append(h.shifts, inventory.Shift{VariantID: l.VariantID, LocationID: a.LocationID,
				From: a.Kind.State(), Quantity: take, Step: models.EventReleased})
		}
		done += take
	}
	if cancel {
		l.QuantityCancelled += done
	} else {
		l.Quantity -= done
	}
	h.changedLines[l.ID] = l
	return done
}

// releaseOrder is the order allocations are let go in: preorders, then
// backorders, then stock, each newest (lowest priority) first.
func releaseOrder(allocs []*models.Allocation) []*models.Allocation {
	out := slices.Clone(allocs)
	rank := map[models.AllocationKind]int{models.AllocatePreorder: 0, models.AllocateBackorder: 1, models.AllocateStock: 2}
	slices.SortStableFunc(out, func(a, b *models.Allocation) int {
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] - rank[b.Kind]
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

// releaseAll lets go of every open unit of every line.
func (h *holding) releaseAll(items map[inventory.ItemKey]models.InventoryItem) {
	for i := range h.lines {
		h.release(&h.lines[i], h.lines[i].QuantityOpen(), true, items)
	}
}

// save writes the changed lines and allocations, and the new
// allocations.
func (h *holding) save(ctx context.Context, tx *gorm.DB, storeID int64) error {
	if err := saveAllocations(ctx, tx, storeID, h.changedAllocs); err != nil {
		return err
	}
	if err := saveLines(ctx, tx, storeID, h.changedLines); err != nil {
		return err
	}
	return insertAllocations(ctx, tx, h.newAllocs)
}

// saveAllocations writes the allocations' quantities and holds in one
// statement.
func saveAllocations(ctx context.Context, tx *gorm.DB, storeID int64, allocs map[int64]*models.Allocation) error {
	if len(allocs) == 0 {
		return nil
	}
	var ids database.Int64s
	var qty, fulfilled database.Ints
	var held database.Bools
	for _, id := range slices.Sorted(maps.Keys(allocs)) {
		a := allocs[id]
		ids, qty, fulfilled, held = append(ids, id), append(qty, a.Quantity), append(fulfilled, a.QuantityFulfilled), append(held, a.OnHold)
	}
	err := tx.WithContext(ctx).Exec(`
		UPDATE allocations a SET quantity = d.q, quantity_fulfilled = d.f, on_hold = d.h, updated_at = clock_timestamp()
		FROM unnest(?::bigint[], ?::int[], ?::int[], ?::boolean[]) AS d(id, q, f, h)
		WHERE a.store_id = ? AND a.id = d.id`, ids, qty, fulfilled, held, storeID).Error
	if err != nil {
		return fmt.Errorf("update allocations: %w", err)
	}
	return nil
}

// saveLines writes the lines' quantities in one statement.
func saveLines(ctx context.Context, tx *gorm.DB, storeID int64, lines map[int64]*models.OrderLine) error {
	if len(lines) == 0 {
		return nil
	}
	var ids database.Int64s
	var qty, fulfilled, cancelled database.Ints
	for _, id := range slices.Sorted(maps.Keys(lines)) {
		l := lines[id]
		ids, qty = append(ids, id), append(qty, l.Quantity)
		fulfilled, cancelled = append(fulfilled, l.QuantityFulfilled), append(cancelled, l.QuantityCancelled)
	}
	err := tx.WithContext(ctx).Exec(`
		UPDATE order_lines l SET quantity = d.q, quantity_fulfilled = d.f, quantity_cancelled = d.c, updated_at = now()
		FROM unnest(?::bigint[], ?::int[], ?::int[], ?::int[]) AS d(id, q, f, c)
		WHERE l.store_id = ? AND l.id = d.id`, ids, qty, fulfilled, cancelled, storeID).Error
	if err != nil {
		return fmt.Errorf("update order lines: %w", err)
	}
	return nil
}

// insertAllocations adds allocations; one a line already has at the same
// location and of the same kind grows instead, taking the new hold.
func insertAllocations(ctx context.Context, tx *gorm.DB, allocs []models.Allocation) error {
	if len(allocs) == 0 {
		return nil
	}
	var stores, lines, locations database.Int64s
	var kinds database.Strings
	var qty database.Ints
	var counted, held database.Bools
	for _, a := range allocs {
		stores, lines, locations = append(stores, a.StoreID), append(lines, a.LineID), append(locations, a.LocationID)
		kinds, qty = append(kinds, string(a.Kind)), append(qty, a.Quantity)
		counted, held = append(counted, a.Counted), append(held, a.OnHold)
	}
	err := tx.WithContext(ctx).Exec(`
		INSERT INTO allocations AS a (store_id, line_id, location_id, kind, quantity, counted, on_hold)
		SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::int[], ?::boolean[], ?::boolean[])
		ON CONFLICT (store_id, line_id, location_id, kind) DO UPDATE
		SET quantity = a.quantity + excluded.quantity, on_hold = excluded.on_hold, updated_at = clock_timestamp()`,
		stores, lines, locations, kinds, qty, counted, held).Error
	if err != nil {
		return fmt.Errorf("create allocations: %w", err)
	}
	return nil
}

// statusOf is an order's status from its lines: OPEN while a unit is
// open, then FULFILLED when any unit shipped, CANCELLED when none did.
func statusOf(lines []models.OrderLine) models.OrderStatus {
	shipped := false
	for _, l := range lines {
		if l.QuantityOpen() > 0 {
			return models.OrderOpen
		}
		shipped = shipped || l.QuantityFulfilled > 0
	}
	if shipped {
		return models.OrderFulfilled
	}
	return models.OrderCancelled
}
