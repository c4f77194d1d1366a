package inventory

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/models"
)

// itemKey names an item by its variant and location.
type itemKey struct{ VariantID, LocationID int64 }

// lockItems locks the items of the keys, creating the ones that do not
// exist yet. Existing items are locked first, in ID order, as every stock
// write locks them, so that two requests touching the same items in
// different orders wait for each other instead of deadlocking; in the
// common case, where every item exists, that is the only statement.
// Missing items are then inserted in key order and locked.
func lockItems(ctx context.Context, tx *gorm.DB, storeID int64, keys []itemKey) (map[itemKey]models.InventoryItem, error) {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b itemKey) int {
		if a.VariantID != b.VariantID {
			return cmpInt64(a.VariantID, b.VariantID)
		}
		return cmpInt64(a.LocationID, b.LocationID)
	})
	keys = slices.Compact(keys)
	locked, err := lockExisting(ctx, tx, storeID, keys)
	if err != nil {
		return nil, err
	}
	missing := slices.DeleteFunc(slices.Clone(keys), func(k itemKey) bool { _, ok := locked[k]; return ok })
	if len(missing) == 0 {
		return locked, nil
	}
	variants, locations := keyColumns(missing)
	err = tx.WithContext(ctx).Exec(`
		INSERT INTO inventory_items (store_id, variant_id, location_id)
		SELECT ?, k.v, k.l FROM unnest(?::bigint[], ?::bigint[]) WITH ORDINALITY AS k(v, l, n) ORDER BY k.n
		ON CONFLICT (store_id, variant_id, location_id) DO NOTHING`, storeID, variants, locations).Error
	if err != nil {
		return nil, fmt.Errorf("create inventory items: %w", err)
	}
	created, err := lockExisting(ctx, tx, storeID, missing)
	if err != nil {
		return nil, err
	}
	maps.Copy(locked, created)
	return locked, nil
}

// lockExisting locks the existing items of the keys in ID order.
func lockExisting(ctx context.Context, tx *gorm.DB, storeID int64, keys []itemKey) (map[itemKey]models.InventoryItem, error) {
	variants, locations := keyColumns(keys)
	rows, err := tx.WithContext(ctx).Raw(`
		SELECT `+itemColumns+` FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) AS k(s, v, l)
		JOIN inventory_items i ON i.store_id = k.s AND i.variant_id = k.v AND i.location_id = k.l
		ORDER BY i.id FOR UPDATE OF i`, database.Repeat(storeID, len(keys)), variants, locations).Rows()
	if err != nil {
		return nil, fmt.Errorf("lock inventory items: %w", err)
	}
	items, err := scanItems(rows)
	if err != nil {
		return nil, fmt.Errorf("lock inventory items: %w", err)
	}
	byKey := make(map[itemKey]models.InventoryItem, len(items))
	for _, it := range items {
		byKey[itemKey{it.VariantID, it.LocationID}] = it
	}
	return byKey, nil
}

func keyColumns(keys []itemKey) (variants, locations database.Int64s) {
	variants, locations = make(database.Int64s, len(keys)), make(database.Int64s, len(keys))
	for i, k := range keys {
		variants[i], locations[i] = k.VariantID, k.LocationID
	}
	return variants, locations
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// delta is a change of an item's quantities.
type delta struct {
	OnHand, Backordered, Damaged, QualityControl, Incoming int
}

func (d delta) isZero() bool { return d == delta{} }

// get and add address a delta's quantity by state.
func (d *delta) add(s models.QuantityState, n int) {
	switch s {
	case models.StateOnHand:
		d.OnHand += n
	case models.StateBackordered:
		d.Backordered += n
	case models.StateDamaged:
		d.Damaged += n
	case models.StateQualityControl:
		d.QualityControl += n
	case models.StateIncoming:
		d.Incoming += n
	}
}

// quantityOf points at an item's quantity in a state, so that reading and
// changing a state by name share one mapping.
func quantityOf(it *models.InventoryItem, s models.QuantityState) *int {
	switch s {
	case models.StateOnHand:
		return &it.OnHand
	case models.StateBackordered:
		return &it.QtyBackordered
	case models.StateDamaged:
		return &it.Damaged
	case models.StateQualityControl:
		return &it.QualityControl
	case models.StateIncoming:
		return &it.Incoming
	case models.StateCommitted:
		return &it.Committed
	case models.StatePreordered:
		return &it.QtyPreordered
	}
	panic("inventory: unknown quantity state " + string(s))
}

// level returns an item's quantity in a state.
func level(it models.InventoryItem, s models.QuantityState) int {
	return *quantityOf(&it, s)
}

// applyDeltas adds the deltas to the locked items in SQL, in one
// statement, bumps their revisions and returns them as they are now.
func applyDeltas(ctx context.Context, tx *gorm.DB, storeID int64, deltas map[int64]delta) (map[int64]models.InventoryItem, error) {
	ids := make([]int64, 0, len(deltas))
	for id, d := range deltas {
		if !d.isZero() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := map[int64]models.InventoryItem{}
	if len(ids) == 0 {
		return out, nil
	}
	cols := make([]database.Ints, 5)
	for i := range cols {
		cols[i] = make(database.Ints, len(ids))
	}
	for i, id := range ids {
		d := deltas[id]
		cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i] = d.OnHand, d.Backordered, d.Damaged, d.QualityControl, d.Incoming
	}
	rows, err := tx.WithContext(ctx).Raw(`
		UPDATE inventory_items i SET
			on_hand = i.on_hand + d.on_hand,
			qty_backordered = i.qty_backordered + d.backordered,
			damaged = i.damaged + d.damaged,
			quality_control = i.quality_control + d.quality_control,
			incoming = i.incoming + d.incoming,
			next_incoming_at = CASE WHEN i.incoming + d.incoming = 0 THEN NULL ELSE i.next_incoming_at END,
			revision = i.revision + 1,
			updated_at = now()
		FROM unnest(?::bigint[], ?::bigint[], ?::int[], ?::int[], ?::int[], ?::int[], ?::int[])
			AS d(store_id, id, on_hand, backordered, damaged, quality_control, incoming)
		WHERE i.store_id = d.store_id AND i.id = d.id
		RETURNING `+itemColumns, database.Repeat(storeID, len(ids)), database.Int64s(ids), cols[0], cols[1], cols[2], cols[3], cols[4]).Rows()
	if err != nil {
		return nil, fmt.Errorf("update inventory items: %w", err)
	}
	updated, err := scanItems(rows)
	if err != nil {
		return nil, fmt.Errorf("update inventory items: %w", err)
	}
	for _, r := range updated {
		out[r.ID] = r
	}
	return out, nil
}

// withCurrentStore reads the actor's store inside the transaction and
// holds it FOR SHARE: the switches that decide what a write may do
// (negative stock, backorders, preorders) cannot change under it, and a
// switch changed just before is seen.
func withCurrentStore(ctx context.Context, tx *gorm.DB, actor Actor) (Actor, error) {
	err := tx.WithContext(ctx).Raw(`SELECT * FROM stores WHERE id = ? FOR SHARE`, actor.Store.ID).Scan(&actor.Store).Error
	if err != nil {
		return actor, fmt.Errorf("read store %d: %w", actor.Store.ID, err)
	}
	return actor, nil
}
