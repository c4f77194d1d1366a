// Package events owns the stock events table: appending a change's events
// in the change's transaction, and reading them in an order that is safe
// to resume from.
//
// Events are ordered by (xid, id): the writing transaction's ID, then the
// row's. A reader passes only events whose transaction is older than every
// transaction still running (pg_snapshot_xmin of its snapshot). Every
// transaction older than that horizon has ended, so the set of events below
// it can never grow: an event committed late has an xid at or above the
// horizon a reader saw, and so a position above any the reader passed. A
// plain `id > cursor` would skip it, since a sequence's order is not the
// order of commits.
//
// Append also rings a doorbell (NOTIFY Channel with the store's ID),
// delivered at commit; listeners then read the table, which stays the
// truth: a lost notification delays an event, never loses it.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/models"
)

// Channel is the NOTIFY channel that rings when a store's events commit.
const Channel = "stockgraph_events"

// Position is where an event stands in a store's order: after every event
// of a lower Xid, and of the same Xid with a lower ID. The zero Position
// is before every event.
type Position struct {
	Xid uint64
	ID  int64
}

// Of is an event's position.
func Of(e models.StockEvent) Position { return Position{Xid: e.Xid, ID: e.ID} }

// Less orders positions.
func (p Position) Less(q Position) bool {
	return p.Xid < q.Xid || (p.Xid == q.Xid && p.ID < q.ID)
}

// Filter narrows events; empty fields match every event.
type Filter struct {
	VariantIDs  []int64
	ProductIDs  []int64
	LocationIDs []int64
	Types       []models.StockEventType
}

// Append writes events in one statement, and rings the doorbell once the
// transaction commits. The events' IDs, xids and times are the database's.
func Append(ctx context.Context, tx *gorm.DB, storeID int64, evs []models.StockEvent) error {
	if len(evs) == 0 {
		return nil
	}
	payload, err := Encode(evs)
	if err != nil {
		return err
	}
	if err := tx.WithContext(ctx).Exec(InsertSQL("$1", "$2", storedMovementIDs), payload, storeID).Error; err != nil {
		return fmt.Errorf("append %d stock events: %w", len(evs), err)
	}
	RingAfterCommit(tx, storeID)
	return nil
}

// Encode encodes events as InsertSQL reads them: a JSON array.
func Encode(evs []models.StockEvent) (string, error) {
	rows := make([]eventRow, len(evs))
	for i, e := range evs {
		rows[i] = rowOf(e)
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("encode stock events: %w", err)
	}
	return string(payload), nil
}

// MovementIDs is how InsertSQL finds each event's movements (bigint[]):
// the SQL expression of them in terms of the row r, and any join it
// needs.
type MovementIDs struct {
	Expr string
	Join string
}

// InsertSQL inserts the events of the JSON array (Encode) in the
// parameter rows into the store of the parameter store, for a
// data-modifying CTE. movements gives each event's movements: the IDs
// Encode sent, or those of movements written by the same statement (see
// inventory's record step).
func InsertSQL(rows, store string, movements MovementIDs) string {
	return `INSERT INTO stock_events (store_id, type, item_id, variant_id, product_id, location_id, operation_id,
    movement_ids, reason, reference, token_id, before, after)
  SELECT ` + store + `, r.type, r.item_id, r.variant_id, r.product_id, r.location_id, r.operation_id,
    ` + movements.Expr + `, r.reason, r.reference, r.token_id, r.before, r.after
  FROM jsonb_array_elements(` + rows + `::jsonb) WITH ORDINALITY AS e(event, n)
  CROSS JOIN LATERAL jsonb_to_record(e.event) AS r(type stock_event_type, item_id bigint, variant_id bigint, product_id bigint,
    location_id bigint, operation_id uuid, movement_ids jsonb, reason text, reference text, token_id bigint,
    before jsonb, after jsonb) ` + movements.Join + `
  ORDER BY e.n -- IDs, hence the events' order, follow the array's whatever the join did
  RETURNING 1`
}

// storedMovementIDs are the movement IDs an encoded event carries.
var storedMovementIDs = MovementIDs{Expr: "ARRAY(SELECT jsonb_array_elements_text(r.movement_ids)::bigint)"}

