package inventory

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/idempotency"
	"stockgraph/models"
)

// A coalesced group's transaction. The first request reads and locks as
// any adjustment does, under a savepoint; the requests after it that carry
// no idempotency key are checked against the item as the requests before
// them left it, in memory, and written together: one UPDATE of the item
// by the sum of their deltas, one statement for all their movements and
// events. A request with an idempotency key, or one whose change is not a
// plain change of the group's item, first writes what is held, then runs
// under a savepoint of its own, as the first did. The levels the group
// computes in memory are checked against the levels the UPDATE returns;
// were they ever to differ, the group is rolled back and its requests
// applied one by one.

// applyTogether applies the group in one transaction. committing says
// every request ran and the error, if any, is the commit's.
func (c *Coalescer) applyTogether(ctx context.Context, group []*queued) (outs []adjusted, committing bool, err error) {
	outs = make([]adjusted, len(group))
	err = database.Tx(ctx, c.db, func(tx *gorm.DB) error {
		g := &groupTx{ctx: ctx, tx: tx}
		for i, q := range group {
			if err := g.apply(q, &outs[i]); err != nil {
				return err
			}
		}
		if err := g.flush(); err != nil {
			return err
		}
		committing = true
		return nil
	})
	return outs, committing, err
}

// groupTx is a group's transaction on its way.
type groupTx struct {
	ctx  context.Context
	tx   *gorm.DB
	w    warm
	held []*held // applied in memory, not written yet
}

// held is a request checked against the item in memory, waiting to be
// written with the others.
type held struct {
	out           *adjusted
	b             *batch
	meta          changeMeta
	ds            deltas
	before, after models.InventoryItem
}

// apply applies one request: held in memory when it can be, under a
// savepoint otherwise; not at all when its context has ended (its asker
// hears that, and nothing of it is written). It returns an error only for
// a failure of the transaction; a refusal is the request's outcome.
func (g *groupTx) apply(q *queued, out *adjusted) error {
	if err := q.Ctx.Err(); err != nil {
		out.Err = err
		return nil
	}
	if q.In.a.IdempotencyKey == "" && g.w.has {
		done, err := g.hold(q, out)
		if err != nil || done {
			return err
		}
	}
	if err := g.flush(); err != nil {
		return err
	}
	*out = applyInGroup(g.ctx, g.tx, q.In, &g.w)
	if out.Err != nil && !apperr.IsRefusal(out.Err) {
		return out.Err
	}
	return nil
}

// hold checks the request against the item as the group left it. done
// says the request is held or refused; otherwise it must run on its own.
func (g *groupTx) hold(q *queued, out *adjusted) (done bool, err error) {
	b, ds, err := planAdjustment(g.ctx, g.tx, q.In.actor, q.In.a, &g.w)
	if err != nil {
		if !apperr.IsRefusal(err) {
			return false, err
		}
		out.Err = err
		return true, nil
	}
	id := g.w.item.ID
	if len(ds) != 1 || !ds.changes(id) || b.errs.any() {
		return false, nil
	}
	after := ds.appliedTo(g.w.item)
	meta := changeMeta{reason: q.In.a.Reason, reference: q.In.a.Reference}
	g.held = append(g.held, &held{out: out, b: b, meta: meta, ds: ds, before: g.w.item, after: after})
	g.w.item = after
	return true, nil
}

