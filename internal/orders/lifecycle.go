package orders

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// LineQuantity names a line of an order and a number of its units.
type LineQuantity struct {
	LineID   int64
	Quantity int
}

// Fulfilment ships units of an order: Quantity units of each line named,
// or, with no lines, every unit that can ship now.
type Fulfilment struct {
	OrderID        int64
	Lines          []LineQuantity
	IdempotencyKey string `json:"-"`
}

// FulfillOrder ships units committed from stock: they leave on hand and
// committed at their location, for the SOLD location. Units on hold (a
// held stock level or location, backorders and preorders not yet turned
// into stock) do not ship: SHIPMENT_ON_HOLD.
func FulfillOrder(ctx context.Context, db *gorm.DB, actor inventory.Actor, f Fulfilment) (Result[models.Order], error) {
	return step(ctx, db, actor, f.OrderID, f.IdempotencyKey, "fulfillOrder", f, func(s *orderStep) error {
		return s.fulfil(f.Lines)
	})
}

// Cancellation cancels the open units of some lines of an order, or of
// all of them.
type Cancellation struct {
	OrderID int64
	LineIDs []int64
}

// CancelOrder lets the open units of the lines go (committed, backordered
// and preordered units return to what can be sold); fulfilled units stay
// fulfilled.
func CancelOrder(ctx context.Context, db *gorm.DB, actor inventory.Actor, c Cancellation) (Result[models.Order], error) {
	return step(ctx, db, actor, c.OrderID, "", "cancelOrder", c, func(s *orderStep) error {
		if len(c.LineIDs) == 0 {
			s.h.releaseAll(s.items)
			return nil
		}
		var errs apperr.List
		for i, id := range c.LineIDs {
			l := s.h.line(id)
			if l == nil {
				errs = append(errs, apperr.New(apperr.NotFound, "line %d: order %d has no line with ID %d", i, s.order.ID, id).
					WithField("lineIds").WithIndex(i))
				continue
			}
			s.h.release(l, l.QuantityOpen(), true, s.items)
		}
		return errs.Err()
	})
}

// orderStep is a step on one locked order.
type orderStep struct {
	ctx   context.Context
	tx    *gorm.DB
	actor inventory.Actor
	order models.Order
	h     *holding
	sale  *inventory.Sale
	items map[inventory.ItemKey]models.InventoryItem
	// levels are the order's stock levels, for steps that source units.
	levels []models.StockLevel
}

// step runs fn on the order, locked, with its lines, allocations and
// items, then records the stock shifts fn made, saves the lines and
// allocations and the order's status, all in one transaction.
func step(ctx context.Context, db *gorm.DB, actor inventory.Actor, orderID int64, key, operation string, request any,
	fn func(*orderStep) error, extra ...func(*orderStep) ([]inventory.ItemKey, error)) (Result[models.Order], error) {
	_, replayed, err := run(ctx, db, actor.Store.ID, key, operation, request, func(tx *gorm.DB) (int64, error) {
		s := &orderStep{ctx: ctx, tx: tx, actor: actor}
		if err := s.start(orderID, extra...); err != nil {
			return 0, err
		}
		if err := fn(s); err != nil {
			return 0, err
		}
		return orderID, s.finish(operation, key)
	})
	if err != nil {
		return Result[models.Order]{}, err
	}
	o, err := GetOrder(ctx, db, actor.Store.ID, orderID)
	return Result[models.Order]{Value: o, Replayed: replayed}, err
}

// start locks the order, reads its lines and allocations and locks the
// items they hold units at, with the extra items a step needs.
func (s *orderStep) start(orderID int64, extra ...func(*orderStep) ([]inventory.ItemKey, error)) error {
	if err := database.LockRow(s.tx.WithContext(s.ctx), &s.order, s.actor.Store.ID, orderID, database.LockNoKeyUpdate, "order"); err != nil {
		if e, ok := apperr.As(err); ok {
			return e.WithField("orderId")
		}
		return err
	}
	if s.order.Status != models.OrderOpen {
		return apperr.New(apperr.Conflict, "order %d is %s; only open orders change", s.order.ID, s.order.Status).
			WithField("orderId").With("status", string(s.order.Status))
	}
	var err error
	if s.h, err = loadHolding(s.ctx, s.tx, s.actor.Store.ID, "order_id", orderID); err != nil {
		return err
	}
	var keys []inventory.ItemKey
	for _, f := range extra {
		more, err := f(s)
		if err != nil {
			return err
		}
		keys = append(keys, more...)
	}
	s.sale, s.items, err = s.h.startSale(s.ctx, s.tx, s.actor, keys...)
	return err
}

