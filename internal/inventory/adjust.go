package inventory

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/ledger"
	"stockgraph/models"
)

// Actor is who changes stock: a token of a store. The store's switches
// decide what the change may do.
type Actor struct {
	Store   models.Store
	TokenID int64
}

// ErrorPolicy says what a batch does when some of its items fail.
type ErrorPolicy string

// The error policies (Saleor's stockBulkUpdate).
const (
	// RejectEverything writes nothing when any item fails (the default).
	RejectEverything ErrorPolicy = "REJECT_EVERYTHING"
	// RejectFailedRows writes the items that pass and reports the others.
	RejectFailedRows ErrorPolicy = "REJECT_FAILED_ROWS"
)

// AdjustMode says how an adjustment's quantities are read.
type AdjustMode string

// The adjustment modes (BigCommerce's V3 inventory adjustments).
const (
	Absolute AdjustMode = "ABSOLUTE" // quantities are the new levels
	Relative AdjustMode = "RELATIVE" // quantities are changes to the levels
)

// AdjustLine is one item of an adjustment. Quantity changes on hand,
// QtyBackordered the backordered quantity; at least one is set.
type AdjustLine struct {
	LocationID       int64
	Variant          VariantRef
	Quantity         *int
	QtyBackordered   *int
	ExpectedRevision *int64
}

// Adjustment sets or changes levels of many items at once.
type Adjustment struct {
	Mode           AdjustMode
	Reason         string
	Reference      string
	IdempotencyKey string `json:"-"`
	Lines          []AdjustLine
	Policy         ErrorPolicy
	DryRun         bool
}

// LineResult is what became of one line of a batch.
type LineResult struct {
	Index int
	// Item is the line's item after the change; nil when the line failed.
	Item  *models.InventoryItem
	Error *apperr.Error
}

// ChangeResult is what a batch changed.
type ChangeResult struct {
	// Items are the items of the lines that passed, each once, in line order.
	Items     []models.InventoryItem
	Movements []models.Movement
	Lines     []LineResult
	DryRun    bool
	// Replayed says the result was stored by an earlier request with the
	// same idempotency key, and nothing was changed now.
	Replayed bool
}

// Adjust applies an adjustment in one transaction: all of it, or (with
// RejectFailedRows) all of its lines that pass. Every change of a level is
// written to the ledger in the same transaction.
func Adjust(ctx context.Context, db *gorm.DB, actor Actor, a Adjustment) (ChangeResult, error) {
	if err := a.validate(); err != nil {
		return ChangeResult{}, err
	}
	res, replayed, err := runBatch(ctx, db, actor.Store.ID, a.IdempotencyKey, a.Mode.operation(), a, a.DryRun, func(tx *gorm.DB) (ChangeResult, error) {
		return adjust(ctx, tx, actor, a)
	})
	res.DryRun, res.Replayed = a.DryRun, replayed
	return res, err
}

// operation names the mutation as the schema does, for idempotency keys
// and their messages.
func (m AdjustMode) operation() string {
	if m == Absolute {
		return "adjustInventoryAbsolute"
	}
	return "adjustInventoryRelative"
}

func (a Adjustment) validate() error {
	switch {
	case a.Mode != Absolute && a.Mode != Relative:
		return apperr.New(apperr.BadUserInput, "unknown adjustment mode %q", a.Mode)
	case strings.TrimSpace(a.Reason) == "":
		return apperr.New(apperr.BadUserInput, "an adjustment needs a reason, such as \"stock count\" or \"received goods\"").WithField("reason")
	}
	if err := checkTexts(maxShortText, "reason", a.Reason, "reference", a.Reference); err != nil {
		return err
	}
	return validateBatch(adjustInput, len(a.Lines), a.Policy)
}

func validateBatch(in input, lines int, policy ErrorPolicy) error {
	switch {
	case lines == 0:
		return apperr.New(apperr.BadUserInput, "%s is empty", in.path).WithField(in.path)
	case lines > MaxBatch:
		return apperr.New(apperr.BadUserInput, "at most %d %s per request, got %d", MaxBatch, in.path, lines).WithField(in.path)
	case policy != "" && policy != RejectEverything && policy != RejectFailedRows:
		return apperr.New(apperr.BadUserInput, "unknown error policy %q", policy).WithField("errorPolicy")
	}
	return nil
}

func adjust(ctx context.Context, tx *gorm.DB, actor Actor, a Adjustment) (ChangeResult, error) {
	return adjustWarm(ctx, tx, actor, a, nil)
}