// flush writes the held requests: the item by the sum of their deltas,
// then their movements and events in one statement, and gives each its
// result.
func (g *groupTx) flush() error {
	if len(g.held) == 0 {
		return nil
	}
	id, storeID := g.w.item.ID, g.held[0].b.actor.Store.ID
	sum := deltas{}
	for _, h := range g.held {
		for s, n := range h.ds[id] {
			sum.add(id, s, n)
		}
	}
	updated, err := applyWrites(g.ctx, g.tx, storeID, sum, len(g.held))
	if err != nil {
		return err
	}
	if err := sameLevels(updated[id], g.w.item); err != nil {
		return err
	}
	g.w.item = updated[id]
	written := make([]adjustedItems, len(g.held))
	var movements []models.Movement
	var evs []models.StockEvent
	for i, h := range g.held {
		if written[i], err = h.b.adjusted(h.meta, h.ds); err != nil {
			return err
		}
		// What only the database says, as the group's write said it
		// (adjustments change no incoming units, so no request of the
		// group moved the next incoming date).
		written[i].stamp(map[int64]itemStamp{id: {Revision: h.after.Revision, NextIncomingAt: g.w.item.NextIncomingAt, UpdatedAt: g.w.item.UpdatedAt}})
		movements = append(movements, written[i].movements...)
		evs = append(evs, h.b.eventsOf(written[i].changes, written[i].movements, h.meta)...)
	}
	if err := recordMovements(g.ctx, g.tx, storeID, movements, evs); err != nil {
		return err
	}
	for i, h := range g.held {
		n := len(written[i].movements)
		res := h.b.results(written[i].now)
		res.Movements, movements = movements[:n:n], movements[n:]
		*h.out = adjusted{Value: res}
	}
	g.held = nil
	return nil
}

// sameLevels checks that the item the database returned has the levels
// and revision the group computed.
func sameLevels(stored, computed models.InventoryItem) error {
	same := stored.Revision == computed.Revision && slices.EqualFunc(models.QuantityColumns, models.QuantityColumns,
		func(c, _ models.QuantityColumn) bool { return *stored.Quantity(c.State) == *computed.Quantity(c.State) })
	if !same {
		return fmt.Errorf("coalesced adjustments of inventory item %d: the database has %+v, the group computed %+v", stored.ID, stored, computed)
	}
	return nil
}

// applyInGroup applies one request of a group under its own savepoint
// (GORM's nested transaction), through the steps runBatch runs, warm with
// what the requests before it read and locked.
func applyInGroup(ctx context.Context, tx *gorm.DB, q request, w *warm) adjusted {
	var out adjusted
	err := tx.Transaction(func(sp *gorm.DB) error {
		var replayed bool
		out.Value, replayed, out.Err = idempotency.Run(ctx, sp, q.actor.Store.ID, q.a.IdempotencyKey, q.a.Mode.operation(), q.a,
			func() (ChangeResult, error) { return adjustWarm(ctx, sp, q.actor, q.a, w) })
		out.Value.Replayed = replayed
		return out.Err
	})
	if out.Err == nil && err != nil {
		out.Err = fmt.Errorf("savepoint: %w", err) // SAVEPOINT itself failed: the request never ran
	}
	return out
}

// warm is what the applied requests of a group read and locked in its
// transaction: the variant the group's requests name, the store (held FOR
// SHARE) with its locations, and the item (held FOR UPDATE) as the last
// applied request left it. Nothing else can change them before the group
// commits, and a request that was refused changed nothing, so the next
// request may take them as they are. The zero warm has nothing yet; a nil
// warm is a request outside a group.
type warm struct {
	resolved resolved
	item     models.InventoryItem
	has      bool
}

// resolve resolves b's references, or takes what the group resolved.
func (w *warm) resolve(b *batch, refs []VariantRef) error {
	if w == nil || !w.has {
		return b.resolve(refs)
	}
	b.resolved, b.actor.Store = w.resolved, w.resolved.store
	return nil
}

// lock locks b's items, or takes the group's locked item.
func (w *warm) lock(b *batch) error {
	if w == nil || !w.has || len(b.keys) != 1 || b.errs.failed(0) || b.keys[0] != (ItemKey{w.item.VariantID, w.item.LocationID}) {
		return b.lockLines()
	}
	b.locked, b.created = map[ItemKey]models.InventoryItem{b.keys[0]: w.item}, map[ItemKey]bool{}
	return nil
}

// keep keeps what an applied request of one item read and left.
func (w *warm) keep(b *batch, res ChangeResult) {
	if w == nil || len(res.Items) != 1 {
		return
	}
	w.resolved, w.item, w.has = b.resolved, res.Items[0], true
}
