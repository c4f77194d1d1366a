package orders

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/coalesce"
	"stockgraph/internal/database"
	"stockgraph/internal/idempotency"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// A flash sale sends many orders of one SKU at once, and each waits for
// the item's row lock: one order commits at a time. The Coalescer places
// the single-line orders of a SKU that arrive while an order of it is
// being orderPlaced together, in arrival order, in one transaction, each under
// a savepoint of its own: each is sourced, refused or replayed exactly as
// it would have been alone after the orders before it (the same
// createOrder, idempotency keys included), and the group pays for one
// lock wait and one commit. A request that finds its SKU idle is orderPlaced
// at once, alone, as CreateOrder places it. TestCoalescedOrdersEqualOneByOne
// holds the two paths to the same results, stock, ledger and events.

// Coalescer places the single-line orders of a busy SKU together. Make
// one with NewCoalescer, one per database, shared by every request.
type Coalescer struct {
	db     *gorm.DB
	queues *coalesce.Queues[orderKey, placing, orderPlaced]
}

// NewCoalescer returns a Coalescer writing to db.
func NewCoalescer(db *gorm.DB) *Coalescer {
	c := &Coalescer{db: db}
	c.queues = coalesce.New[orderKey](inventory.MaxGroup, c.apply)
	return c
}

// ObserveGroups has observe learn each group's size (a metric); call it
// before the first request.
func (c *Coalescer) ObserveGroups(observe func(size int)) { c.queues.Observe = observe }

// orderKey is what single-line orders of one SKU share, as the request
// names it: the store, the variant and the model it is sourced from.
type orderKey struct {
	store   int64
	variant inventory.VariantRef
	model   int64
}

// placing is what a queued order asks.
type placing struct {
	actor inventory.Actor
	in    NewOrder
}

// orderPlaced is a queued order's outcome before it is read back.
type orderPlaced struct {
	id       int64
	replayed bool
}

type queuedOrder = coalesce.Request[placing, orderPlaced]

// OneByOne places each order in a transaction of its own: CreateOrder.
type OneByOne struct{ DB *gorm.DB }

// CreateOrder is CreateOrder over o.DB.
func (o OneByOne) CreateOrder(ctx context.Context, actor inventory.Actor, in NewOrder) (Result[models.Order], error) {
	return CreateOrder(ctx, o.DB, actor, in)
}

// CreateOrder places in as CreateOrder(ctx, db, actor, in) would,
// coalesced with other single-line orders of the same SKU; other orders
// (several lines, a reservation's conversion) are orderPlaced directly.
func (c *Coalescer) CreateOrder(ctx context.Context, actor inventory.Actor, in NewOrder) (Result[models.Order], error) {
	if len(in.Lines) != 1 || in.ReservationID != 0 {
		return CreateOrder(ctx, c.db, actor, in)
	}
	in.Reference = strings.TrimSpace(in.Reference)
	if err := in.validate(); err != nil {
		return Result[models.Order]{}, err
	}
	p, err := c.queues.Do(ctx, orderKey{actor.Store.ID, in.Lines[0].Variant, in.InventoryModelID}, placing{actor, in})
	if err != nil {
		return Result[models.Order]{}, err
	}
	o, err := GetOrder(ctx, c.db, actor.Store.ID, p.id)
	return Result[models.Order]{Value: o, Replayed: p.replayed}, err
}

// apply places a group and answers each request (coalesce.Apply): alone
// as CreateOrder places it, together as placeTogether does.
func (c *Coalescer) apply(group []*queuedOrder) {
	coalesce.Apply(group, func(q *queuedOrder) (orderPlaced, error) { return placeAlone(q.Ctx, c.db, q.In) }, c.placeTogether)
}

// placeAlone places one order in a transaction of its own.
func placeAlone(ctx context.Context, db *gorm.DB, p placing) (orderPlaced, error) {
	id, replayed, err := run(ctx, db, p.actor.Store.ID, p.in.IdempotencyKey, "createOrder", p.in, func(tx *gorm.DB) (int64, error) {
		return createOrder(ctx, tx, p.actor, p.in)
	})
	return orderPlaced{id, replayed}, err
}

// placeTogether places the group in one transaction, each order under a
// savepoint that its refusal rolls back, and none whose context has ended
// before its turn. committing says every order ran and the error, if any,
// is the commit's.
func (c *Coalescer) placeTogether(ctx context.Context, group []*queuedOrder) (outs []coalesce.Outcome[orderPlaced], committing bool, err error) {
	outs = make([]coalesce.Outcome[orderPlaced], len(group))
	err = database.Tx(ctx, c.db, func(tx *gorm.DB) error {
		for i, q := range group {
			if outs[i].Err = q.Ctx.Err(); outs[i].Err != nil {
				continue
			}
			outs[i].Value, outs[i].Err = placeInGroup(ctx, tx, q.In)
			if outs[i].Err != nil && !apperr.IsRefusal(outs[i].Err) {
				return outs[i].Err
			}
		}
		committing = true
		return nil
	})
	return outs, committing, err
}

// placeInGroup places one order of a group under its own savepoint (GORM's
// nested transaction), through the steps CreateOrder runs.
func placeInGroup(ctx context.Context, tx *gorm.DB, p placing) (out orderPlaced, err error) {
	spErr := tx.Transaction(func(sp *gorm.DB) error {
		out.id, out.replayed, err = idempotency.Run(ctx, sp, p.actor.Store.ID, p.in.IdempotencyKey, "createOrder", p.in,
			func() (int64, error) { return createOrder(ctx, sp, p.actor, p.in) })
		return err
	})
	if err == nil && spErr != nil {
		err = fmt.Errorf("savepoint: %w", spErr) // SAVEPOINT itself failed: the order never ran
	}
	return out, err
}