// finish records the shifts, saves the holding and the order's status.
func (s *orderStep) finish(operation, key string) error {
	if _, _, err := s.sale.Record(s.h.shifts, operation, orderRef(s.order.ID), key); err != nil {
		return err
	}
	if err := s.h.save(s.ctx, s.tx, s.order.StoreID); err != nil {
		return err
	}
	err := s.tx.WithContext(s.ctx).Model(&models.Order{}).Where("store_id = ? AND id = ?", s.order.StoreID, s.order.ID).
		Updates(map[string]any{"status": statusOf(s.h.lines), "updated_at": gorm.Expr("now()")}).Error
	if err != nil {
		return fmt.Errorf("update order %d: %w", s.order.ID, err)
	}
	return nil
}

// fulfil ships the units asked for, or everything that can ship.
func (s *orderStep) fulfil(lines []LineQuantity) error {
	if len(lines) == 0 {
		shipped := 0
		for i := range s.h.lines {
			shipped += s.ship(&s.h.lines[i], s.shippable(&s.h.lines[i]))
		}
		if shipped == 0 {
			return apperr.New(apperr.ShipmentOnHold, "order %d has nothing that can ship now: its open units are on hold", s.order.ID).
				WithField("orderId")
		}
		return nil
	}
	var errs apperr.List
	for i, lq := range lines {
		if err := s.fulfilLine(lq); err != nil {
			errs = append(errs, err.WithIndex(i))
		}
	}
	return errs.Err()
}

// fulfilLine ships one line's units, or says why it cannot.
func (s *orderStep) fulfilLine(lq LineQuantity) *apperr.Error {
	l := s.h.line(lq.LineID)
	switch {
	case l == nil:
		return apperr.New(apperr.NotFound, "order %d has no line with ID %d", s.order.ID, lq.LineID).WithField("lines.lineId")
	case lq.Quantity < 1:
		return apperr.New(apperr.BadUserInput, "quantity %d is below 1", lq.Quantity).WithField("lines.quantity")
	case lq.Quantity > l.QuantityOpen():
		return apperr.New(apperr.BadUserInput, "SKU %q: %d units asked, %d open", l.SKU, lq.Quantity, l.QuantityOpen()).
			WithField("lines.quantity").With("quantityOpen", l.QuantityOpen())
	case lq.Quantity > s.shippable(l):
		return apperr.New(apperr.ShipmentOnHold, "SKU %q: %d units asked, %d can ship now; the others are on hold (a held stock level or location, backorders, preorders)",
			l.SKU, lq.Quantity, s.shippable(l)).WithField("lines.quantity").With("quantityShippable", s.shippable(l))
	}
	s.ship(l, lq.Quantity)
	return nil
}

// shippable is how many of a line's open units can ship now: those
// committed from stock and not on hold.
func (s *orderStep) shippable(l *models.OrderLine) int {
	n := 0
	for _, a := range s.h.allocs[l.ID] {
		if a.Kind == models.AllocateStock && !a.OnHold {
			n += a.Quantity
		}
	}
	return n
}

// ship fulfils n shippable units of a line, from its allocations in
// shipping order, and returns n.
func (s *orderStep) ship(l *models.OrderLine, n int) int {
	left := n
	for _, a := range s.h.allocs[l.ID] {
		take := min(left, a.Quantity)
		if a.Kind != models.AllocateStock || a.OnHold || take <= 0 {
			continue
		}
		a.Quantity, a.QuantityFulfilled = a.Quantity-take, a.QuantityFulfilled+take
		s.h.changedAllocs[a.ID] = a
		if _, ok := s.items[inventory.ItemKey{VariantID: l.VariantID, LocationID: a.LocationID}]; ok && a.Counted {
			s.h.shifts = append(s.h.shifts,
				inventory.Shift{VariantID: l.VariantID, LocationID: a.LocationID, From: models.StateCommitted, Quantity: take, Step: models.EventFulfilled},
				inventory.Shift{VariantID: l.VariantID, LocationID: a.LocationID, From: models.StateOnHand, Quantity: take, Step: models.EventFulfilled})
		}
		left -= take
	}
	l.QuantityFulfilled += n - left
	s.h.changedLines[l.ID] = l
	return n - left
}

// lockOrderIDs locks orders in ID order, the order every step locks them
// in, and returns the ones still open.
func lockOrderIDs(ctx context.Context, tx *gorm.DB, storeID int64, ids []int64) ([]int64, error) {
	var out []int64
	if len(ids) == 0 {
		return nil, nil
	}
	err := tx.WithContext(ctx).Raw(`SELECT id FROM orders WHERE store_id = ? AND id IN ? AND status = 'OPEN' ORDER BY id FOR NO KEY UPDATE`,
		storeID, ids).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("lock orders: %w", err)
	}
	return out, nil
}
