// Package ledger owns the movement ledger: every change of every quantity
// is a movement of units from one location and quantity state to another,
// appended in the same transaction as the change. Levels can be recomputed
// from the ledger at any time, now or as of a moment in the past, and the
// consistency report compares the two.
package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// Virtual holds the IDs of a store's virtual locations, the far ends of
// movements that come from or go to outside the store.
type Virtual struct {
	Supplier, Sold, Bin int64
}

// Of returns the ID of the virtual location of a type.
func (v Virtual) Of(t models.LocationType) int64 {
	switch t {
	case models.LocationSupplier:
		return v.Supplier
	case models.LocationSold:
		return v.Sold
	case models.LocationBin:
		return v.Bin
	}
	return 0
}

// VirtualOf finds the virtual locations among a store's locations, by
// type: each store has exactly one of each (migration 00003), whatever its
// code says.
func VirtualOf(locations []models.Location) (Virtual, error) {
	var v Virtual
	for _, l := range locations {
		switch l.Type {
		case models.LocationSupplier:
			v.Supplier = l.ID
		case models.LocationSold:
			v.Sold = l.ID
		case models.LocationBin:
			v.Bin = l.ID
		}
	}
	if v.Supplier == 0 || v.Sold == 0 || v.Bin == 0 {
		return v, fmt.Errorf("the store lacks its virtual locations SUPPLIER, SOLD and BIN")
	}
	return v, nil
}

// VirtualLocations loads the store's virtual locations.
func VirtualLocations(ctx context.Context, tx *gorm.DB, storeID int64) (Virtual, error) {
	var rows []models.Location
	err := tx.WithContext(ctx).Select("id", "type").
		Where("store_id = ? AND type IN ?", storeID, []models.LocationType{models.LocationSupplier, models.LocationSold, models.LocationBin}).
		Find(&rows).Error
	if err != nil {
		return Virtual{}, fmt.Errorf("load virtual locations: %w", err)
	}
	v, err := VirtualOf(rows)
	if err != nil {
		return v, fmt.Errorf("store %d: %w", storeID, err)
	}
	return v, nil
}

// Append writes movements in one statement and fills in their IDs and times.
func Append(ctx context.Context, tx *gorm.DB, movements []models.Movement) error {
	if len(movements) == 0 {
		return nil
	}
	payload, err := Encode(movements)
	if err != nil {
		return err
	}
	rows, err := tx.WithContext(ctx).Raw("WITH mv AS ("+InsertSQL("$1")+") "+ReturnedSQL("mv"), payload).Rows()
	if err != nil {
		return fmt.Errorf("append %d movements to the ledger: %w", len(movements), err)
	}
	return ScanReturned(rows, movements)
}

// movementRow is a movement as InsertSQL reads it, one element of a JSON
// array.
type movementRow struct {
	StoreID        int64                `json:"store_id"`
	OperationID    string               `json:"operation_id"`
	VariantID      int64                `json:"variant_id"`
	FromLocationID int64                `json:"from_location_id"`
	FromState      models.QuantityState `json:"from_state"`
	ToLocationID   int64                `json:"to_location_id"`
	ToState        models.QuantityState `json:"to_state"`
	Quantity       int                  `json:"quantity"`
	Reason         string               `json:"reason"`
	Reference      string               `json:"reference"`
	IdempotencyKey *string              `json:"idempotency_key"`
	TokenID        *int64               `json:"token_id"`
	FromBalance    *int                 `json:"from_balance"`
	ToBalance      *int                 `json:"to_balance"`
}

// Encode encodes movements as InsertSQL reads them: a JSON array.
func Encode(movements []models.Movement) (string, error) {
	rows := make([]movementRow, len(movements))
	for i, m := range movements {
		rows[i] = movementRow{m.StoreID, m.OperationID, m.VariantID, m.FromLocationID, m.FromState, m.ToLocationID, m.ToState,
			m.Quantity, m.Reason, m.Reference, m.IdempotencyKey, m.TokenID, m.FromBalance, m.ToBalance}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("encode movements: %w", err)
	}
	return string(b), nil
}

