package orders

import (
	"context"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// OrderUpdate sets new quantities on lines of an order (BigCommerce's
// PUT of an order's products): more units are sourced as createOrder
// sources them, fewer are let go as cancelOrder lets them go.
type OrderUpdate struct {
	OrderID        int64
	Lines          []LineQuantity
	AllowBackorder bool
	AllowPreorder  bool
	IdempotencyKey string `json:"-"`
}

// UpdateOrder changes the lines' quantities under the rules of
// createOrder: a line that cannot get its extra units fails with
// OUT_OF_STOCK and nothing is written. A quantity cannot drop below the
// units already fulfilled or cancelled.
func UpdateOrder(ctx context.Context, db *gorm.DB, actor inventory.Actor, u OrderUpdate) (Result[models.Order], error) {
	if len(u.Lines) == 0 {
		return Result[models.Order]{}, apperr.New(apperr.BadUserInput, "lines is empty; name the lines to change").WithField("lines")
	}
	return step(ctx, db, actor, u.OrderID, u.IdempotencyKey, "updateOrder", u, func(s *orderStep) error {
		o := Options{AllowBackorder: u.AllowBackorder, AllowPreorder: u.AllowPreorder}
		o.Overdraw = s.order.Paid && s.sale.Store().AllowNegativeStock
		return s.resize(u.Lines, o)
	}, (*orderStep).levelItems)
}

// levelItems reads the order's stock levels and names the items of its
// lines' variants at their locations, to lock for more units.
func (s *orderStep) levelItems() ([]inventory.ItemKey, error) {
	var err error
	if s.levels, err = levelsOf(s.ctx, s.tx, s.actor.Store.ID, s.order.InventoryModelID); err != nil {
		return nil, err
	}
	var keys []inventory.ItemKey
	for _, l := range s.h.lines {
		keys = append(keys, levelKeys(s.levels, l.VariantID)...)
	}
	return keys, nil
}

// resize applies each line's new quantity; it returns every failing line.
func (s *orderStep) resize(lines []LineQuantity, o Options) error {
	sources := map[int64][]*Source{}
	sw := inventory.SwitchesOf(s.sale.Store())
	var errs apperr.List
	for i, lq := range lines {
		l := s.h.line(lq.LineID)
		var err *apperr.Error
		switch {
		case l == nil:
			err = apperr.New(apperr.NotFound, "order %d has no line with ID %d", s.order.ID, lq.LineID).WithField("lines.lineId")
		case lq.Quantity < l.QuantityFulfilled+l.QuantityCancelled || lq.Quantity > inventory.MaxLevel:
			err = apperr.New(apperr.BadUserInput, "SKU %q: quantity %d is outside %d (fulfilled and cancelled) to %d",
				l.SKU, lq.Quantity, l.QuantityFulfilled+l.QuantityCancelled, inventory.MaxLevel).WithField("lines.quantity")
		case lq.Quantity < l.Quantity:
			s.h.release(l, l.Quantity-lq.Quantity, false, s.items)
		case lq.Quantity > l.Quantity:
			if sources[l.VariantID] == nil {
				sources[l.VariantID] = sourcesOf(s.sale, s.levels, s.items, l.VariantID)
			}
			err = s.grow(l, lq.Quantity-l.Quantity, sources[l.VariantID], o, sw)
		}
		if err != nil {
			errs = append(errs, err.WithIndex(i))
		}
	}
	return errs.Err()
}

// grow sources n more units for a line.
func (s *orderStep) grow(l *models.OrderLine, n int, sources []*Source, o Options, sw inventory.Switches) *apperr.Error {
	takes, short := Plan(sources, n, o, sw)
	if short != nil {
		return outOfStock(s.sale, l.VariantID, l.SKU, n, short)
	}
	for _, t := range takes {
		s.h.newAllocs = append(s.h.newAllocs, models.Allocation{StoreID: s.order.StoreID, LineID: l.ID, LocationID: t.Source.Location.ID,
			Kind: t.Kind, Quantity: t.Quantity, Counted: t.Counted, OnHold: t.OnHold})
		if t.Counted {
			s.h.shifts = append(s.h.shifts, inventory.Shift{VariantID: l.VariantID, LocationID: t.Source.Location.ID,
				To: t.Kind.State(), Quantity: t.Quantity, Step: stepOf(t.Kind)})
		}
	}
	l.Quantity += n
	s.h.changedLines[l.ID] = l
	return nil
}
