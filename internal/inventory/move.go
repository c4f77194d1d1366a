package inventory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/ledger"
	"stockgraph/models"
)

// MoveLine moves Quantity units of a variant from one location and state
// to another: between physical locations, in from a supplier, out to sold
// or the shrinkage bin, or between states at one location (available to
// damaged, say). States default to ON_HAND.
type MoveLine struct {
	Variant        VariantRef
	FromLocationID int64
	ToLocationID   int64
	FromState      models.QuantityState
	ToState        models.QuantityState
	Quantity       int
	// ExpectedAt is when incoming units are expected (moves to INCOMING).
	ExpectedAt *time.Time
}

// Move is several movements applied together (Zettle's inventory update).
type Move struct {
	Lines          []MoveLine
	Reason         string
	Reference      string
	IdempotencyKey string `json:"-"`
	// ReturnBalanceFor is the location whose balances the result reports;
	// the first line's source when zero.
	ReturnBalanceFor int64
}

// Balance is a variant's on-hand level at a location.
type Balance struct {
	VariantID    int64
	LocationID   int64
	LocationType models.LocationType
	OnHand       int
}

// MoveResult is what a move changed, with the balances asked for.
type MoveResult struct {
	ChangeResult
	BalanceLocationID int64
	Balances          []Balance
}

// movableStates are the states a physical location holds that moves may
// change; backorders, commitments and preorders change through orders.
var movableStates = []models.QuantityState{models.StateOnHand, models.StateDamaged, models.StateQualityControl, models.StateIncoming}

// MoveStock applies all the lines of a move in one transaction, or none.
func MoveStock(ctx context.Context, db *gorm.DB, actor Actor, m Move) (MoveResult, error) {
	if err := validateBatch(len(m.Lines), RejectEverything); err != nil {
		return MoveResult{}, err
	}
	if m.Reason == "" {
		m.Reason = "move"
	}
	if err := checkTexts(maxShortText, "reason", m.Reason, "reference", m.Reference); err != nil {
		return MoveResult{}, err
	}
	res, replayed, err := runBatch(ctx, db, actor.Store.ID, m.IdempotencyKey, "moveInventory", m, false, func(tx *gorm.DB) (MoveResult, error) {
		return move(ctx, tx, actor, m)
	})
	res.Replayed = replayed
	return res, err
}

func move(ctx context.Context, tx *gorm.DB, actor Actor, m Move) (MoveResult, error) {
	storeID := actor.Store.ID
	var errs lineErrors
	refs := make([]VariantRef, len(m.Lines))
	for i, l := range m.Lines {
		refs[i] = l.Variant
	}
	r, err := resolve(ctx, tx, storeID, refs, "changes.variantId", &errs)
	if err != nil {
		return MoveResult{}, err
	}
	actor.Store = r.store
	// Default the states on a copy: m.Lines is the caller's, and the
	// request hashed for its idempotency key on every attempt.
	m.Lines = slices.Clone(m.Lines)
	var keys []itemKey
	for i := range m.Lines {
		l := &m.Lines[i]
		if l.FromState == "" {
			l.FromState = models.StateOnHand
		}
		if l.ToState == "" {
			l.ToState = models.StateOnHand
		}
		if err := l.validate(i, r); err != nil {
			errs.add(i, err)
			continue
		}
		for _, loc := range []int64{l.FromLocationID, l.ToLocationID} {
			if r.locations[loc].Type.IsPhysical() && r.variants[i] != 0 {
				keys = append(keys, itemKey{r.variants[i], loc})
			}
		}
	}
	// Lines that failed already are skipped below; the others are still
	// checked against their stock, so that the error lists every failure.
	locked, err := lockItems(ctx, tx, storeID, keys)
	if err != nil {
		return MoveResult{}, err
	}
	// Apply the lines in order to running copies of the locked items, so
	// that each movement records the balance it left and a line cannot
	// take what an earlier line of the same move took.
	running := maps.Clone(locked)
	deltas := map[int64]delta{}
	op := uuid.NewString()
	var res MoveResult
	for i, l := range m.Lines {
		if errs.failed(i) {
			continue
		}
		mv, err := l.apply(i, r.variants[i], r, running, deltas, actor.Store)
		if err != nil {
			errs.add(i, err)
			continue
		}
		res.Movements = append(res.Movements, stamp(mv, actor, op, m))
	}
	if errs.any() {
		return MoveResult{}, errs.list().Err()
	}
	updated, err := applyDeltas(ctx, tx, storeID, deltas)
	if err != nil {
		return MoveResult{}, err
	}
	if err := setExpectedDates(ctx, tx, storeID, m.Lines, r, running, updated); err != nil {
		return MoveResult{}, err
	}
	if err := ledger.Append(ctx, tx, res.Movements); err != nil {
		return MoveResult{}, err
	}
	for _, k := range keys {
		if it, ok := updated[running[k].ID]; ok && !slices.ContainsFunc(res.Items, func(x models.InventoryItem) bool { return x.ID == it.ID }) {
			res.Items = append(res.Items, it)
		}
	}
	res.BalanceLocationID = m.ReturnBalanceFor
	if res.BalanceLocationID == 0 {
		res.BalanceLocationID = m.Lines[0].FromLocationID
	}
	res.Balances, err = balancesAt(ctx, tx, storeID, res.BalanceLocationID, r, uniqueVariants(r.variants))
	return res, err
}