// InsertSQL inserts the movements of the JSON array (Encode) in the
// parameter rows, for a data-modifying CTE that returns each movement's
// ID, time, operation, variant and ends, so that a statement can write what refers
// to them (stock events) in the same round trip.
func InsertSQL(rows string) string {
	return `INSERT INTO inventory_movements (store_id, operation_id, variant_id, from_location_id, from_state,
    to_location_id, to_state, quantity, reason, reference, idempotency_key, token_id, from_balance, to_balance)
  SELECT r.store_id, r.operation_id, r.variant_id, r.from_location_id, r.from_state, r.to_location_id, r.to_state,
    r.quantity, r.reason, r.reference, r.idempotency_key, r.token_id, r.from_balance, r.to_balance
  FROM jsonb_to_recordset(` + rows + `::jsonb) AS r(store_id bigint, operation_id uuid, variant_id bigint,
    from_location_id bigint, from_state quantity_state, to_location_id bigint, to_state quantity_state, quantity integer,
    reason text, reference text, idempotency_key text, token_id bigint, from_balance integer, to_balance integer)
  RETURNING id, created_at, operation_id, variant_id, from_location_id, to_location_id`
}

// ReturnedSQL selects the IDs and times of the movements the CTE of
// InsertSQL wrote, in the order they were sent: identities are drawn in
// the order rows are inserted.
func ReturnedSQL(cte string) string {
	return "SELECT id, created_at FROM " + cte + " ORDER BY id"
}

