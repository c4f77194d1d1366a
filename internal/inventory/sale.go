package inventory

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/ledger"
	"stockgraph/models"
)

// A Sale is the stock side of an order step (allocate, fulfil, release,
// reserve): the orders package decides which units move, and a Sale
// resolves the lines' variants, locks their items in the one global order
// and records the shifts with their movements and events, through the
// same steps as every other stock write. It lives inside the caller's
// transaction.
type Sale struct{ b *batch }

// salesInput is the lines of an order or reservation input.
var salesInput = input{path: "lines", noun: "line"}

// StartSale resolves the lines' variants (a line that names none it can
// find fails, see Failed) and reads the store and its locations inside tx.
func StartSale(ctx context.Context, tx *gorm.DB, actor Actor, refs []VariantRef) (*Sale, error) {
	return startSale(ctx, tx, actor, refs, salesInput)
}

// StartSaleOf is StartSale for an input that names at most one variant by
// fields of its own (variantId, sku): an error names that field, with no
// line.
func StartSaleOf(ctx context.Context, tx *gorm.DB, actor Actor, ref *VariantRef) (*Sale, error) {
	var refs []VariantRef
	if ref != nil {
		refs = []VariantRef{*ref}
	}
	return startSale(ctx, tx, actor, refs, input{})
}

func startSale(ctx context.Context, tx *gorm.DB, actor Actor, refs []VariantRef, in input) (*Sale, error) {
	b := newBatch(ctx, tx, actor, in)
	if err := b.resolve(refs); err != nil {
		return nil, err
	}
	return &Sale{b: b}, nil
}

// Store is the store as the sale's transaction reads it (its switches).
func (s *Sale) Store() models.Store { return s.b.actor.Store }

// Variant returns line i's variant and its SKU; ok is false when the line
// failed.
func (s *Sale) Variant(i int) (id int64, sku string, ok bool) {
	if s.b.errs.failed(i) || i >= len(s.b.variants) || s.b.variants[i] == 0 {
		return 0, "", false
	}
	id = s.b.variants[i]
	return id, s.b.skus[id], true
}

// Location returns one of the store's locations.
func (s *Sale) Location(id int64) (models.Location, bool) {
	loc, ok := s.b.locations[id]
	return loc, ok
}

// Where names a variant at a location the way a merchant knows them.
func (s *Sale) Where(variantID, locationID int64) string { return s.b.where(variantID, locationID) }

// Fail records line i's problem; the message starts "line i: ", and field
// is the path within the line ("quantity").
func (s *Sale) Fail(i int, err *apperr.Error, field string) {
	at := s.b.at(i)
	e := at.errorf(err.Code, field, "%s", err.Message)
	for k, v := range err.Extensions() {
		if k != "code" && k != "field" && k != "index" {
			e = e.With(k, v)
		}
	}
	s.b.fail(i, e)
}

// Failed reports whether line i failed.
func (s *Sale) Failed(i int) bool { return s.b.errs.failed(i) }

// Errors returns the failed lines' errors in line order (none: empty).
func (s *Sale) Errors() apperr.List { return s.b.errs.list() }

// Lock locks the existing items of the keys, in ID order, as every stock
// write does, so that sales touching the same items in any order wait for
// each other instead of deadlocking. Missing items are not created: they
// hold nothing to sell.
func (s *Sale) Lock(keys []ItemKey) (map[ItemKey]models.InventoryItem, error) {
	locked, err := lockExisting(s.b.ctx, s.b.tx, s.b.actor.Store.ID, keys)
	if err != nil {
		return nil, err
	}
	if s.b.locked == nil {
		s.b.locked = map[ItemKey]models.InventoryItem{}
	}
	maps.Copy(s.b.locked, locked)
	return locked, nil
}