func (l MoveLine) validate(i int, r resolved) *apperr.Error {
	from, okFrom := r.locations[l.FromLocationID]
	to, okTo := r.locations[l.ToLocationID]
	switch {
	case !okFrom:
		return apperr.New(apperr.NotFound, "change %d: no location with ID %d", i, l.FromLocationID).WithField("changes.fromLocationId")
	case !okTo:
		return apperr.New(apperr.NotFound, "change %d: no location with ID %d", i, l.ToLocationID).WithField("changes.toLocationId")
	case l.Quantity < 1 || l.Quantity > MaxLevel:
		return apperr.New(apperr.BadUserInput, "change %d: quantity must be between 1 and %d, got %d", i, MaxLevel, l.Quantity).WithField("changes.quantity")
	case !from.Type.IsPhysical() && !to.Type.IsPhysical():
		return apperr.New(apperr.BadUserInput, "change %d: moves between two virtual locations (%s to %s) change no stock", i, from.Type, to.Type).WithField("changes.toLocationId")
	case l.FromLocationID == l.ToLocationID && l.FromState == l.ToState:
		return apperr.New(apperr.BadUserInput, "change %d moves from %s at location %d to the same place", i, l.FromState, l.FromLocationID).WithField("changes.toLocationId")
	}
	for _, end := range []struct {
		loc   models.Location
		state models.QuantityState
		field string
	}{{from, l.FromState, "changes.fromState"}, {to, l.ToState, "changes.toState"}} {
		if end.loc.Type.IsPhysical() && !slices.Contains(movableStates, end.state) {
			return apperr.New(apperr.BadUserInput, "change %d: moves change ON_HAND, DAMAGED, QUALITY_CONTROL or INCOMING, not %s", i, end.state).WithField(end.field)
		}
		if !end.loc.Type.IsPhysical() && end.state != models.StateOnHand {
			return apperr.New(apperr.BadUserInput, "change %d: a virtual location has no %s state", i, end.state).WithField(end.field)
		}
	}
	if l.ExpectedAt != nil && l.ToState != models.StateIncoming {
		return apperr.New(apperr.BadUserInput, "change %d: expectedAt goes with moves to INCOMING", i).WithField("changes.expectedAt")
	}
	return nil
}

// apply moves one line's units between the running items and returns the
// movement, with the balances left at its physical ends.
func (l MoveLine) apply(i int, variant int64, r resolved, running map[itemKey]models.InventoryItem, deltas map[int64]delta, store models.Store) (models.Movement, *apperr.Error) {
	mv := models.Movement{VariantID: variant, FromLocationID: l.FromLocationID, FromState: l.FromState,
		ToLocationID: l.ToLocationID, ToState: l.ToState, Quantity: l.Quantity}
	if r.locations[l.FromLocationID].Type.IsPhysical() {
		k := itemKey{variant, l.FromLocationID}
		it := running[k]
		left := level(it, l.FromState) - l.Quantity
		if left < 0 && (l.FromState != models.StateOnHand || !store.AllowNegativeStock) {
			return mv, apperr.New(apperr.NegativeStock, "change %d: %s has %d %s; cannot move %d",
				i, r.where(variant, l.FromLocationID), level(it, l.FromState), l.FromState, l.Quantity).WithField("changes.quantity").
				With("available", level(it, l.FromState)).With("variantId", variant).With("locationId", l.FromLocationID)
		}
		if err := checkLevel(i, "changes.quantity", l.FromState, left); err != nil {
			return mv, err
		}
		running[k] = shift(it, l.FromState, -l.Quantity)
		d := deltas[it.ID]
		d.add(l.FromState, -l.Quantity)
		deltas[it.ID] = d
		mv.FromBalance = &left
	}
	if r.locations[l.ToLocationID].Type.IsPhysical() {
		k := itemKey{variant, l.ToLocationID}
		it := running[k]
		now := level(it, l.ToState) + l.Quantity
		if err := checkLevel(i, "changes.quantity", l.ToState, now); err != nil {
			return mv, err
		}
		running[k] = shift(it, l.ToState, l.Quantity)
		d := deltas[it.ID]
		d.add(l.ToState, l.Quantity)
		deltas[it.ID] = d
		mv.ToBalance = &now
	}
	return mv, nil
}

