package webhooks

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/page"
)

// Deliveries pages a webhook's deliveries, newest first, of one status
// when status is not nil.
func Deliveries(ctx context.Context, db *gorm.DB, storeID, webhookID int64, status *DeliveryStatus, win page.Window) (page.Page[Delivery], error) {
	if _, err := Get(ctx, db, storeID, webhookID); err != nil {
		return page.Page[Delivery]{}, err
	}
	cmp, dir := win.Order(true)
	q := db.WithContext(ctx).Where("store_id = ? AND webhook_id = ?", storeID, webhookID)
	if status != nil {
		q = q.Where("status = ?", *status)
	}
	if win.From != nil {
		q = q.Where("id "+cmp+" ?", win.From.ID)
	}
	var rows []Delivery
	if err := q.Order("id " + dir).Limit(win.Limit + 1).Find(&rows).Error; err != nil {
		return page.Page[Delivery]{}, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return page.FromRows(rows, win, page.ByID(func(d Delivery) int64 { return d.ID })), nil
}

// Attempts lists a delivery's attempts, latest first, at most limit.
func Attempts(ctx context.Context, db *gorm.DB, storeID, deliveryID int64, limit int) ([]Attempt, error) {
	var rows []Attempt
	err := db.WithContext(ctx).Where("store_id = ? AND delivery_id = ?", storeID, deliveryID).
		Order("attempt DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list attempts of delivery %d: %w", deliveryID, err)
	}
	return rows, nil
}

// Redeliver sends a delivery again, with the same webhook-id, on a fresh
// retry schedule: at once when nothing of its item is ahead of it.
func Redeliver(ctx context.Context, db *gorm.DB, storeID, deliveryID int64) (Delivery, error) {
	var d Delivery
	err := db.WithContext(ctx).Raw(`
		UPDATE webhook_deliveries
		SET status = 'PENDING', round_attempts = 0, next_attempt_at = now(), delivered_at = NULL
		WHERE store_id = ? AND id = ?
		RETURNING *`, storeID, deliveryID).Scan(&d).Error
	if err != nil {
		return d, fmt.Errorf("redeliver delivery %d: %w", deliveryID, err)
	}
	if d.ID == 0 {
		return d, apperr.New(apperr.NotFound, "no webhook delivery with ID %d", deliveryID)
	}
	return d, nil
}

// DeliveryByID returns one of the store's deliveries.
func DeliveryByID(ctx context.Context, db *gorm.DB, storeID, id int64) (Delivery, error) {
	var d Delivery
	err := db.WithContext(ctx).Where("store_id = ? AND id = ?", storeID, id).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return d, apperr.New(apperr.NotFound, "no webhook delivery with ID %d", id)
	}
	return d, err
}