// adjustWarm is adjust. In a coalesced group (w not nil), a request after
// the first takes the variant, store and locations the first read, and
// the item it locked as the last applied request left it, instead of
// reading and locking them again; each applied request leaves them in w.
func adjustWarm(ctx context.Context, tx *gorm.DB, actor Actor, a Adjustment, w *warm) (ChangeResult, error) {
	b, ds, err := planAdjustment(ctx, tx, actor, a, w)
	if err != nil {
		return ChangeResult{}, err
	}
	res, err := b.recordAdjustment(changeMeta{reason: a.Reason, reference: a.Reference, key: a.IdempotencyKey}, ds)
	if err == nil {
		w.keep(b, res)
	}
	return res, err
}

// planAdjustment checks an adjustment's lines against their locked items
// and returns the deltas to write, or the refusal; it writes nothing but
// the items it creates.
func planAdjustment(ctx context.Context, tx *gorm.DB, actor Actor, a Adjustment, w *warm) (*batch, deltas, error) {
	b := newBatch(ctx, tx, actor, adjustInput)
	refs := make([]VariantRef, len(a.Lines))
	for i, l := range a.Lines {
		refs[i] = l.Variant
		b.fail(i, l.validate(b.at(i), a.Mode))
	}
	if err := w.resolve(b, refs); err != nil {
		return nil, nil, err
	}
	b.keyLines(len(a.Lines), func(i int) int64 { return a.Lines[i].LocationID })
	if err := w.lock(b); err != nil {
		return nil, nil, err
	}
	ds := deltas{}
	for i, l := range a.Lines {
		if b.errs.failed(i) {
			continue
		}
		it := b.lockedAt(i)
		lineErr := checkRevision(b.at(i), it, l.ExpectedRevision, b.actor.Store, b.created[b.keys[i]])
		var d map[models.QuantityState]int
		if lineErr == nil {
			d, lineErr = l.delta(b.at(i), it, a.Mode, b.actor.Store, b.where(it.VariantID, it.LocationID))
		}
		b.fail(i, lineErr)
		if lineErr == nil {
			ds[it.ID] = d
		}
	}
	if err := b.rejected(a.Policy); err != nil {
		return nil, nil, err
	}
	return b, ds, nil
}

func (l AdjustLine) validate(at line, mode AdjustMode) *apperr.Error {
	if l.Quantity == nil && l.QtyBackordered == nil {
		return at.errorf(apperr.BadUserInput, "quantity", "changes nothing; give quantity, qtyBackordered or both")
	}
	bound := MaxLevel
	if mode == Relative {
		bound = 2 * MaxLevel
	}
	for _, v := range []struct {
		name  string
		value *int
		low   int
	}{{"quantity", l.Quantity, -bound}, {"qtyBackordered", l.QtyBackordered, -bound}} {
		if v.value == nil {
			continue
		}
		low := v.low
		if mode == Absolute && v.name == "qtyBackordered" {
			low = 0
		}
		if *v.value < low || *v.value > bound {
			return at.errorf(apperr.BadUserInput, v.name, "%s %d is outside %d to %d", v.name, *v.value, low, bound)
		}
	}
	return nil
}

// delta checks one line against its locked item and returns the change.
func (l AdjustLine) delta(at line, it models.InventoryItem, mode AdjustMode, store models.Store, where string) (map[models.QuantityState]int, *apperr.Error) {
	field := "quantity"
	if l.Quantity == nil {
		field = "qtyBackordered"
	}
	if err := checkQuantityTracked(at, it, field, where); err != nil {
		return nil, err
	}
	d := map[models.QuantityState]int{}
	if l.Quantity != nil {
		target := *l.Quantity
		if mode == Relative {
			target = it.OnHand + *l.Quantity
		}
		if err := checkOnHand(at, it, target, store, where); err != nil {
			return nil, err
		}
		d[models.StateOnHand] = target - it.OnHand
	}
	if l.QtyBackordered != nil {
		target := *l.QtyBackordered
		if mode == Relative {
			target = it.QtyBackordered + *l.QtyBackordered
		}
		if err := checkBackordered(at, it, target, store, where); err != nil {
			return nil, err
		}
		d[models.StateBackordered] = target - it.QtyBackordered
	}
	return d, nil
}

// checkOnHand enforces the bounds of on hand: ±99,999, and not below zero
// unless the store allows negative stock (Wix: a paid order took more
// than there was).
func checkOnHand(at line, it models.InventoryItem, target int, store models.Store, where string) *apperr.Error {
	if err := checkLevel(at, "quantity", models.StateOnHand, target); err != nil {
		return err
	}
	if target < 0 && target < it.OnHand && !store.AllowNegativeStock {
		return at.errorf(apperr.NegativeStock, "quantity", "%s has %d on hand; the change would leave %d", where, it.OnHand, target).
			With("onHand", it.OnHand).With("variantId", it.VariantID).With("locationId", it.LocationID)
	}
	return nil
}

