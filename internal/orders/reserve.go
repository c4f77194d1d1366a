package orders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// Reservation limits: a cart holds units for a second at least and a week
// at most; fifteen minutes unless it says.
const (
	MinTTL     = time.Second
	MaxTTL     = 7 * 24 * time.Hour
	DefaultTTL = 15 * time.Minute
)

// NewReservation is what reserveStock takes.
type NewReservation struct {
	Reference        string
	InventoryModelID int64
	Lines            []LineInput
	TTL              time.Duration
	AllowBackorder   bool
	AllowPreorder    bool
	IdempotencyKey   string `json:"-"`
}

// Reserve holds the lines' units for a cart, sourced exactly as an order
// would be, until the reservation lapses (ExpireDue lets the units go by
// itself), is released, or becomes an order (CreateOrder with its ID).
func Reserve(ctx context.Context, db *gorm.DB, actor inventory.Actor, in NewReservation) (Result[models.Reservation], error) {
	in.Reference = strings.TrimSpace(in.Reference)
	if in.TTL == 0 {
		in.TTL = DefaultTTL
	}
	if in.TTL < MinTTL || in.TTL > MaxTTL {
		return Result[models.Reservation]{}, apperr.New(apperr.BadUserInput, "ttlSeconds %d is outside %d to %d",
			int(in.TTL/time.Second), int(MinTTL/time.Second), int(MaxTTL/time.Second)).WithField("ttlSeconds")
	}
	if err := validateLines(in.Lines, in.Reference); err != nil {
		return Result[models.Reservation]{}, err
	}
	id, replayed, err := run(ctx, db, actor.Store.ID, in.IdempotencyKey, "reserveStock", in, func(tx *gorm.DB) (int64, error) {
		return reserve(ctx, tx, actor, in)
	})
	if err != nil {
		return Result[models.Reservation]{}, err
	}
	r, err := GetReservation(ctx, db, actor.Store.ID, id)
	return Result[models.Reservation]{Value: r, Replayed: replayed}, err
}

func reserve(ctx context.Context, tx *gorm.DB, actor inventory.Actor, in NewReservation) (int64, error) {
	a, err := allocate(ctx, tx, actor, in.InventoryModelID, in.Lines, Options{AllowBackorder: in.AllowBackorder, AllowPreorder: in.AllowPreorder})
	if err != nil {
		return 0, err
	}
	r := models.Reservation{StoreID: actor.Store.ID, InventoryModelID: a.model.ID, Status: models.ReservationActive, Reference: in.Reference}
	// The database's clock decides when it lapses, as it decides when
	// ExpireDue finds it due.
	err = tx.WithContext(ctx).Raw(`
		INSERT INTO reservations (store_id, inventory_model_id, reference, expires_at)
		VALUES (?, ?, ?, now() + ? * interval '1 microsecond') RETURNING id`,
		r.StoreID, r.InventoryModelID, r.Reference, in.TTL.Microseconds()).Scan(&r.ID).Error
	if err != nil {
		return 0, fmt.Errorf("create reservation: %w", err)
	}
	if err := a.insertLines(ctx, tx, nil, &r.ID); err != nil {
		return 0, err
	}
	if _, _, err := a.sale.Record(a.shifts(), "reserveStock", reservationRef(r.ID), in.IdempotencyKey); err != nil {
		return 0, err
	}
	return r.ID, nil
}

// ReleaseReservation lets an active reservation's units go now.
func ReleaseReservation(ctx context.Context, db *gorm.DB, actor inventory.Actor, id int64) (models.Reservation, error) {
	err := database.RetryTx(ctx, db, retries, func(tx *gorm.DB) error {
		r, err := lockReservation(ctx, tx, actor.Store.ID, id, "id")
		if err != nil {
			return err
		}
		if err := r.active(); err != nil {
			return err.WithField("id")
		}
		return endHolding(ctx, tx, actor, r, models.ReservationReleased)
	})
	if err != nil {
		return models.Reservation{}, err
	}
	return GetReservation(ctx, db, actor.Store.ID, id)
}

// reservationRow is a locked reservation.
type reservationRow struct {
	models.Reservation
	// Due: the database's clock is past expires_at.
	Due bool
}

// active returns RESERVATION_ENDED unless the reservation still holds
// its units: ACTIVE and not due.
func (r reservationRow) active() *apperr.Error {
	status := r.Status
	if status == models.ReservationActive && r.Due {
		status = models.ReservationExpired
	}
	if status == models.ReservationActive {
		return nil
	}
	return apperr.New(apperr.ReservationEnded, "reservation %d is %s; its units are no longer held", r.ID, status).
		With("status", string(status))
}

