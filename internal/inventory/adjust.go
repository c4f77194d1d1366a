package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/idempotency"
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

// errDryRun rolls a dry run's transaction back after it computed its result.
var errDryRun = errors.New("dry run")

// Adjust applies an adjustment in one transaction: all of it, or (with
// RejectFailedRows) all of its lines that pass. Every change of a level is
// written to the ledger in the same transaction.
func Adjust(ctx context.Context, db *gorm.DB, actor Actor, a Adjustment) (ChangeResult, error) {
	if err := a.validate(); err != nil {
		return ChangeResult{}, err
	}
	res, replayed, err := runBatch(ctx, db, actor.Store.ID, a.IdempotencyKey, "adjustInventory"+string(a.Mode), a, a.DryRun, func(tx *gorm.DB) (ChangeResult, error) {
		return adjust(ctx, tx, actor, a)
	})
	res.DryRun, res.Replayed = a.DryRun, replayed
	return res, err
}

// runBatch runs a batch mutation in a transaction, retried on deadlocks
// and concurrent use of its idempotency key, and rolled back when dry.
// replayed says the result is an earlier request's, stored with its key.
func runBatch[T any](ctx context.Context, db *gorm.DB, storeID int64, key, operation string, request any, dry bool, fn func(tx *gorm.DB) (T, error)) (res T, replayed bool, err error) {
	err = database.RetryTx(ctx, db, 5, func(tx *gorm.DB) error {
		var err error
		if dry {
			if res, err = fn(tx); err == nil {
				err = errDryRun
			}
			return err
		}
		res, replayed, err = idempotency.Run(ctx, tx, storeID, key, operation, request, func() (T, error) { return fn(tx) })
		return err
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return res, replayed, err
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
	return validateBatch(len(a.Lines), a.Policy)
}

func validateBatch(lines int, policy ErrorPolicy) error {
	switch {
	case lines == 0:
		return apperr.New(apperr.BadUserInput, "items is empty").WithField("items")
	case lines > MaxBatch:
		return apperr.New(apperr.BadUserInput, "at most %d items per request, got %d", MaxBatch, lines).WithField("items")
	case policy != "" && policy != RejectEverything && policy != RejectFailedRows:
		return apperr.New(apperr.BadUserInput, "unknown error policy %q", policy).WithField("errorPolicy")
	}
	return nil
}

func adjust(ctx context.Context, tx *gorm.DB, actor Actor, a Adjustment) (ChangeResult, error) {
	storeID := actor.Store.ID
	var errs lineErrors
	refs := make([]VariantRef, len(a.Lines))
	for i, l := range a.Lines {
		refs[i] = l.Variant
		if err := l.validate(i, a.Mode); err != nil {
			errs.add(i, err)
		}
	}
	r, err := resolve(ctx, tx, storeID, refs, "items.variantId", &errs)
	if err != nil {
		return ChangeResult{}, err
	}
	actor.Store = r.store
	keys := lineKeys(a.Lines, r, &errs, func(l AdjustLine) int64 { return l.LocationID })
	// Check the other lines against their items even when some failed
	// already, so that a rejected batch reports every failing line.
	locked, err := lockItems(ctx, tx, storeID, okKeys(keys, &errs))
	if err != nil {
		return ChangeResult{}, err
	}
	deltas := map[int64]delta{}
	for i, l := range a.Lines {
		if errs.failed(i) {
			continue
		}
		it := locked[keys[i]]
		d, lineErr := l.delta(i, it, a.Mode, actor.Store, r.where(it.VariantID, it.LocationID))
		if lineErr != nil {
			errs.add(i, lineErr)
			continue
		}
		deltas[it.ID] = d
	}
	if a.Policy != RejectFailedRows && errs.any() {
		return ChangeResult{}, errs.list().Err()
	}
	return commitDeltas(ctx, tx, actor, changeMeta{reason: a.Reason, reference: a.Reference, key: a.IdempotencyKey}, r, keys, locked, deltas, &errs)
}

func (l AdjustLine) validate(i int, mode AdjustMode) *apperr.Error {
	if l.Quantity == nil && l.QtyBackordered == nil {
		return apperr.New(apperr.BadUserInput, "item %d changes nothing: give quantity, qtyBackordered or both", i).WithField("items.quantity")
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
			return apperr.New(apperr.BadUserInput, "item %d: %s %d is outside %d to %d", i, v.name, *v.value, low, bound).WithField("items." + v.name)
		}
	}
	return nil
}

// delta checks one line against its locked item and returns the change.
func (l AdjustLine) delta(i int, it models.InventoryItem, mode AdjustMode, store models.Store, where string) (delta, *apperr.Error) {
	if l.ExpectedRevision != nil && *l.ExpectedRevision != it.Revision {
		return delta{}, revisionConflict(i, it, *l.ExpectedRevision)
	}
	var d delta
	if l.Quantity != nil {
		target := *l.Quantity
		if mode == Relative {
			target = it.OnHand + *l.Quantity
		}
		if err := checkOnHand(i, it, target, store, where); err != nil {
			return d, err
		}
		d.OnHand = target - it.OnHand
	}
	if l.QtyBackordered != nil {
		target := *l.QtyBackordered
		if mode == Relative {
			target = it.QtyBackordered + *l.QtyBackordered
		}
		if err := checkBackordered(i, it, target, store, where); err != nil {
			return d, err
		}
		d.Backordered = target - it.QtyBackordered
	}
	return d, nil
}

func revisionConflict(i int, it models.InventoryItem, expected int64) *apperr.Error {
	return apperr.New(apperr.RevisionConflict, "item %d: inventory item %d is at revision %d, not %d; read it again and retry",
		i, it.ID, it.Revision, expected).WithField("items.expectedRevision").With("currentRevision", it.Revision)
}

// checkOnHand enforces the bounds of on hand: ±99,999, and not below zero
// unless the store allows negative stock (Wix: a paid order took more
// than there was).
func checkOnHand(i int, it models.InventoryItem, target int, store models.Store, where string) *apperr.Error {
	if err := checkLevel(i, "items.quantity", models.StateOnHand, target); err != nil {
		return err
	}
	switch {
	case target < 0 && target < it.OnHand && !store.AllowNegativeStock:
		return apperr.New(apperr.NegativeStock, "item %d: %s has %d on hand; the change would leave %d",
			i, where, it.OnHand, target).WithField("items.quantity").
			With("onHand", it.OnHand).With("variantId", it.VariantID).With("locationId", it.LocationID)
	}
	return nil
}

// checkBackordered keeps qtyBackordered between zero and the item's limit;
// raising it needs backorders switched on.
func checkBackordered(i int, it models.InventoryItem, target int, store models.Store, where string) *apperr.Error {
	switch {
	case target < 0:
		return apperr.New(apperr.NegativeStock, "item %d: %s has %d backordered; the change would leave %d",
			i, where, it.QtyBackordered, target).WithField("items.qtyBackordered")
	case target > it.QtyBackordered && !store.BackordersEnabled:
		return apperr.New(apperr.FeatureDisabled, "item %d: backorders are switched off for this store; switch them on with updateInventoryConfiguration", i).WithField("items.qtyBackordered")
	case target > it.QtyBackordered && target > it.BackorderLimit:
		return apperr.New(apperr.BackorderLimitExceeded, "item %d: %s can have at most %d backordered, asked for %d",
			i, where, it.BackorderLimit, target).WithField("items.qtyBackordered").
			With("backorderLimit", it.BackorderLimit).With("availableForBackorder", AvailableForBackorder(it, SwitchesOf(store)))
	}
	return nil
}

// lineKeys returns each line's item key, and fails lines whose location is
// unknown or virtual, or whose item another line already names.
func lineKeys[L any](lines []L, r resolved, errs *lineErrors, locationOf func(L) int64) []itemKey {
	keys := make([]itemKey, len(lines))
	seen := map[itemKey]int{}
	for i, l := range lines {
		locID := locationOf(l)
		loc, ok := r.locations[locID]
		switch {
		case !ok:
			errs.add(i, apperr.New(apperr.NotFound, "item %d: no location with ID %d", i, locID).WithField("items.locationId"))
		case !loc.Type.IsPhysical():
			errs.add(i, apperr.New(apperr.BadUserInput, "item %d: location %d is a virtual %s location; stock is held at STORE and WAREHOUSE locations", i, locID, loc.Type).WithField("items.locationId"))
		}
		if errs.failed(i) {
			continue
		}
		k := itemKey{r.variants[i], locID}
		if j, dup := seen[k]; dup {
			errs.add(i, apperr.New(apperr.BadUserInput, "item %d names the same variant and location as item %d", i, j).WithField("items"))
			continue
		}
		seen[k], keys[i] = i, k
	}
	return keys
}

func okKeys(keys []itemKey, errs *lineErrors) []itemKey {
	var out []itemKey
	for i, k := range keys {
		if !errs.failed(i) {
			out = append(out, k)
		}
	}
	return out
}

// changeMeta is what every movement of one mutation records.
type changeMeta struct {
	reason, reference, key string
}

// commitDeltas writes the deltas of a batch of one-item lines, appends
// their movements and builds the result.
func commitDeltas(ctx context.Context, tx *gorm.DB, actor Actor, meta changeMeta, r resolved, keys []itemKey,
	locked map[itemKey]models.InventoryItem, deltas map[int64]delta, errs *lineErrors) (ChangeResult, error) {
	updated, err := applyDeltas(ctx, tx, actor.Store.ID, deltas)
	if err != nil {
		return ChangeResult{}, err
	}
	virtual, err := virtualOf(r)
	if err != nil {
		return ChangeResult{}, err
	}
	op := uuid.NewString()
	var res ChangeResult
	for i, k := range keys {
		if errs.failed(i) {
			res.Lines = append(res.Lines, LineResult{Index: i, Error: errs.byLine[i]})
			continue
		}
		it := locked[k]
		if u, ok := updated[it.ID]; ok {
			it = u
		}
		res.Movements = append(res.Movements, movementsFor(actor, meta, op, virtual, it, deltas[it.ID])...)
		res.Items = append(res.Items, it)
		res.Lines = append(res.Lines, LineResult{Index: i, Item: &res.Items[len(res.Items)-1]})
	}
	for i := range res.Lines { // res.Items may have moved while growing
		if res.Lines[i].Item != nil {
			res.Lines[i].Item = itemByID(res.Items, res.Lines[i].Item.ID)
		}
	}
	if err := ledger.Append(ctx, tx, res.Movements); err != nil {
		return ChangeResult{}, err
	}
	return res, nil
}

func itemByID(items []models.InventoryItem, id int64) *models.InventoryItem {
	for i := range items {
		if items[i].ID == id {
			return &items[i]
		}
	}
	return nil
}

// virtualOf finds the store's built-in virtual locations, one per type.
func virtualOf(r resolved) (ledger.Virtual, error) {
	var v ledger.Virtual
	for _, l := range r.locations {
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

// movementsFor turns an adjustment of one item into ledger movements:
// stock comes from the supplier and goes to the shrinkage bin;
// backorders come from and go back to sold.
func movementsFor(actor Actor, meta changeMeta, op string, v ledger.Virtual, it models.InventoryItem, d delta) []models.Movement {
	var out []models.Movement
	add := func(state models.QuantityState, n int, outside int64) {
		if n == 0 {
			return
		}
		m := models.Movement{
			StoreID: actor.Store.ID, OperationID: op, VariantID: it.VariantID, Quantity: abs(n),
			FromState: state, ToState: state, Reason: meta.reason, Reference: meta.reference,
		}
		if meta.key != "" {
			m.IdempotencyKey = &meta.key
		}
		if actor.TokenID != 0 {
			m.TokenID = &actor.TokenID
		}
		balance := level(it, state)
		if n > 0 {
			m.FromLocationID, m.ToLocationID, m.ToBalance = outside, it.LocationID, &balance
		} else {
			m.FromLocationID, m.ToLocationID, m.FromBalance = it.LocationID, outside, &balance
		}
		out = append(out, m)
	}
	onHandOutside := v.Supplier
	if d.OnHand < 0 {
		onHandOutside = v.Bin
	}
	add(models.StateOnHand, d.OnHand, onHandOutside)
	add(models.StateBackordered, d.Backordered, v.Sold)
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