// checkBackordered keeps qtyBackordered between zero and the item's limit;
// raising it needs backorders switched on.
func checkBackordered(at line, it models.InventoryItem, target int, store models.Store, where string) *apperr.Error {
	switch {
	case target < 0:
		return at.errorf(apperr.NegativeStock, "qtyBackordered", "%s has %d backordered; the change would leave %d", where, it.QtyBackordered, target)
	case target > it.QtyBackordered && !store.BackordersEnabled:
		return at.errorf(apperr.FeatureDisabled, "qtyBackordered", "backorders are switched off for this store; switch them on with updateInventoryConfiguration")
	case target > it.QtyBackordered && target > it.BackorderLimit:
		return at.errorf(apperr.BackorderLimitExceeded, "qtyBackordered", "%s can have at most %d backordered, asked for %d", where, it.BackorderLimit, target).
			With("backorderLimit", it.BackorderLimit).With("availableForBackorder", AvailableForBackorder(it, SwitchesOf(store)))
	}
	return nil
}

// changeMeta is what every movement of one mutation records.
type changeMeta struct {
	reason, reference, key string
}

// stamp fills in what every movement of one mutation records.
func (meta changeMeta) stamp(mv models.Movement, actor Actor, op string) models.Movement {
	mv.StoreID, mv.OperationID, mv.Reason, mv.Reference = actor.Store.ID, op, meta.reason, meta.reference
	if meta.key != "" {
		mv.IdempotencyKey = &meta.key
	}
	if actor.TokenID != 0 {
		mv.TokenID = &actor.TokenID
	}
	return mv
}

// recordAdjustment writes the deltas of the lines that passed with their
// movements and events, in one statement (batch.write), and builds the
// result.
func (b *batch) recordAdjustment(meta changeMeta, ds deltas) (ChangeResult, error) {
	a, err := b.adjusted(meta, ds)
	if err != nil {
		return ChangeResult{}, err
	}
	stamps, err := b.write(ds, a.movements, a.changes, meta)
	if err != nil {
		return ChangeResult{}, err
	}
	a.stamp(stamps)
	res := b.results(a.now)
	res.Movements = a.movements
	return res, nil
}

// adjustedItems are an adjustment's items as it leaves them, with their
// changes and the ledger movements that explain them.
type adjustedItems struct {
	now       map[ItemKey]models.InventoryItem
	changes   []itemChange
	movements []models.Movement
}

// adjusted pairs the locked items with the same items as the deltas leave
// them (deltas.appliedTo), and builds the movements of the changes.
func (b *batch) adjusted(meta changeMeta, ds deltas) (adjustedItems, error) {
	virtual, err := ledger.VirtualOf(slices.Collect(maps.Values(b.locations)))
	if err != nil {
		return adjustedItems{}, err
	}
	op := uuid.NewString()
	a := adjustedItems{now: maps.Clone(b.locked)}
	for i, k := range b.keys {
		if b.errs.failed(i) {
			continue
		}
		before := b.locked[k]
		after := ds.appliedTo(before)
		a.now[k] = after
		a.changes = append(a.changes, itemChange{before: before, after: after})
		for _, mv := range adjustmentMovements(virtual, after, ds[before.ID]) {
			a.movements = append(a.movements, meta.stamp(mv, b.actor, op))
		}
	}
	return a, nil
}

// stamp sets on the items what only the database said of them.
func (a adjustedItems) stamp(stamps map[int64]itemStamp) {
	for k, it := range a.now {
		if st, ok := stamps[it.ID]; ok {
			a.now[k] = st.onto(it)
		}
	}
}

// adjustmentMovements turns an adjustment of one item (it, as it is
// after) into ledger movements: units of a state come from the state's
// virtual source and go to its sink (models.QuantityColumns), so stock
// comes from the supplier and goes to the shrinkage bin, and backorders
// come from and go back to sold.
func adjustmentMovements(v ledger.Virtual, it models.InventoryItem, d map[models.QuantityState]int) []models.Movement {
	var out []models.Movement
	for _, q := range models.QuantityColumns {
		n := d[q.State]
		if n == 0 {
			continue
		}
		balance := level(it, q.State)
		m := models.Movement{VariantID: it.VariantID, Quantity: abs(n), FromState: q.State, ToState: q.State}
		if n > 0 {
			m.FromLocationID, m.ToLocationID, m.ToBalance = v.Of(q.From), it.LocationID, &balance
		} else {
			m.FromLocationID, m.ToLocationID, m.FromBalance = it.LocationID, v.Of(q.To), &balance
		}
		out = append(out, m)
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