// ScanReturned fills in the movements' IDs and times from ReturnedSQL's
// rows, and closes them.
func ScanReturned(rows *sql.Rows, movements []models.Movement) error {
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		if i == len(movements) {
			return fmt.Errorf("append movements: more rows returned than the %d sent", len(movements))
		}
		if err := rows.Scan(&movements[i].ID, &movements[i].CreatedAt); err != nil {
			return fmt.Errorf("append movements: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("append movements: %w", err)
	}
	if i != len(movements) {
		return fmt.Errorf("append movements: %d rows returned for the %d sent", i, len(movements))
	}
	return nil
}

// RecordOpeningBalances writes, for items whose quantities were set
// without the ledger (seeding), the movements that bring them there: a
// level above zero comes from its state's virtual source, one below zero
// went to its state's virtual sink (models.QuantityColumns).
func RecordOpeningBalances(ctx context.Context, tx *gorm.DB, storeID int64) error {
	err := tx.WithContext(ctx).Exec(`
		INSERT INTO inventory_movements (store_id, operation_id, variant_id, from_location_id, from_state,
			to_location_id, to_state, quantity, reason, from_balance, to_balance)
		SELECT i.store_id, gen_random_uuid(), i.variant_id,
		       CASE WHEN s.quantity > 0 THEN src.id ELSE i.location_id END, s.state,
		       CASE WHEN s.quantity > 0 THEN i.location_id ELSE dst.id END, s.state,
		       abs(s.quantity), 'opening_balance',
		       CASE WHEN s.quantity < 0 THEN s.quantity END, CASE WHEN s.quantity > 0 THEN s.quantity END
		FROM inventory_items i
		CROSS JOIN LATERAL (VALUES `+openingValues+`) AS s(state, quantity, source, sink, ord)
		JOIN locations src ON src.store_id = i.store_id AND src.type = s.source
		JOIN locations dst ON dst.store_id = i.store_id AND dst.type = s.sink
		WHERE i.store_id = @store AND s.quantity <> 0
		ORDER BY i.id, s.ord`,
		map[string]any{"store": storeID}).Error
	if err != nil {
		return fmt.Errorf("record opening balances: %w", err)
	}
	return nil
}

// stateValues is a VALUES list of every quantity state with its column of
// inventory_items i, in QuantityColumns' order:
// ('ON_HAND'::quantity_state, i.on_hand), ...; extra adds columns.
func stateValues(extra func(models.QuantityColumn) string) string {
	rows := make([]string, len(models.QuantityColumns))
	for n, q := range models.QuantityColumns {
		rows[n] = fmt.Sprintf("('%s'::quantity_state, i.%s%s)", q.State, q.Column, extra(q))
	}
	return strings.Join(rows, ", ")
}

// openingValues adds each state's virtual source and sink and its order.
var openingValues = stateValues(func(q models.QuantityColumn) string {
	return fmt.Sprintf(", '%s'::location_type, '%s'::location_type, %d", q.From, q.To, ordinal(q.State))
})

func ordinal(s models.QuantityState) int {
	for n, q := range models.QuantityColumns {
		if q.State == s {
			return n
		}
	}
	return -1
}

// Filter narrows a listing of movements.
type Filter struct {
	VariantIDs  []int64
	LocationIDs []int64 // either end
	Reasons     []string
	Reference   string
	From, To    *time.Time // created_at within [From, To)
}

// List returns a page of movements, newest first.
func List(ctx context.Context, db *gorm.DB, storeID int64, f Filter, w page.Window) (page.Page[models.Movement], error) {
	q := db.WithContext(ctx).Model(&models.Movement{}).Where("store_id = ?", storeID)
	// One array parameter per list, as "IN ?" fails past 65,535 values.
	if f.VariantIDs != nil {
		q = q.Where("variant_id = ANY(?)", database.Int64s(f.VariantIDs))
	}
	if f.LocationIDs != nil {
		ids := database.Int64s(f.LocationIDs)
		q = q.Where("(from_location_id = ANY(?) OR to_location_id = ANY(?))", ids, ids)
	}
	if f.Reasons != nil {
		q = q.Where("reason = ANY(?)", models.StringArray(f.Reasons))
	}
	if f.Reference != "" {
		q = q.Where("reference = ?", f.Reference)
	}
	if f.From != nil {
		q = q.Where("created_at >= ?", *f.From)
	}
	if f.To != nil {
		q = q.Where("created_at < ?", *f.To)
	}
	// Newest first: forward pages go down the IDs, backward pages up.
	cmp, dir := w.Order(true)
	if w.From != nil {
		q = q.Where("id "+cmp+" ?", w.From.ID)
	}
	var rows []models.Movement
	if err := q.Order("id " + dir).Limit(w.Limit + 1).Find(&rows).Error; err != nil {
		return page.Page[models.Movement]{}, fmt.Errorf("list movements: %w", err)
	}
	return page.FromRows(rows, w, movementPosition), nil
}

// Level is a quantity of one variant in one state at one location.
type Level struct {
	VariantID  int64
	LocationID int64
	State      models.QuantityState
	Quantity   int
}

// LevelsAsOf recomputes from the ledger every level of the variants as it
// was at the given time (now when at is nil).
func LevelsAsOf(ctx context.Context, db *gorm.DB, storeID int64, variantIDs []int64, at *time.Time) ([]Level, error) {
	var levels []Level
	cutoff := time.Now().Add(time.Hour)
	if at != nil {
		cutoff = *at
	}
	err := db.WithContext(ctx).Raw(`
		SELECT variant_id, location_id, state, sum(quantity) AS quantity FROM (
			SELECT variant_id, to_location_id AS location_id, to_state AS state, quantity
			FROM inventory_movements WHERE store_id = @store AND variant_id IN @variants AND created_at <= @at
			UNION ALL
			SELECT variant_id, from_location_id, from_state, -quantity
			FROM inventory_movements WHERE store_id = @store AND variant_id IN @variants AND created_at <= @at
		) m GROUP BY variant_id, location_id, state`,
		map[string]any{"store": storeID, "variants": variantIDs, "at": cutoff}).Scan(&levels).Error
	if err != nil {
		return nil, fmt.Errorf("levels from the ledger: %w", err)
	}
	return levels, nil
}

// storedValues are the quantity states with their columns.
var storedValues = stateValues(func(models.QuantityColumn) string { return "" })

// Mismatch is an item whose stored level differs from the ledger's.
type Mismatch struct {
	ItemID     int64
	VariantID  int64
	LocationID int64
	State      models.QuantityState
	Stored     int
	Ledger     int
}

// Inconsistencies recomputes every item's levels from the ledger and
// returns the items where a stored level differs. Expected: none.
func Inconsistencies(ctx context.Context, db *gorm.DB, storeID int64) ([]Mismatch, error) {
	var out []Mismatch
	err := db.WithContext(ctx).Raw(`
		WITH ledger AS (
			SELECT variant_id, location_id, state, sum(quantity) AS quantity FROM (
				SELECT variant_id, to_location_id AS location_id, to_state AS state, quantity
				FROM inventory_movements WHERE store_id = @store
				UNION ALL
				SELECT variant_id, from_location_id, from_state, -quantity
				FROM inventory_movements WHERE store_id = @store
			) m GROUP BY 1, 2, 3
		), stored AS (
			SELECT i.id, i.variant_id, i.location_id, s.state, s.quantity
			FROM inventory_items i
			CROSS JOIN LATERAL (VALUES `+storedValues+`) AS s(state, quantity)
			WHERE i.store_id = @store
		)
		SELECT s.id AS item_id, s.variant_id, s.location_id, s.state, s.quantity AS stored, coalesce(l.quantity, 0) AS ledger
		FROM stored s
		LEFT JOIN ledger l ON l.variant_id = s.variant_id AND l.location_id = s.location_id AND l.state = s.state
		WHERE s.quantity <> coalesce(l.quantity, 0)
		UNION ALL
		-- Ledger balances at physical locations with no item at all.
		SELECT 0, l.variant_id, l.location_id, l.state, 0, l.quantity
		FROM ledger l
		JOIN locations loc ON loc.store_id = @store AND loc.id = l.location_id AND loc.type IN ('STORE', 'WAREHOUSE')
		WHERE l.quantity <> 0
		  AND EXISTS (SELECT 1 FROM variants v WHERE v.store_id = @store AND v.id = l.variant_id)
		  AND NOT EXISTS (
			SELECT 1 FROM inventory_items i WHERE i.store_id = @store AND i.variant_id = l.variant_id AND i.location_id = l.location_id)
		ORDER BY 1, 4`, map[string]any{"store": storeID}).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("consistency report: %w", err)
	}
	return out, nil
}

