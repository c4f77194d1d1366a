package inventory

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"github.com/google/uuid"
	"gorm.io/gorm"

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
// movements, and the doorbell. It fills in the movements' IDs and times.
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
	rows, err := tx.WithContext(ctx).Raw(recordSQL, mv, ev, storeID, events.Channel, strconv.FormatInt(storeID, 10)).Rows()
	if err != nil {
		return fmt.Errorf("record %d movements and %d events: %w", len(movements), len(evs), err)
	}
	return ledger.ScanReturned(rows, movements)
}

// recordSQL is record's statement. The cross join with the doorbell makes
// PostgreSQL ring it (there are events whenever there are movements).
var recordSQL = "WITH mv AS (" + ledger.InsertSQL("$1") + "), ev AS (" +
	events.InsertSQL("$2", "$3", `ARRAY(SELECT m.id FROM mv m WHERE m.operation_id = r.operation_id AND m.variant_id = r.variant_id
    AND (m.from_location_id = r.location_id OR m.to_location_id = r.location_id) ORDER BY m.id)`) +
	"), bell AS (" + events.NotifySQL("ev", "$4", "$5") + ") " +
	"SELECT mv.id, mv.created_at FROM mv, bell ORDER BY mv.id"

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
	var evs []models.StockEvent
	for _, c := range changes {
		before, after := Snapshot(c.before, sw), Snapshot(c.after, sw)
		for _, typ := range append(Transitions(before, after), c.steps...) {
			e := models.StockEvent{Type: typ, ItemID: c.after.ID, VariantID: c.after.VariantID, ProductID: b.products[c.after.VariantID], LocationID: c.after.LocationID,
				OperationID: op, MovementIDs: movementsOf(c.after, movements), Reason: meta.reason, Reference: meta.reference,
				Before: before, After: after}
			if b.actor.TokenID != 0 {
				e.TokenID = &b.actor.TokenID
			}
			evs = append(evs, e)
		}
	}
	return evs
}

// movementsOf returns the IDs of the movements of the item's variant into
// or out of its location.
func movementsOf(it models.InventoryItem, movements []models.Movement) models.Int64Array {
	ids := models.Int64Array{}
	for _, m := range movements {
		if m.VariantID == it.VariantID && (m.FromLocationID == it.LocationID || m.ToLocationID == it.LocationID) {
			ids = append(ids, m.ID)
		}
	}
	return ids
}