// shift returns the item with n more units in state.
func shift(it models.InventoryItem, s models.QuantityState, n int) models.InventoryItem {
	*quantityOf(&it, s) += n
	return it
}

func stamp(mv models.Movement, actor Actor, op string, m Move) models.Movement {
	mv.StoreID, mv.OperationID, mv.Reason, mv.Reference = actor.Store.ID, op, m.Reason, m.Reference
	if m.IdempotencyKey != "" {
		mv.IdempotencyKey = &m.IdempotencyKey
	}
	if actor.TokenID != 0 {
		mv.TokenID = &actor.TokenID
	}
	return mv
}

// setExpectedDates keeps each item's nextIncomingAt at the earliest date
// of the incoming units added to it, unless the move left none incoming
// there, and puts the items as they are now into updated. items are the
// items after the move.
func setExpectedDates(ctx context.Context, tx *gorm.DB, storeID int64, lines []MoveLine, r resolved, items map[itemKey]models.InventoryItem, updated map[int64]models.InventoryItem) error {
	earliest := map[int64]time.Time{}
	for i, l := range lines {
		if l.ExpectedAt == nil || l.ToState != models.StateIncoming {
			continue
		}
		it := items[itemKey{r.variants[i], l.ToLocationID}]
		if it.Incoming == 0 {
			continue
		}
		if t, ok := earliest[it.ID]; !ok || l.ExpectedAt.Before(t) {
			earliest[it.ID] = *l.ExpectedAt
		}
	}
	for id, at := range earliest { // rare and few: one statement per item
		var it models.InventoryItem
		err := tx.WithContext(ctx).Raw(`UPDATE inventory_items SET next_incoming_at = LEAST(coalesce(next_incoming_at, ?), ?)
			WHERE store_id = ? AND id = ? RETURNING *`, at, at, storeID, id).Scan(&it).Error
		if err != nil {
			return fmt.Errorf("set expected date: %w", err)
		}
		updated[id] = it
	}
	return nil
}

func uniqueVariants(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// balancesAt returns the variants' on-hand levels at a location: the
// items' levels at a physical location, the ledger's at a virtual one.
func balancesAt(ctx context.Context, tx *gorm.DB, storeID, locationID int64, r resolved, variants []int64) ([]Balance, error) {
	loc, ok := r.locations[locationID]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no location with ID %d", locationID).WithField("returnBalanceForLocationId")
	}
	var rows []Balance
	var err error
	if loc.Type.IsPhysical() {
		err = tx.WithContext(ctx).Raw(`SELECT v.id AS variant_id, ?::bigint AS location_id, coalesce(i.on_hand, 0) AS on_hand
			FROM unnest(?::bigint[]) AS v(id)
			LEFT JOIN inventory_items i ON i.store_id = ? AND i.variant_id = v.id AND i.location_id = ?
			ORDER BY v.id`, locationID, database.Int64s(variants), storeID, locationID).Scan(&rows).Error
	} else {
		err = tx.WithContext(ctx).Raw(`SELECT v.id AS variant_id, ?::bigint AS location_id,
				coalesce((SELECT sum(CASE WHEN m.to_location_id = ? THEN m.quantity ELSE -m.quantity END)
					FROM inventory_movements m WHERE m.store_id = ? AND m.variant_id = v.id
					AND (m.to_location_id = ? OR m.from_location_id = ?) AND m.from_state = 'ON_HAND' AND m.to_state = 'ON_HAND'), 0) AS on_hand
			FROM unnest(?::bigint[]) AS v(id) ORDER BY v.id`,
			locationID, locationID, storeID, locationID, locationID, database.Int64s(variants)).Scan(&rows).Error
	}
	if err != nil {
		return nil, fmt.Errorf("balances at location %d: %w", locationID, err)
	}
	for i := range rows {
		rows[i].LocationType = loc.Type
	}
	return rows, nil
}
