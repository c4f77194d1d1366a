package inventory

import (
	"context"

	"gorm.io/gorm"

	"stockgraph/internal/coalesce"
)

// A hot item's writes are limited by its row lock: each transaction waits
// for the one before it to commit, so one item takes one commit at a time
// however many clients write it. The Coalescer passes that ceiling the way
// PostgreSQL's own group commit does: while one transaction writes an item,
// the single-item adjustments that arrive for it queue up, and the next
// transaction applies all of them, in arrival order, each under a
// savepoint of its own. Each request therefore gets exactly the result it
// would have had one by one (its limits, revision check, idempotency key,
// ledger rows and events are the same code, run against the levels the
// requests before it left), and the group pays for one lock wait and one
// commit. No request waits for a timer: a request that finds its item idle
// runs at once, alone, as Adjust would run it; groups form only while the
// item is busy. TestCoalescedEqualsOneByOne holds the two paths to the
// same results, levels, ledger and events.

// MaxGroup is how many adjustments of one item a Coalescer applies in one
// transaction at most: the last of them waits for all before it. Each
// savepoint that writes is a subtransaction, and a transaction with more
// than 64 of them overflows PostgreSQL's per-backend cache of
// subtransaction IDs, which slows every other session's snapshots; 32
// stays well below.
const MaxGroup = 32

// Coalescer applies single-item adjustments of a busy item together (see
// above). Make one with NewCoalescer, one per database, shared by every
// request.
type Coalescer struct {
	db     *gorm.DB
	queues *coalesce.Queues[itemRequestKey, request, ChangeResult]
}

// NewCoalescer returns a Coalescer writing to db.
func NewCoalescer(db *gorm.DB) *Coalescer {
	c := &Coalescer{db: db}
	c.queues = coalesce.New[itemRequestKey](MaxGroup, c.apply)
	return c
}

// ObserveGroups has observe learn each group's size (a metric); call it
// before the first request.
func (c *Coalescer) ObserveGroups(observe func(size int)) { c.queues.Observe = observe }

// itemRequestKey names an item as a request names it. Two requests naming
// one item differently (by SKU and by ID) queue apart, and then simply
// wait for each other's lock, as they would without coalescing.
type itemRequestKey struct {
	store    int64
	variant  VariantRef
	location int64
}

// request is what a queued adjustment asks.
type request struct {
	actor Actor
	a     Adjustment
}

// queued is one adjustment in a queue.
type queued = coalesce.Request[request, ChangeResult]

// adjusted is a request's outcome.
type adjusted = coalesce.Outcome[ChangeResult]

// OneByOne applies each adjustment in a transaction of its own: Adjust.
type OneByOne struct{ DB *gorm.DB }

// Adjust is Adjust over o.DB.
func (o OneByOne) Adjust(ctx context.Context, actor Actor, a Adjustment) (ChangeResult, error) {
	return Adjust(ctx, o.DB, actor, a)
}

// Adjust applies a as Adjust(ctx, db, actor, a) would, coalesced with other
// adjustments of the same item when it changes one item and is not a dry
// run; other adjustments run through Adjust directly.
func (c *Coalescer) Adjust(ctx context.Context, actor Actor, a Adjustment) (ChangeResult, error) {
	if len(a.Lines) != 1 || a.DryRun {
		return Adjust(ctx, c.db, actor, a)
	}
	if err := a.validate(); err != nil {
		return ChangeResult{}, err
	}
	return c.queues.Do(ctx, itemRequestKey{actor.Store.ID, a.Lines[0].Variant, a.Lines[0].LocationID}, request{actor, a})
}

// apply applies a group and answers each request (coalesce.Apply): alone
// as Adjust applies it, together as applyTogether does.
func (c *Coalescer) apply(group []*queued) {
	coalesce.Apply(group, func(q *queued) (ChangeResult, error) { return Adjust(q.Ctx, c.db, q.In.actor, q.In.a) }, c.applyTogether)
}
