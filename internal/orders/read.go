package orders

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// OrderQuery selects a page of orders, newest first; the conditions given
// must all hold.
type OrderQuery struct {
	IDs       []int64
	Statuses  []models.OrderStatus
	Reference *string
	// SKU and VariantID keep orders with a line of that SKU or variant.
	SKU       *string
	VariantID int64
	Created   TimeRange
	Updated   TimeRange
	Window    page.Window
	// WithTotal asks for the number of matches too (one more statement).
	WithTotal bool
}

// ReservationQuery selects a page of reservations, newest first.
type ReservationQuery struct {
	IDs       []int64
	Statuses  []models.ReservationStatus
	Window    page.Window
	WithTotal bool
}

// TimeRange keeps times at or after From and before To, each when set.
type TimeRange struct {
	From, To *time.Time
}

// ListOrders returns one page of the store's orders, newest (highest ID)
// first.
func ListOrders(ctx context.Context, db *gorm.DB, storeID int64, q OrderQuery) (page.Page[models.Order], error) {
	sel := db.WithContext(ctx).Model(&models.Order{}).Where("store_id = ?", storeID)
	if q.IDs != nil {
		sel = sel.Where("id = ANY(?)", database.Int64s(q.IDs))
	}
	if q.Statuses != nil {
		sel = sel.Where("status IN ?", q.Statuses)
	}
	if q.Reference != nil {
		sel = sel.Where("reference = ?", *q.Reference)
	}
	if q.SKU != nil {
		sel = sel.Where("id IN (SELECT order_id FROM order_lines WHERE store_id = ? AND sku = ? AND order_id IS NOT NULL)", storeID, *q.SKU)
	}
	if q.VariantID != 0 {
		sel = sel.Where("id IN (SELECT order_id FROM order_lines WHERE store_id = ? AND variant_id = ? AND order_id IS NOT NULL)", storeID, q.VariantID)
	}
	for _, r := range []struct {
		column string
		TimeRange
	}{{"created_at", q.Created}, {"updated_at", q.Updated}} {
		if r.From != nil {
			sel = sel.Where(r.column+" >= ?", *r.From)
		}
		if r.To != nil {
			sel = sel.Where(r.column+" < ?", *r.To)
		}
	}
	return database.NewestFirst(sel, q.Window, q.WithTotal, func(o models.Order) int64 { return o.ID }, "orders")
}

// ListReservations returns one page of the store's reservations, newest
// first.
func ListReservations(ctx context.Context, db *gorm.DB, storeID int64, q ReservationQuery) (page.Page[models.Reservation], error) {
	sel := db.WithContext(ctx).Model(&models.Reservation{}).Where("store_id = ?", storeID)
	if q.IDs != nil {
		sel = sel.Where("id = ANY(?)", database.Int64s(q.IDs))
	}
	if q.Statuses != nil {
		sel = sel.Where("status IN ?", q.Statuses)
	}
	return database.NewestFirst(sel, q.Window, q.WithTotal, func(r models.Reservation) int64 { return r.ID }, "reservations")
}

// OrdersByIDs reads orders of the store by ID, for a loader.
func OrdersByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.Order, error) {
	var rows []models.Order
	if err := db.WithContext(ctx).Where("store_id = ? AND id = ANY(?)", storeID, database.Int64s(ids)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	return byKey(rows, func(o models.Order) int64 { return o.ID }), nil
}

// OrdersByReservations reads the orders that reservations became, by
// reservation ID.
func OrdersByReservations(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.Order, error) {
	var rows []models.Order
	err := db.WithContext(ctx).Where("store_id = ? AND reservation_id = ANY(?)", storeID, database.Int64s(ids)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read orders of reservations: %w", err)
	}
	return byKey(rows, func(o models.Order) int64 { return *o.ReservationID }), nil
}

// ReservationsByIDs reads reservations of the store by ID, for a loader.
func ReservationsByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.Reservation, error) {
	var rows []models.Reservation
	if err := db.WithContext(ctx).Where("store_id = ? AND id = ANY(?)", storeID, database.Int64s(ids)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read reservations: %w", err)
	}
	return byKey(rows, func(r models.Reservation) int64 { return r.ID }), nil
}

// LinesByOrders reads the lines of orders, by order ID, in position order.
func LinesByOrders(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64][]models.OrderLine, error) {
	var rows []models.OrderLine
	err := db.WithContext(ctx).Where("store_id = ? AND order_id = ANY(?)", storeID, database.Int64s(ids)).
		Order("order_id, position").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read order lines: %w", err)
	}
	return groupBy(rows, func(l models.OrderLine) int64 { return *l.OrderID }), nil
}

// LinesByReservations reads the lines of reservations, by reservation ID,
// in position order.
func LinesByReservations(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64][]models.OrderLine, error) {
	var rows []models.OrderLine
	err := db.WithContext(ctx).Where("store_id = ? AND reservation_id = ANY(?)", storeID, database.Int64s(ids)).
		Order("reservation_id, position").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read reservation lines: %w", err)
	}
	return groupBy(rows, func(l models.OrderLine) int64 { return *l.ReservationID }), nil
}

// AllocationsByLines reads the allocations of lines, by line ID, oldest
// first (the order sourcing made them in).
func AllocationsByLines(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64][]models.Allocation, error) {
	var rows []models.Allocation
	err := db.WithContext(ctx).Where("store_id = ? AND line_id = ANY(?)", storeID, database.Int64s(ids)).
		Order("line_id, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read allocations: %w", err)
	}
	return groupBy(rows, func(a models.Allocation) int64 { return a.LineID }), nil
}

func byKey[T any](rows []T, key func(T) int64) map[int64]T {
	out := make(map[int64]T, len(rows))
	for _, r := range rows {
		out[key(r)] = r
	}
	return out
}

func groupBy[T any](rows []T, key func(T) int64) map[int64][]T {
	out := map[int64][]T{}
	for _, r := range rows {
		out[key(r)] = append(out[key(r)], r)
	}
	return out
}
