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
	// when zero, the store's default location, or the first line's source
	// while the store has none.
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
	if err := validateBatch(moveInput, len(m.Lines), RejectEverything); err != nil {
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
	b := newBatch(ctx, tx, actor, moveInput)
	res, err := b.applyMove(m, nil)
	if err != nil {
		return MoveResult{}, err
	}
	res.BalanceLocationID = m.ReturnBalanceFor
	if res.BalanceLocationID == 0 {
		res.BalanceLocationID = m.Lines[0].FromLocationID
		if d := b.actor.Store.DefaultLocationID; d != nil {
			res.BalanceLocationID = *d
		}
	}
	res.Balances, err = balancesAt(ctx, tx, b.actor.Store.ID, res.BalanceLocationID, b.resolved, uniqueVariants(b.variants))
	return res, err
}

// applyMove resolves, checks and applies the move's lines, all of them
// or none, and records them. products, when given, is each line's
// product, which its variant must belong to (bulkUpdateInventory).
func (b *batch) applyMove(m Move, products []int64) (MoveResult, error) {
	refs := make([]VariantRef, len(m.Lines))
	for i, l := range m.Lines {
		refs[i] = l.Variant
	}
	if err := b.resolve(refs); err != nil {
		return MoveResult{}, err
	}
	b.checkProducts(products, refs)
	// Default the states on a copy: m.Lines is the caller's, and the
	// request hashed for its idempotency key on every attempt.
	lines := withDefaultStates(m.Lines)
	keys := b.moveKeys(lines)
	if err := b.lock(keys); err != nil {
		return MoveResult{}, err
	}
	meta := changeMeta{reason: m.Reason, reference: m.Reference, key: m.IdempotencyKey}
	running, ds, movements := b.applyMoves(lines, meta)
	if err := b.rejected(RejectEverything); err != nil {
		return MoveResult{}, err
	}
	updated, err := applyDeltas(b.ctx, b.tx, b.actor.Store.ID, ds)
	if err != nil {
		return MoveResult{}, err
	}
	if err := setExpectedDates(b.ctx, b.tx, b.actor.Store.ID, lines, b.resolved, running, updated); err != nil {
		return MoveResult{}, err
	}
	items := changedItems(keys, b.locked, updated)
	if err := b.record(movements, changesOf(b.locked, items), meta); err != nil {
		return MoveResult{}, err
	}
	return MoveResult{ChangeResult: ChangeResult{Movements: movements, Items: items}}, nil
}

// checkProducts fails the lines whose variant is not of the line's
// product (when products are given), at the field that named it.
func (b *batch) checkProducts(products []int64, refs []VariantRef) {
	for i, p := range products {
		v := b.variants[i]
		if b.errs.failed(i) || b.products[v] == p {
			continue
		}
		b.fail(i, b.at(i).errorf(apperr.BadUserInput, refField(refs[i]), "SKU %q is a variant of product %d, not of product %d", b.skus[v], b.products[v], p))
	}
}

func withDefaultStates(lines []MoveLine) []MoveLine {
	lines = slices.Clone(lines)
	for i := range lines {
		if lines[i].FromState == "" {
			lines[i].FromState = models.StateOnHand
		}
		if lines[i].ToState == "" {
			lines[i].ToState = models.StateOnHand
		}
	}
	return lines
}

// moveKeys validates the lines and returns the items at their physical
// ends. Lines that failed already are skipped; the others are still
// checked against their stock, so that the error lists every failure.
func (b *batch) moveKeys(lines []MoveLine) []ItemKey {
	var keys []ItemKey
	for i, l := range lines {
		if b.errs.failed(i) {
			continue
		}
		if err := l.validate(b.at(i), b.resolved); err != nil {
			b.fail(i, err)
			continue
		}
		for _, loc := range []int64{l.FromLocationID, l.ToLocationID} {
			if b.locations[loc].Type.IsPhysical() {
				keys = append(keys, ItemKey{b.variants[i], loc})
			}
		}
	}
	return keys
}

// applyMoves applies the lines in order to running copies of the locked
// items, so that each movement records the balance it left and a line
// cannot take what an earlier line of the same move took.
func (b *batch) applyMoves(lines []MoveLine, meta changeMeta) (map[ItemKey]models.InventoryItem, deltas, []models.Movement) {
	running := maps.Clone(b.locked)
	ds := deltas{}
	op := uuid.NewString()
	var movements []models.Movement
	for i, l := range lines {
		if b.errs.failed(i) {
			continue
		}
		mv, err := l.apply(b.at(i), b.variants[i], b.resolved, running, ds, b.actor.Store)
		if err != nil {
			b.fail(i, err)
			continue
		}
		movements = append(movements, meta.stamp(mv, b.actor, op))
	}
	return running, ds, movements
}

// changedItems returns the items the move changed as they are now, each
// once, in the order of keys.
func changedItems(keys []ItemKey, locked map[ItemKey]models.InventoryItem, updated map[int64]models.InventoryItem) []models.InventoryItem {
	var out []models.InventoryItem
	seen := map[int64]bool{}
	for _, k := range keys {
		if it, ok := updated[locked[k].ID]; ok && !seen[it.ID] {
			out, seen[it.ID] = append(out, it), true
		}
	}
	return out
}

