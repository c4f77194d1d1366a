package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/idempotency"
	"stockgraph/models"
)

// Every stock write (adjust, move, settings, stockVariant) runs the same
// steps, each in one place: runBatch retries the transaction; in it a
// batch resolves the lines' variants and reads the store (its switches
// held against change, see storeAndRefs) with its locations, keys
// each line to its item, locks the items in the one global order
// (creating missing ones), lets the write apply each line to its locked
// items, and decides by the error policy whether to record. Recording
// quantities is batch.write (the deltas, the ledger and the events in one
// statement; moves still apply their deltas first, then record, as they
// set expected dates between), writeItems for settings.

// input says how a write's input names its lines, so that an error's
// extensions.field is the path the client sent.
type input struct {
	// path is the field the lines are in ("items", "changes",
	// "settings"); "" for fields of the input itself.
	path string
	// noun is what messages call one line ("item", "change"); "" when
	// the path is not a list, and then errors have no index.
	noun string
	// name, when set, names line i where the lines are nested lists
	// flattened (bulkUpdateInventory's variant changes in product
	// changes), instead of path, noun and i.
	name func(i int) lineName
}

// lineName is where a line of a nested list is in the input: its path
// ("productChanges[1].variantChanges[0]"), what messages call it, and
// the index of its outer item.
type lineName struct {
	path, label string
	index       int
}

var (
	adjustInput   = input{path: "items", noun: "item"}
	moveInput     = input{path: "changes", noun: "change"}
	settingsInput = input{path: "settings", noun: "item"}
	stockingInput = input{} // stockVariant's input is one object
	// stockingSettings are stockVariant's settings, one object too.
	stockingSettings = input{path: "settings"}
)

// line is where in the input an error is: line i of the list, or the
// input itself.
type line struct {
	input
	i int
}

// errorf builds the error of the line: the message starts with the line
// ("item 3: ..."), the field is the path within the input ("items.sku")
// and the index is the line's, when the input is a list.
func (l line) errorf(code apperr.Code, field, format string, args ...any) *apperr.Error {
	msg := fmt.Sprintf(format, args...)
	if l.name != nil {
		n := l.name(l.i)
		return apperr.New(code, "%s: %s", n.label, msg).WithField(strings.TrimSuffix(n.path+"."+field, ".")).WithIndex(n.index)
	}
	path := l.path
	switch {
	case path == "":
		path = field
	case field != "":
		path += "." + field
	}
	if l.noun == "" {
		return apperr.New(code, "%s", msg).WithField(path)
	}
	return apperr.New(code, "%s %d: %s", l.noun, l.i, msg).WithField(path).WithIndex(l.i)
}

// batch is one stock write on its way through the shared steps.
type batch struct {
	ctx   context.Context
	tx    *gorm.DB
	actor Actor // its store as read inside the transaction
	in    input
	errs  lineErrors
	resolved
	keys    []ItemKey // per line (one-item writes); zero where the line failed
	locked  map[ItemKey]models.InventoryItem
	created map[ItemKey]bool
}

func newBatch(ctx context.Context, tx *gorm.DB, actor Actor, in input) *batch {
	return &batch{ctx: ctx, tx: tx, actor: actor, in: in}
}

// at names line i of the batch's input.
func (b *batch) at(i int) line { return line{b.in, i} }

// fail records line i's problem; nil is no problem.
func (b *batch) fail(i int, err *apperr.Error) {
	if err != nil {
		b.errs.add(i, err)
	}
}

// resolve finds each line's variant and reads the store and its
// locations; the actor's store is then the one the transaction sees.
func (b *batch) resolve(refs []VariantRef) error {
	r, err := resolve(b.ctx, b.tx, b.actor.Store.ID, refs, b.at, &b.errs)
	if err != nil {
		return err
	}
	b.resolved, b.actor.Store = r, r.store
	return nil
}