// PagesByItems returns a page of each inventory item's movements (those
// of its variant into or out of its location), newest first, in one
// statement for all the items.
func PagesByItems(ctx context.Context, db *gorm.DB, storeID int64, itemIDs []int64, w page.Window) (map[int64]page.Page[models.Movement], error) {
	cmp, dir := w.Order(true) // newest first
	var cursor int64
	if w.From != nil {
		cursor = w.From.ID
	}
	var rows []struct {
		models.Movement
		PageItem int64
	}
	err := db.WithContext(ctx).Raw(fmt.Sprintf(`
		SELECT m.*, i.id AS page_item
		FROM unnest(?::bigint[]) AS k(id)
		JOIN inventory_items i ON i.store_id = ? AND i.id = k.id
		CROSS JOIN LATERAL (
			SELECT * FROM inventory_movements m
			WHERE m.store_id = i.store_id AND m.variant_id = i.variant_id
			  AND (m.from_location_id = i.location_id OR m.to_location_id = i.location_id)
			  AND (? = 0 OR m.id %s ?)
			ORDER BY m.id %s LIMIT ?
		) m
		ORDER BY i.id, m.id %s`, cmp, dir, dir), database.Int64s(itemIDs), storeID, cursor, cursor, w.Limit+1).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("movements of items: %w", err)
	}
	grouped := map[int64][]models.Movement{}
	for _, r := range rows {
		grouped[r.PageItem] = append(grouped[r.PageItem], r.Movement)
	}
	out := make(map[int64]page.Page[models.Movement], len(itemIDs))
	for _, id := range itemIDs {
		out[id] = page.FromRows(grouped[id], w, movementPosition)
	}
	return out, nil
}

// movementPosition positions a movement by its ID: the ledger is listed
// newest first, which is ID order.
func movementPosition(m models.Movement) page.Position { return page.Position{ID: m.ID} }

// ByIDs returns the store's movements with the given IDs, keyed by ID.
func ByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.Movement, error) {
	var rows []models.Movement
	if err := db.WithContext(ctx).Where("store_id = ? AND id IN ?", storeID, ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load movements: %w", err)
	}
	out := make(map[int64]models.Movement, len(rows))
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}