// lockReservation reads a reservation FOR UPDATE, with whether it is due
// by the database's clock; field is the input that named it.
func lockReservation(ctx context.Context, tx *gorm.DB, storeID, id int64, field string) (reservationRow, error) {
	var rows []reservationRow
	err := tx.WithContext(ctx).Raw(`SELECT *, expires_at <= now() AS due FROM reservations WHERE store_id = ? AND id = ? FOR UPDATE`,
		storeID, id).Scan(&rows).Error
	switch {
	case err != nil:
		return reservationRow{}, fmt.Errorf("lock reservation %d: %w", id, err)
	case len(rows) == 0:
		return reservationRow{}, apperr.New(apperr.NotFound, "no reservation with ID %d", id).WithField(field)
	}
	return rows[0], nil
}

// endReservation sets a reservation's final status.
func endReservation(ctx context.Context, tx *gorm.DB, r reservationRow, status models.ReservationStatus) error {
	err := tx.WithContext(ctx).Model(&models.Reservation{}).Where("store_id = ? AND id = ?", r.StoreID, r.ID).
		Updates(map[string]any{"status": status, "ended_at": gorm.Expr("now()"), "updated_at": gorm.Expr("now()")}).Error
	if err != nil {
		return fmt.Errorf("end reservation %d: %w", r.ID, err)
	}
	return nil
}

// endHolding lets every unit of a locked, active reservation go and ends
// it with the status.
func endHolding(ctx context.Context, tx *gorm.DB, actor inventory.Actor, r reservationRow, status models.ReservationStatus) error {
	h, err := loadHolding(ctx, tx, r.StoreID, "reservation_id", r.ID)
	if err != nil {
		return err
	}
	sale, items, err := h.startSale(ctx, tx, actor)
	if err != nil {
		return err
	}
	h.releaseAll(items)
	reason := "releaseReservation"
	if status == models.ReservationExpired {
		reason = "reservationExpired"
	}
	if _, _, err := sale.Record(h.shifts, reason, reservationRef(r.ID), ""); err != nil {
		return err
	}
	if err := h.save(ctx, tx, r.StoreID); err != nil {
		return err
	}
	return endReservation(ctx, tx, r, status)
}

// ExpireDue lets the units of up to limit reservations that are due go,
// each in its own transaction, and returns how many it ended. Several
// servers may run it at once: a reservation another one is ending, or an
// order is converting, is skipped (SKIP LOCKED) and, if still due, ended
// by the next run. Its row lock makes the units come back exactly once.
func ExpireDue(ctx context.Context, db *gorm.DB, limit int) (int, error) {
	var due []struct{ StoreID, ID int64 }
	err := db.WithContext(ctx).Raw(`SELECT store_id, id FROM reservations WHERE status = 'ACTIVE' AND expires_at <= now()
		ORDER BY expires_at LIMIT ?`, limit).Scan(&due).Error
	if err != nil {
		return 0, fmt.Errorf("find reservations due: %w", err)
	}
	ended := 0
	for _, d := range due {
		ok, err := expireOne(ctx, db, d.StoreID, d.ID)
		if err != nil {
			return ended, err
		}
		if ok {
			ended++
		}
	}
	return ended, nil
}

// expireOne ends one reservation if it is still active and due.
func expireOne(ctx context.Context, db *gorm.DB, storeID, id int64) (bool, error) {
	ended := false
	err := database.RetryTx(ctx, db, retries, func(tx *gorm.DB) error {
		ended = false
		var rows []reservationRow
		err := tx.WithContext(ctx).Raw(`SELECT *, true AS due FROM reservations
			WHERE store_id = ? AND id = ? AND status = 'ACTIVE' AND expires_at <= now() FOR UPDATE SKIP LOCKED`, storeID, id).Scan(&rows).Error
		if err != nil || len(rows) == 0 {
			return err
		}
		ended = true
		return endHolding(ctx, tx, inventory.Actor{Store: models.Store{ID: storeID}}, rows[0], models.ReservationExpired)
	})
	if err != nil {
		return false, fmt.Errorf("expire reservation %d: %w", id, err)
	}
	return ended, nil
}

// RunExpirer ends due reservations every interval until ctx ends: the
// server runs it, so reservations lapse with no job for the merchant to
// schedule. expired, when not nil, hears how many each pass ended.
func RunExpirer(ctx context.Context, db *gorm.DB, interval time.Duration, logger *slog.Logger, expired func(n int)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := ExpireDue(ctx, db, 100)
			if err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("expire reservations", "err", err)
			}
			if expired != nil && n > 0 {
				expired(n)
			}
			if err != nil || n < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// GetReservation reads one reservation of the store.
func GetReservation(ctx context.Context, db *gorm.DB, storeID, id int64) (models.Reservation, error) {
	return get[models.Reservation](ctx, db, storeID, id, "reservation")
}