// keyLines keys each line to the item of its variant at its location, and
// fails lines whose location is unknown or virtual, or whose item an
// earlier line names already.
func (b *batch) keyLines(n int, locationOf func(i int) int64) {
	b.keys = make([]ItemKey, n)
	seen := map[ItemKey]int{}
	for i := range n {
		if b.errs.failed(i) {
			continue
		}
		locID, err := b.locationOr(b.at(i), locationOf(i))
		if err == nil {
			err = b.stockHeldAt(b.at(i), locID, "locationId")
		}
		if err != nil {
			b.fail(i, err)
			continue
		}
		k := ItemKey{b.variants[i], locID}
		if j, dup := seen[k]; dup {
			b.fail(i, b.at(i).errorf(apperr.BadUserInput, "", "names the same variant and location as %s %d", b.in.noun, j))
			continue
		}
		seen[k], b.keys[i] = i, k
	}
}

// locationOr returns locID, or the store's default location when the
// write left locationId out (zero): Wix creates an item there, and
// Oracle's SKU-level updates name no location. Without a default the
// write cannot guess, and says what is missing.
func (b *batch) locationOr(at line, locID int64) (int64, *apperr.Error) {
	if locID != 0 {
		return locID, nil
	}
	if d := b.actor.Store.DefaultLocationID; d != nil {
		return *d, nil
	}
	return 0, at.errorf(apperr.NoDefaultLocation, "locationId",
		"locationId is left out and the store has no default location; pass locationId, or set one with updateInventoryConfiguration(input: {defaultLocationId: …})")
}

// stockHeldAt checks a location exists and holds stock (is physical).
func (b *batch) stockHeldAt(at line, locID int64, field string) *apperr.Error {
	loc, ok := b.locations[locID]
	switch {
	case !ok:
		return at.errorf(apperr.NotFound, field, "no location with ID %d", locID)
	case !loc.Type.IsPhysical():
		return at.errorf(apperr.BadUserInput, field, "location %d is a virtual %s location; stock is held at STORE and WAREHOUSE locations", locID, loc.Type)
	}
	return nil
}

// lockLines locks the items of the lines that have not failed. The other
// lines are still checked against their items after, so that a rejected
// batch reports every failing line.
func (b *batch) lockLines() error {
	var keys []ItemKey
	for i, k := range b.keys {
		if !b.errs.failed(i) {
			keys = append(keys, k)
		}
	}
	return b.lock(keys)
}

// lock locks the items of keys, creating the missing ones.
func (b *batch) lock(keys []ItemKey) error {
	var err error
	b.locked, b.created, err = lockItems(b.ctx, b.tx, b.actor.Store.ID, keys)
	return err
}

// lockedAt is line i's locked item.
func (b *batch) lockedAt(i int) models.InventoryItem { return b.locked[b.keys[i]] }

// rejected returns the lines' errors as one when the policy rejects the
// whole batch for them.
func (b *batch) rejected(policy ErrorPolicy) error {
	if policy == RejectFailedRows || !b.errs.any() {
		return nil
	}
	return b.errs.list().Err()
}

// passed returns the items of the lines that passed, from items by key,
// in line order.
func (b *batch) passed(items map[ItemKey]models.InventoryItem) []models.InventoryItem {
	var out []models.InventoryItem
	for i, k := range b.keys {
		if !b.errs.failed(i) {
			out = append(out, items[k])
		}
	}
	return out
}

// results builds a one-item-per-line batch's result: the lines' items as
// they are now (by key), each once in line order, and one result a line.
func (b *batch) results(now map[ItemKey]models.InventoryItem) ChangeResult {
	res := ChangeResult{Items: b.passed(now)}
	next := 0
	for i := range b.keys {
		if b.errs.failed(i) {
			res.Lines = append(res.Lines, LineResult{Index: i, Error: b.errs.byLine[i]})
			continue
		}
		res.Lines = append(res.Lines, LineResult{Index: i, Item: &res.Items[next]})
		next++
	}
	return res
}

// errDryRun rolls a dry run's transaction back after it computed its result.
var errDryRun = errors.New("dry run")

// runBatch runs a write in a transaction, retried on deadlocks and
// concurrent use of its idempotency key, and rolled back when dry.
// replayed says the result is an earlier request's, stored with its key.
// Every stock write goes through it, so all retry alike.
func runBatch[T any](ctx context.Context, db *gorm.DB, storeID int64, key, operation string, request any, dry bool, fn func(tx *gorm.DB) (T, error)) (res T, replayed bool, err error) {
	err = database.RetryTx(ctx, db, retries, func(tx *gorm.DB) error {
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

// retries is how many times in all a stock write's transaction runs
// before a deadlock or serialization failure is returned.
const retries = 5
