package orders

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// NewOrder is what createOrder takes.
type NewOrder struct {
	Reference string
	// InventoryModelID names the model to source from; 0 is the store's
	// default.
	InventoryModelID int64
	Lines            []LineInput
	AllowBackorder   bool
	AllowPreorder    bool
	// Paid: the order is paid, so it may take stock below zero where the
	// store allows negative stock (Wix).
	Paid bool
	// ReservationID converts an active reservation: the order takes its
	// lines and the units it holds, and names no lines of its own.
	ReservationID  int64
	IdempotencyKey string `json:"-"`
}

// Result is the order or reservation a step returns; Replayed says an
// earlier request with the same idempotency key made it.
type Result[T any] struct {
	Value    T
	Replayed bool
}

// CreateOrder sources every line from the model and writes the order, its
// lines and allocations, the stock they hold, the ledger and the events in
// one transaction; or, when any line cannot be covered, writes nothing and
// returns one OUT_OF_STOCK error per such line (an apperr.List).
func CreateOrder(ctx context.Context, db *gorm.DB, actor inventory.Actor, in NewOrder) (Result[models.Order], error) {
	in.Reference = strings.TrimSpace(in.Reference)
	if err := in.validate(); err != nil {
		return Result[models.Order]{}, err
	}
	id, replayed, err := run(ctx, db, actor.Store.ID, in.IdempotencyKey, "createOrder", in, func(tx *gorm.DB) (int64, error) {
		if in.ReservationID != 0 {
			return convert(ctx, tx, actor.Store.ID, in)
		}
		return createOrder(ctx, tx, actor, in)
	})
	if err != nil {
		return Result[models.Order]{}, err
	}
	o, err := GetOrder(ctx, db, actor.Store.ID, id)
	return Result[models.Order]{Value: o, Replayed: replayed}, err
}

func (in NewOrder) validate() error {
	if in.ReservationID == 0 {
		return validateLines(in.Lines, in.Reference)
	}
	switch {
	case len(in.Lines) > 0:
		return apperr.New(apperr.BadUserInput, "an order converting a reservation takes the reservation's lines; give no lines").WithField("lines")
	case in.InventoryModelID != 0:
		return apperr.New(apperr.BadUserInput, "an order converting a reservation sources from the reservation's inventory model; give no inventoryModelId").WithField("inventoryModelId")
	case len(in.Reference) > maxReference:
		return apperr.New(apperr.BadUserInput, "a reference has at most %d characters", maxReference).WithField("reference")
	}
	return nil
}

func createOrder(ctx context.Context, tx *gorm.DB, actor inventory.Actor, in NewOrder) (int64, error) {
	// A paid order may overdraw; allocate asks the store's switch.
	o := Options{AllowBackorder: in.AllowBackorder, AllowPreorder: in.AllowPreorder, Overdraw: in.Paid}
	a, err := allocate(ctx, tx, actor, in.InventoryModelID, in.Lines, o)
	if err != nil {
		return 0, err
	}
	order := models.Order{StoreID: actor.Store.ID, Reference: in.Reference, InventoryModelID: a.model.ID,
		Status: models.OrderOpen, Paid: in.Paid}
	if err := tx.WithContext(ctx).Create(&order).Error; err != nil {
		return 0, fmt.Errorf("create order: %w", err)
	}
	if err := a.insertLines(ctx, tx, &order.ID, nil); err != nil {
		return 0, err
	}
	if _, _, err := a.sale.Record(a.shifts(), "createOrder", orderRef(order.ID), in.IdempotencyKey); err != nil {
		return 0, err
	}
	return order.ID, nil
}

// insertLines writes the lines and their allocations for an order or a
// reservation.
func (a *allocation) insertLines(ctx context.Context, tx *gorm.DB, orderID, reservationID *int64) error {
	rows := make([]models.OrderLine, len(a.lines))
	for i, l := range a.lines {
		rows[i] = models.OrderLine{StoreID: a.model.StoreID, OrderID: orderID, ReservationID: reservationID,
			Position: i, VariantID: l.VariantID, SKU: l.SKU, Quantity: l.Quantity}
	}
	if err := tx.WithContext(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("create order lines: %w", err)
	}
	var allocs []models.Allocation
	for i, l := range a.lines {
		for _, t := range l.Takes {
			allocs = append(allocs, models.Allocation{StoreID: a.model.StoreID, LineID: rows[i].ID, LocationID: t.Source.Location.ID,
				Kind: t.Kind, Quantity: t.Quantity, Counted: t.Counted, OnHold: t.OnHold})
		}
	}
	return insertAllocations(ctx, tx, allocs)
}

// orderRef and reservationRef are the ledger's and the events' reference
// for an order step: "order:42", "reservation:7".
func orderRef(id int64) string       { return fmt.Sprintf("order:%d", id) }
func reservationRef(id int64) string { return fmt.Sprintf("reservation:%d", id) }

// convert turns an active reservation into an order: the order takes its
// lines and the units they hold, with no change of stock. The
// reservation's row lock orders it with the lapse and with a release, so
// units are never held twice nor let go twice.
func convert(ctx context.Context, tx *gorm.DB, storeID int64, in NewOrder) (int64, error) {
	r, err := lockReservation(ctx, tx, storeID, in.ReservationID, "reservationId")
	if err != nil {
		return 0, err
	}
	if err := r.active(); err != nil {
		return 0, err.WithField("reservationId")
	}
	order := models.Order{StoreID: storeID, Reference: in.Reference, InventoryModelID: r.InventoryModelID,
		Status: models.OrderOpen, Paid: in.Paid, ReservationID: &r.ID}
	if order.Reference == "" {
		order.Reference = r.Reference
	}
	if err := tx.WithContext(ctx).Create(&order).Error; err != nil {
		return 0, fmt.Errorf("create order: %w", err)
	}
	err = tx.WithContext(ctx).Model(&models.OrderLine{}).Where("store_id = ? AND reservation_id = ?", storeID, r.ID).
		Updates(map[string]any{"order_id": order.ID, "updated_at": gorm.Expr("now()")}).Error
	if err != nil {
		return 0, fmt.Errorf("move reservation %d's lines to order %d: %w", r.ID, order.ID, err)
	}
	return order.ID, endReservation(ctx, tx, r, models.ReservationConverted)
}

// GetOrder reads one order of the store.
func GetOrder(ctx context.Context, db *gorm.DB, storeID, id int64) (models.Order, error) {
	return get[models.Order](ctx, db, storeID, id, "order")
}

// get reads one row of the store from T's table, or NOT_FOUND naming
// what it is.
func get[T any](ctx context.Context, db *gorm.DB, storeID, id int64, what string) (T, error) {
	var row T
	err := db.WithContext(ctx).Where("store_id = ? AND id = ?", storeID, id).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return row, apperr.New(apperr.NotFound, "no %s with ID %d", what, id)
	case err != nil:
		return row, fmt.Errorf("read %s %d: %w", what, id, err)
	}
	return row, nil
}
