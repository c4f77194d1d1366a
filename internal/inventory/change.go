package inventory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/models"
)

// ItemKey names an item by its variant and location.
type ItemKey struct{ VariantID, LocationID int64 }

// lockItems locks the items of the keys, creating the ones that do not
// exist yet, and says which it created. Existing items are locked first,
// in ID order, as every stock write locks them, so that two requests
// touching the same items in different orders wait for each other instead
// of deadlocking; in the common case, where every item exists, that is
// the only statement. Missing items are then inserted in key order, which
// locks them; the few another request inserted meanwhile are locked after.
func lockItems(ctx context.Context, tx *gorm.DB, storeID int64, keys []ItemKey) (
	locked map[ItemKey]models.InventoryItem, created map[ItemKey]bool, err error) {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b ItemKey) int {
		if a.VariantID != b.VariantID {
			return cmpInt64(a.VariantID, b.VariantID)
		}
		return cmpInt64(a.LocationID, b.LocationID)
	})
	keys = slices.Compact(keys)
	if locked, err = lockExisting(ctx, tx, storeID, keys); err != nil {
		return nil, nil, err
	}
	missing := slices.DeleteFunc(slices.Clone(keys), func(k ItemKey) bool { _, ok := locked[k]; return ok })
	created = map[ItemKey]bool{}
	if len(missing) == 0 {
		return locked, created, nil
	}
	inserted, err := insertItems(ctx, tx, storeID, missing)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range inserted {
		k := ItemKey{it.VariantID, it.LocationID}
		locked[k], created[k] = it, true
	}
	raced := slices.DeleteFunc(missing, func(k ItemKey) bool { return created[k] })
	if len(raced) == 0 {
		return locked, created, nil
	}
	others, err := lockExisting(ctx, tx, storeID, raced)
	if err != nil {
		return nil, nil, err
	}
	maps.Copy(locked, others)
	return locked, created, nil
}

// insertItems creates the items of keys with the table's defaults and
// returns the ones it created; an item another request created first is
// left out.
func insertItems(ctx context.Context, tx *gorm.DB, storeID int64, keys []ItemKey) ([]models.InventoryItem, error) {
	variants, locations := keyColumns(keys)
	rows, err := tx.WithContext(ctx).Raw(`
		INSERT INTO inventory_items AS i (store_id, variant_id, location_id)
		SELECT ?, k.v, k.l FROM unnest(?::bigint[], ?::bigint[]) WITH ORDINALITY AS k(v, l, n) ORDER BY k.n
		ON CONFLICT (store_id, variant_id, location_id) DO NOTHING
		RETURNING `+itemColumns, storeID, variants, locations).Rows()
	if err != nil {
		return nil, fmt.Errorf("create inventory items: %w", err)
	}
	items, err := scanItems(rows)
	if err != nil {
		return nil, fmt.Errorf("create inventory items: %w", err)
	}
	return items, nil
}

// lockExisting locks the existing items of the keys in ID order.
func lockExisting(ctx context.Context, tx *gorm.DB, storeID int64, keys []ItemKey) (map[ItemKey]models.InventoryItem, error) {
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
	byKey := make(map[ItemKey]models.InventoryItem, len(items))
	for _, it := range items {
		byKey[ItemKey{it.VariantID, it.LocationID}] = it
	}
	return byKey, nil
}

