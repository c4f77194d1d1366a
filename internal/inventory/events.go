package inventory

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/ledger"
	"stockgraph/models"
)

// Snapshot is an item's levels and what the rules make of them, as an
// event records them.
func Snapshot(it models.InventoryItem, sw Switches) models.StockSnapshot {
	s := Summarize([]models.InventoryItem{it}, sw)
	return models.StockSnapshot{
		Quantities:            models.QuantitiesOf(it),
		AvailableToSell:       s.AvailableToSell,
		AvailableForBackorder: s.AvailableForBackorder,
		AvailableForPreorder:  s.AvailableForPreorder,
		Availability:          string(s.Availability),
		AvailabilityCode:      s.Availability.Code(),
	}
}

// sellable is whether a status sells from stock now.
func sellable(a string) bool { return a == string(InStock) || a == string(LowStock) }

// Transitions are the events a change of one item causes, from its
// snapshots before and after; the rule for each is written here once.
//
//   - STOCK_CHANGED: a level, or a figure available to sell, backorder or
//     preorder, moved.
//   - LOW_STOCK: the item went from IN_STOCK to LOW_STOCK: what it has to
//     sell fell to its warning level or below, and is not yet nothing.
//   - OUT_OF_STOCK: it sold from stock (IN_STOCK or LOW_STOCK) and no
//     longer does.
//   - BACK_IN_STOCK: the other way round.
//   - BACKORDER_LIMIT_REACHED: backorders took the last of the backorder
//     capacity (BigCommerce's backorder_limit_reached).
//   - PREORDER_LIMIT_REACHED: preorders took the last of the preorder
//     capacity.
//   - AVAILABILITY_CHANGED: the status, and so Oracle's code, changed.
func Transitions(before, after models.StockSnapshot) []models.StockEventType {
	var out []models.StockEventType
	if !maps.Equal(before.Quantities, after.Quantities) || before.AvailableToSell != after.AvailableToSell ||
		before.AvailableForBackorder != after.AvailableForBackorder || before.AvailableForPreorder != after.AvailableForPreorder {
		out = append(out, models.EventStockChanged)
	}
	was, is := before.Availability, after.Availability
	if was == string(InStock) && is == string(LowStock) {
		out = append(out, models.EventLowStock)
	}
	if sellable(was) && !sellable(is) {
		out = append(out, models.EventOutOfStock)
	}
	if !sellable(was) && sellable(is) {
		out = append(out, models.EventBackInStock)
	}
	if before.AvailableForBackorder > 0 && after.AvailableForBackorder == 0 && after.Quantity(models.StateBackordered) > 0 {
		out = append(out, models.EventBackorderLimitReached)
	}
	if before.AvailableForPreorder > 0 && after.AvailableForPreorder == 0 && after.Quantity(models.StatePreordered) > 0 {
		out = append(out, models.EventPreorderLimitReached)
	}
	if was != is {
		out = append(out, models.EventAvailabilityChanged)
	}
	return out
}

// itemChange is one item as a write found it and as it left it, and the
// order steps (ALLOCATED, ...) that changed it.
type itemChange struct {
	before, after models.InventoryItem
	steps         []models.StockEventType
}

// changesOf pairs items as a write left them with the same items as it
// found them (locked, by variant and location).
func changesOf(locked map[ItemKey]models.InventoryItem, after []models.InventoryItem) []itemChange {
	out := make([]itemChange, len(after))
	for i, it := range after {
		out[i] = itemChange{before: locked[ItemKey{it.VariantID, it.LocationID}], after: it}
	}
	return out
}

// recordEvents appends the events of the items a write changed, in the
// write's transaction (writes without movements: settings, tracking,
// stocking).
func (b *batch) recordEvents(changes []itemChange, movements []models.Movement, meta changeMeta) error {
	return events.Append(b.ctx, b.tx, b.actor.Store.ID, b.eventsOf(changes, movements, meta))
}

// record writes a change of quantities to the ledger and its events in
// one statement, so that events cost no round trip while the items are
// locked: the movements, then the events, each with the IDs of its item's
// movements; the doorbell rings once the transaction commits. It fills in
// the movements' IDs and times.
func (b *batch) record(movements []models.Movement, changes []itemChange, meta changeMeta) error {
	return recordMovements(b.ctx, b.tx, b.actor.Store.ID, movements, b.eventsOf(changes, movements, meta))
}