// eventRow is an event as Append sends it, one element of a JSON array.
type eventRow struct {
	Type        models.StockEventType `json:"type"`
	ItemID      int64                 `json:"item_id"`
	VariantID   int64                 `json:"variant_id"`
	ProductID   int64                 `json:"product_id"`
	LocationID  int64                 `json:"location_id"`
	OperationID string                `json:"operation_id"`
	MovementIDs []int64               `json:"movement_ids"`
	Reason      string                `json:"reason"`
	Reference   string                `json:"reference"`
	TokenID     *int64                `json:"token_id"`
	Before      models.StockSnapshot  `json:"before"`
	After       models.StockSnapshot  `json:"after"`
}

func rowOf(e models.StockEvent) eventRow {
	ids := []int64(e.MovementIDs)
	if ids == nil {
		ids = []int64{}
	}
	return eventRow{
		Type: e.Type, ItemID: e.ItemID, VariantID: e.VariantID, ProductID: e.ProductID, LocationID: e.LocationID,
		OperationID: e.OperationID, MovementIDs: ids, Reason: e.Reason, Reference: e.Reference, TokenID: e.TokenID,
		Before: e.Before, After: e.After,
	}
}

// Read returns up to limit of the store's events past after that match f,
// in order, and the horizon: the position up to which the store's events
// are final. Every event returned lies below it, and an event not yet
// returned will lie above after. Readers resume from the last event's
// position, or from the horizon when there was none, so that a filter
// matching nothing still moves on.
func Read(ctx context.Context, db *gorm.DB, storeID int64, f Filter, after Position, limit int) ([]models.StockEvent, Position, error) {
	horizon, err := Horizon(ctx, db)
	if err != nil {
		return nil, Position{}, err
	}
	// The horizon comes first: every transaction below it had ended before
	// the rows are read, so the read sees all of their events.
	evs, err := readBelow(ctx, db, storeID, f, after, horizon, limit)
	return evs, horizon, err
}

// Horizon is the position below which events are final: that of the
// oldest transaction still running.
func Horizon(ctx context.Context, db *gorm.DB) (Position, error) {
	var xmin string
	if err := db.WithContext(ctx).Raw("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").Scan(&xmin).Error; err != nil {
		return Position{}, fmt.Errorf("read the event horizon: %w", err)
	}
	n, err := strconv.ParseUint(xmin, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("read the event horizon %q: %w", xmin, err)
	}
	return Position{Xid: n}, nil
}

// columns are stock_events' columns as the model reads them: the xid8 as
// a number.
const columns = `store_id, id, xid::text::bigint AS xid, type, item_id, variant_id, product_id, location_id,
	operation_id, movement_ids, reason, reference, token_id, before, after, created_at`

// readBelow returns the events in (after, horizon).
func readBelow(ctx context.Context, db *gorm.DB, storeID int64, f Filter, after, horizon Position, limit int) ([]models.StockEvent, error) {
	q := db.WithContext(ctx).Model(&models.StockEvent{}).
		Select(columns).
		Where("store_id = ?", storeID).
		Where("(xid, id) > (?::text::xid8, ?)", strconv.FormatUint(after.Xid, 10), after.ID).
		Where("xid < ?::text::xid8", strconv.FormatUint(horizon.Xid, 10))
	if f.VariantIDs != nil {
		q = q.Where("variant_id = ANY(?)", database.Int64s(f.VariantIDs))
	}
	if f.ProductIDs != nil {
		q = q.Where("product_id = ANY(?)", database.Int64s(f.ProductIDs))
	}
	if f.LocationIDs != nil {
		q = q.Where("location_id = ANY(?)", database.Int64s(f.LocationIDs))
	}
	if f.Types != nil {
		types := make(models.StringArray, len(f.Types))
		for i, t := range f.Types {
			types[i] = string(t)
		}
		q = q.Where("type::text = ANY(?)", types)
	}
	var evs []models.StockEvent
	if err := q.Order("xid, id").Limit(limit).Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("read stock events: %w", err)
	}
	return evs, nil
}

// ByIDs returns the store's events with the given IDs, keyed by ID.
func ByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.StockEvent, error) {
	var evs []models.StockEvent
	err := db.WithContext(ctx).Model(&models.StockEvent{}).Select(columns).
		Where("store_id = ? AND id = ANY(?)", storeID, database.Int64s(ids)).Find(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("load stock events: %w", err)
	}
	out := make(map[int64]models.StockEvent, len(evs))
	for _, e := range evs {
		out[e.ID] = e
	}
	return out, nil
}