// Shift moves Quantity units of a variant at a location from one state to
// another. An empty state is the store's SOLD location, in the other
// end's state: From "" To COMMITTED commits units to an order, From
// ON_HAND To "" ships them, From BACKORDERED To COMMITTED turns a
// backorder into stock held for its order.
type Shift struct {
	VariantID, LocationID int64
	From, To              models.QuantityState
	Quantity              int
	// Step is the event the shift emits for its item (ALLOCATED,
	// BACKORDERED, ...), besides the transitions the change causes.
	Step models.StockEventType
}

// Record applies the shifts to their locked items and writes their
// movements and events; it returns the items as they are now. Reason and
// reference are the ledger's and the events'.
func (s *Sale) Record(shifts []Shift, reason, reference, key string) (map[ItemKey]models.InventoryItem, []models.Movement, error) {
	b := s.b
	virtual, err := ledger.VirtualOf(slices.Collect(maps.Values(b.locations)))
	if err != nil {
		return nil, nil, err
	}
	meta := changeMeta{reason: reason, reference: reference, key: key}
	op := uuid.NewString()
	running := maps.Clone(b.locked)
	ds := deltas{}
	steps := map[ItemKey][]models.StockEventType{}
	var order []ItemKey
	var movements []models.Movement
	for _, sh := range shifts {
		k := ItemKey{sh.VariantID, sh.LocationID}
		it, ok := running[k]
		switch {
		case sh.Quantity <= 0:
			continue
		case !ok:
			return nil, nil, fmt.Errorf("shift of variant %d at location %d: its item is not locked", sh.VariantID, sh.LocationID)
		case sh.From == "" && sh.To == "":
			return nil, nil, fmt.Errorf("shift of variant %d at location %d names no state", sh.VariantID, sh.LocationID)
		}
		mv := shiftMovement(&it, sh, virtual.Of(models.LocationSold), ds)
		movements = append(movements, meta.stamp(mv, b.actor, op))
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
		running[k] = it
		if sh.Step != "" && !slices.Contains(steps[k], sh.Step) {
			steps[k] = append(steps[k], sh.Step)
		}
	}
	return s.write(order, ds, steps, movements, meta)
}

// shiftMovement applies a shift to the item (its running levels) and the
// deltas, and returns its movement with the balances after it.
func shiftMovement(it *models.InventoryItem, sh Shift, sold int64, ds deltas) models.Movement {
	mv := models.Movement{VariantID: sh.VariantID, Quantity: sh.Quantity,
		FromLocationID: sold, ToLocationID: sold, FromState: sh.To, ToState: sh.From}
	if sh.From != "" {
		*it.Quantity(sh.From) -= sh.Quantity
		ds.add(it.ID, sh.From, -sh.Quantity)
		balance := *it.Quantity(sh.From)
		mv.FromLocationID, mv.FromState, mv.FromBalance = sh.LocationID, sh.From, &balance
	}
	if sh.To != "" {
		*it.Quantity(sh.To) += sh.Quantity
		ds.add(it.ID, sh.To, sh.Quantity)
		balance := *it.Quantity(sh.To)
		mv.ToLocationID, mv.ToState, mv.ToBalance = sh.LocationID, sh.To, &balance
	}
	return mv
}

// write applies the deltas and records the movements and the events of
// each item (its transitions, then its steps), in one statement
// (batch.write).
func (s *Sale) write(order []ItemKey, ds deltas, steps map[ItemKey][]models.StockEventType, movements []models.Movement, meta changeMeta) (
	map[ItemKey]models.InventoryItem, []models.Movement, error) {
	b := s.b
	now := make(map[ItemKey]models.InventoryItem, len(order))
	changes := make([]itemChange, 0, len(order))
	for _, k := range order {
		before := b.locked[k]
		now[k] = ds.appliedTo(before)
		changes = append(changes, itemChange{before: before, after: now[k], steps: steps[k]})
	}
	stamps, err := b.write(ds, movements, changes, meta)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range order {
		if st, ok := stamps[now[k].ID]; ok {
			now[k] = st.onto(now[k])
		}
		b.locked[k] = now[k]
	}
	return now, movements, nil
}