// recordMovements is record's statement for movements and the events
// built from them, of one write or of a coalesced group of writes (each
// event gets the movements of its own operation).
func recordMovements(ctx context.Context, tx *gorm.DB, storeID int64, movements []models.Movement, evs []models.StockEvent) error {
	if len(movements) == 0 || len(evs) == 0 {
		if err := ledger.Append(ctx, tx, movements); err != nil {
			return err
		}
		return events.Append(ctx, tx, storeID, evs)
	}
	mv, err := ledger.Encode(movements)
	if err != nil {
		return err
	}
	ev, err := events.Encode(evs)
	if err != nil {
		return err
	}
	rows, err := tx.WithContext(ctx).Raw(recordSQL, mv, ev, storeID).Rows()
	if err != nil {
		return fmt.Errorf("record %d movements and %d events: %w", len(movements), len(evs), err)
	}
	if err := ledger.ScanReturned(rows, movements); err != nil {
		return err
	}
	events.RingAfterCommit(tx, storeID)
	return nil
}

// recordSQL is record's statement. PostgreSQL runs a data-modifying CTE
// (ev) whether or not the query reads it.
var recordSQL = "WITH mv AS (" + ledger.InsertSQL("$1") + "), " + movementsAtPlaces + ", ev AS (" + events.InsertSQL("$2", "$3", movementsOfEvent) + ") " +
	"SELECT mv.id, mv.created_at FROM mv ORDER BY mv.id"

// movementsAtPlaces (mvp) groups the movements the statement writes (mv)
// by operation, variant and location, into or out of it, for the events
// to join. A subquery per event scanned every movement of the statement
// instead: a thousand items' import spent most of its time there.
const movementsAtPlaces = `mvp AS (SELECT m.operation_id, m.variant_id, l.location_id, array_agg(DISTINCT m.id ORDER BY m.id) AS ids
  FROM mv m CROSS JOIN LATERAL (VALUES (m.from_location_id), (m.to_location_id)) AS l(location_id)
  WHERE l.location_id IS NOT NULL GROUP BY 1, 2, 3)`

// movementsOfEvent are the IDs of an event's movements (row r) among
// those the statement writes: its operation's, of its variant, into or
// out of its location (a coalesced group writes several operations of
// one item at once).
var movementsOfEvent = events.MovementIDs{Expr: "coalesce(mvp.ids, '{}')",
	Join: "LEFT JOIN mvp ON mvp.operation_id = r.operation_id AND mvp.variant_id = r.variant_id AND mvp.location_id = r.location_id"}

// itemStamp is what only the database says of an item a write updated.
type itemStamp struct {
	Revision       int64
	NextIncomingAt *time.Time
	UpdatedAt      time.Time
}

// onto sets the stamp's columns of the item.
func (s itemStamp) onto(it models.InventoryItem) models.InventoryItem {
	it.Revision, it.NextIncomingAt, it.UpdatedAt = s.Revision, s.NextIncomingAt, s.UpdatedAt
	return it
}

// write is record with the deltas applied in the same statement
// (writeSQL): one round trip for a change of quantities while its items
// are locked. The changes' after sides are the locked items with the
// deltas applied (deltas.appliedTo), as the statement leaves them; it
// returns the stamps of the items it updated, by ID, and fills in the
// movements' IDs and times.
func (b *batch) write(ds deltas, movements []models.Movement, changes []itemChange, meta changeMeta) (map[int64]itemStamp, error) {
	stamps := map[int64]itemStamp{}
	args := deltaArgs(b.actor.Store.ID, ds, 1)
	evs := b.eventsOf(changes, movements, meta)
	if args == nil || len(movements) == 0 || len(evs) == 0 {
		return b.fallbackWrite(ds, movements, changes, meta)
	}
	mv, err := ledger.Encode(movements)
	if err != nil {
		return nil, err
	}
	ev, err := events.Encode(evs)
	if err != nil {
		return nil, err
	}
	rows, err := b.tx.WithContext(b.ctx).Raw(writeSQL, append([]any{mv, ev, b.actor.Store.ID}, args...)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("update %d items, record %d movements and %d events: %w", len(args[1].(database.Int64s)), len(movements), len(evs), err)
	}
	defer rows.Close()
	next := 0
	for rows.Next() {
		var kind string
		var id int64
		var revision *int64 // none on a movement's row
		var st itemStamp
		if err := rows.Scan(&kind, &id, &revision, &st.NextIncomingAt, &st.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read the write's result: %w", err)
		}
		if kind == "item" && revision != nil {
			st.Revision = *revision
			stamps[id] = st
			continue
		}
		if next == len(movements) {
			return nil, fmt.Errorf("record movements: more returned than the %d sent", len(movements))
		}
		movements[next].ID, movements[next].CreatedAt = id, st.UpdatedAt
		next++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the write's result: %w", err)
	}
	if next != len(movements) {
		return nil, fmt.Errorf("record movements: %d returned for the %d sent", next, len(movements))
	}
	if sent := len(args[1].(database.Int64s)); len(stamps) != sent {
		// The items were locked before this statement, so none can have
		// gone; were one gone, its movements would name a location that
		// may be gone too (migration 00019 says why no key checks that).
		return nil, fmt.Errorf("update items: %d updated of the %d locked", len(stamps), sent)
	}
	events.RingAfterCommit(b.tx, b.actor.Store.ID)
	return stamps, nil
}