func keyColumns(keys []ItemKey) (variants, locations database.Int64s) {
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

// deltas are changes of items' levels: item ID, state, units.
type deltas map[int64]map[models.QuantityState]int

// add changes an item's level in a state by n units.
func (ds deltas) add(itemID int64, s models.QuantityState, n int) {
	if ds[itemID] == nil {
		ds[itemID] = map[models.QuantityState]int{}
	}
	ds[itemID][s] += n
}

// changes reports whether the item's levels change at all.
func (ds deltas) changes(itemID int64) bool {
	for _, n := range ds[itemID] {
		if n != 0 {
			return true
		}
	}
	return false
}

// level returns an item's quantity in a state.
func level(it models.InventoryItem, s models.QuantityState) int {
	return *it.Quantity(s)
}

// updateItemsSQL adds a delta array per quantity state
// (models.QuantityColumns) to the items in one statement, and to each
// item's revision the number of writes the deltas sum up (one, but for a
// coalesced group), and returns their columns that returning names. Its
// parameters are numbered from $first: the store IDs, the item IDs, the
// writes, then the deltas of each state (see deltaArgs). An item with no
// units incoming has no date they are expected.
func updateItemsSQL(first int, returning string) string {
	param := func(n int, typ string) string { return fmt.Sprintf("$%d::%s", first+n, typ) }
	set, arrays, names := make([]string, 0), make([]string, 0), make([]string, 0)
	for i, q := range models.QuantityColumns {
		set = append(set, fmt.Sprintf("%[1]s = i.%[1]s + d.%[1]s", q.Column))
		arrays, names = append(arrays, param(3+i, "int[]")), append(names, q.Column)
	}
	return `UPDATE inventory_items i SET ` + strings.Join(set, ", ") + `,
			next_incoming_at = CASE WHEN i.incoming + d.incoming = 0 THEN NULL ELSE i.next_incoming_at END,
			revision = i.revision + d.writes, updated_at = now()
		FROM unnest(` + param(0, "bigint[]") + `, ` + param(1, "bigint[]") + `, ` + param(2, "int[]") + `, ` + strings.Join(arrays, ", ") +
		`) AS d(store_id, id, writes, ` + strings.Join(names, ", ") + `)
		WHERE i.store_id = d.store_id AND i.id = d.id
		RETURNING ` + returning
}

// applyDeltasSQL is applyDeltas' statement.
var applyDeltasSQL = updateItemsSQL(1, itemColumns)

// deltaArgs are updateItemsSQL's parameters for the items the deltas
// change, which sum up writes writes of each, in ID order; none when they
// change nothing.
func deltaArgs(storeID int64, ds deltas, writes int) []any {
	ids := make([]int64, 0, len(ds))
	for id := range ds {
		// A group's deltas may cancel out, yet each of its writes moved
		// the item's revision.
		if ds.changes(id) || writes > 1 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	args := []any{database.Repeat(storeID, len(ids)), database.Int64s(ids), database.Ints(slices.Repeat([]int{writes}, len(ids)))}
	for _, q := range models.QuantityColumns {
		col := make(database.Ints, len(ids))
		for i, id := range ids {
			col[i] = ds[id][q.State]
		}
		args = append(args, col)
	}
	return args
}

// applyDeltas adds the deltas to the locked items in SQL, in one
// statement, bumps their revisions and returns them as they are now.
func applyDeltas(ctx context.Context, tx *gorm.DB, storeID int64, ds deltas) (map[int64]models.InventoryItem, error) {
	return applyWrites(ctx, tx, storeID, ds, 1)
}

// applyWrites is applyDeltas for deltas that sum up writes writes of
// each item, whose revisions move by as many.
func applyWrites(ctx context.Context, tx *gorm.DB, storeID int64, ds deltas, writes int) (map[int64]models.InventoryItem, error) {
	out := map[int64]models.InventoryItem{}
	args := deltaArgs(storeID, ds, writes)
	if args == nil {
		return out, nil
	}
	rows, err := tx.WithContext(ctx).Raw(applyDeltasSQL, args...).Rows()
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

// appliedTo is a locked item as the deltas leave it, the way
// updateItemsSQL changes its levels and revision, for what a write
// records before the database has answered (its events' snapshots, its
// movements' balances); the columns only the database can say
// (next_incoming_at, updated_at) come back from the write (itemStamp).
func (ds deltas) appliedTo(it models.InventoryItem) models.InventoryItem {
	if !ds.changes(it.ID) {
		return it
	}
	for s, n := range ds[it.ID] {
		*it.Quantity(s) += n
	}
	it.Revision++
	return it
}