func (l MoveLine) validate(at line, r resolved) *apperr.Error {
	from, okFrom := r.locations[l.FromLocationID]
	to, okTo := r.locations[l.ToLocationID]
	switch {
	case !okFrom:
		return at.errorf(apperr.NotFound, "fromLocationId", "no location with ID %d", l.FromLocationID)
	case !okTo:
		return at.errorf(apperr.NotFound, "toLocationId", "no location with ID %d", l.ToLocationID)
	case l.Quantity < 1 || l.Quantity > MaxLevel:
		return at.errorf(apperr.BadUserInput, "quantity", "quantity must be between 1 and %d, got %d", MaxLevel, l.Quantity)
	case !from.Type.IsPhysical() && !to.Type.IsPhysical():
		return at.errorf(apperr.BadUserInput, "toLocationId", "moves between two virtual locations (%s to %s) change no stock", from.Type, to.Type)
	case l.FromLocationID == l.ToLocationID && l.FromState == l.ToState:
		return at.errorf(apperr.BadUserInput, "toLocationId", "moves from %s at location %d to the same place", l.FromState, l.FromLocationID)
	case l.ExpectedAt != nil && l.ToState != models.StateIncoming:
		return at.errorf(apperr.BadUserInput, "expectedAt", "expectedAt goes with moves to INCOMING")
	}
	if err := checkEnd(at, from, l.FromState, "fromState"); err != nil {
		return err
	}
	return checkEnd(at, to, l.ToState, "toState")
}

// checkEnd checks the state at one end of a move: a physical location
// moves its movable states, a virtual one only ON_HAND.
func checkEnd(at line, loc models.Location, state models.QuantityState, field string) *apperr.Error {
	if loc.Type.IsPhysical() && !slices.Contains(movableStates, state) {
		return at.errorf(apperr.BadUserInput, field, "moves change ON_HAND, DAMAGED, QUALITY_CONTROL or INCOMING, not %s", state)
	}
	if !loc.Type.IsPhysical() && state != models.StateOnHand {
		return at.errorf(apperr.BadUserInput, field, "a virtual location has no %s state", state)
	}
	return nil
}

// apply moves one line's units between the running items and returns the
// movement, with the balances left at its physical ends.
func (l MoveLine) apply(at line, variant int64, r resolved, running map[ItemKey]models.InventoryItem, ds deltas, store models.Store) (models.Movement, *apperr.Error) {
	mv := models.Movement{VariantID: variant, FromLocationID: l.FromLocationID, FromState: l.FromState,
		ToLocationID: l.ToLocationID, ToState: l.ToState, Quantity: l.Quantity}
	if r.locations[l.FromLocationID].Type.IsPhysical() {
		k := ItemKey{variant, l.FromLocationID}
		it := running[k]
		if err := checkQuantityTracked(at, it, "fromLocationId", r.where(variant, l.FromLocationID)); err != nil {
			return mv, err
		}
		left := level(it, l.FromState) - l.Quantity
		if left < 0 && (l.FromState != models.StateOnHand || !store.AllowNegativeStock) {
			return mv, at.errorf(apperr.NegativeStock, "quantity", "%s has %d %s; cannot move %d",
				r.where(variant, l.FromLocationID), level(it, l.FromState), l.FromState, l.Quantity).
				With("available", level(it, l.FromState)).With("variantId", variant).With("locationId", l.FromLocationID)
		}
		if err := checkLevel(at, "quantity", l.FromState, left); err != nil {
			return mv, err
		}
		running[k] = shift(it, l.FromState, -l.Quantity)
		ds.add(it.ID, l.FromState, -l.Quantity)
		mv.FromBalance = &left
	}
	if r.locations[l.ToLocationID].Type.IsPhysical() {
		k := ItemKey{variant, l.ToLocationID}
		it := running[k]
		if err := checkQuantityTracked(at, it, "toLocationId", r.where(variant, l.ToLocationID)); err != nil {
			return mv, err
		}
		now := level(it, l.ToState) + l.Quantity
		if err := checkLevel(at, "quantity", l.ToState, now); err != nil {
			return mv, err
		}
		running[k] = shift(it, l.ToState, l.Quantity)
		ds.add(it.ID, l.ToState, l.Quantity)
		mv.ToBalance = &now
	}
	return mv, nil
}

// shift returns the item with n more units in state.
func shift(it models.InventoryItem, s models.QuantityState, n int) models.InventoryItem {
	*it.Quantity(s) += n
	return it
}

// setExpectedDates keeps each item's nextIncomingAt at the earliest date
// of the incoming units added to it, unless the move left none incoming
// there, and puts the items as they are now into updated. items are the
// items after the move.
func setExpectedDates(ctx context.Context, tx *gorm.DB, storeID int64, lines []MoveLine, r resolved, items map[ItemKey]models.InventoryItem, updated map[int64]models.InventoryItem) error {
	earliest := map[int64]time.Time{}
	for i, l := range lines {
		if l.ExpectedAt == nil || l.ToState != models.StateIncoming {
			continue
		}
		it := items[ItemKey{r.variants[i], l.ToLocationID}]
		if it.Incoming == 0 {
			continue
		}
		if t, ok := earliest[it.ID]; !ok || l.ExpectedAt.Before(t) {
			earliest[it.ID] = *l.ExpectedAt
		}
	}
	for id, at := range earliest { // rare and few: one statement per item
		rows, err := tx.WithContext(ctx).Raw(`UPDATE inventory_items i SET next_incoming_at = LEAST(coalesce(i.next_incoming_at, ?), ?)
			WHERE i.store_id = ? AND i.id = ? RETURNING `+itemColumns, at, at, storeID, id).Rows()
		if err != nil {
			return fmt.Errorf("set expected date: %w", err)
		}
		items, err := scanItems(rows)
		if err != nil || len(items) != 1 {
			return fmt.Errorf("set expected date of item %d: %d rows, %v", id, len(items), err)
		}
		updated[id] = items[0]
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