// fallbackWrite is write in two steps, for a change without movements
// or events (every line changes nothing), where writeSQL has no rows to
// join.
func (b *batch) fallbackWrite(ds deltas, movements []models.Movement, changes []itemChange, meta changeMeta) (map[int64]itemStamp, error) {
	updated, err := applyDeltas(b.ctx, b.tx, b.actor.Store.ID, ds)
	if err != nil {
		return nil, err
	}
	stamps := make(map[int64]itemStamp, len(updated))
	for id, it := range updated {
		stamps[id] = itemStamp{Revision: it.Revision, NextIncomingAt: it.NextIncomingAt, UpdatedAt: it.UpdatedAt}
	}
	return stamps, b.record(movements, changes, meta)
}

// writeSQL is write's statement: the items' update (parameters from $4),
// then recordSQL's movements and events. Its rows are each
// updated item's stamp ("item", ID, revision, next incoming, updated at),
// then each movement's ID and time ("movement", ID, -, -, created at) in
// the order they were sent.
var writeSQL = "WITH upd AS (" + updateItemsSQL(4, "i.id, i.revision, i.next_incoming_at, i.updated_at") + "), mv AS (" + ledger.InsertSQL("$1") +
	"), " + movementsAtPlaces + ", ev AS (" + events.InsertSQL("$2", "$3", movementsOfEvent) + ") " +
	"SELECT 'item' AS kind, id, revision, next_incoming_at, updated_at FROM upd " +
	"UNION ALL SELECT 'movement', mv.id, NULL, NULL, mv.created_at FROM mv ORDER BY 1, 2"

// eventsOf builds the events of the items a write changed, each with the
// movements of its variant at its location, the write's reason and
// reference, and the token. Movements carry the write's operation; a
// write without movements (settings) gets an operation of its own.
func (b *batch) eventsOf(changes []itemChange, movements []models.Movement, meta changeMeta) []models.StockEvent {
	op := uuid.NewString()
	if len(movements) > 0 {
		op = movements[0].OperationID
	}
	sw := SwitchesOf(b.actor.Store)
	ofItem := movementsByItem(movements)
	var evs []models.StockEvent
	for _, c := range changes {
		before, after := Snapshot(c.before, sw), Snapshot(c.after, sw)
		for _, typ := range append(Transitions(before, after), c.steps...) {
			e := models.StockEvent{Type: typ, ItemID: c.after.ID, VariantID: c.after.VariantID, ProductID: b.products[c.after.VariantID], LocationID: c.after.LocationID,
				OperationID: op, MovementIDs: ofItem.of(c.after), Reason: meta.reason, Reference: meta.reference,
				Before: before, After: after}
			if b.actor.TokenID != 0 {
				e.TokenID = &b.actor.TokenID
			}
			evs = append(evs, e)
		}
	}
	return evs
}

// itemMovements are the IDs of a write's movements by the variant and
// location of the items they move into or out of, in the write's order.
type itemMovements map[ItemKey][]int64

func movementsByItem(movements []models.Movement) itemMovements {
	out := itemMovements{}
	for _, m := range movements {
		from, to := ItemKey{m.VariantID, m.FromLocationID}, ItemKey{m.VariantID, m.ToLocationID}
		out[from] = append(out[from], m.ID)
		if to != from {
			out[to] = append(out[to], m.ID)
		}
	}
	return out
}

// of returns the IDs of the movements of the item's variant into or out
// of its location.
func (im itemMovements) of(it models.InventoryItem) models.Int64Array {
	return append(models.Int64Array{}, im[ItemKey{it.VariantID, it.LocationID}]...)
}
