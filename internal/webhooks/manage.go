package webhooks

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/page"
)

// Input is a new webhook as the client gives it.
type Input struct {
	URL    string
	Topics []string
	Filter *Filter
	// Secret is generated when nil.
	Secret *string
}

// Patch changes the fields that are not nil; a Filter replaces the
// webhook's whole filter.
type Patch struct {
	URL    *string
	Topics []string
	Filter *Filter
	Secret *string
}

// Create adds a webhook. It receives the events of transactions that had
// not ended when it was created, and all later ones.
func Create(ctx context.Context, db *gorm.DB, g Guard, storeID int64, in Input) (Webhook, error) {
	w := Webhook{StoreID: storeID, URL: in.URL, Secret: NewSecret(), Status: Active}
	if in.Secret != nil {
		w.Secret = *in.Secret
	}
	if in.Filter != nil {
		w.setFilter(*in.Filter)
	}
	topics, err := checkTopics(in.Topics)
	if err != nil {
		return w, err
	}
	w.Topics = topics
	if err := check(ctx, g, w); err != nil {
		return w, err
	}
	// The position starts at the horizon (the column's default): every
	// event below it committed before now; every event at or above it
	// belongs to a transaction still running or yet to come.
	err = database.Tx(ctx, db, func(tx *gorm.DB) error { return tx.Clauses(clause.Returning{}).Create(&w).Error })
	if err != nil {
		return w, fmt.Errorf("create webhook %s: %w", w.URL, err)
	}
	return w, nil
}

// check validates what a webhook holds, whether new or changed.
func check(ctx context.Context, g Guard, w Webhook) error {
	if err := g.CheckURL(ctx, w.URL); err != nil {
		return err
	}
	_, err := secretKey(w.Secret)
	return err
}

func (w *Webhook) setFilter(f Filter) {
	w.VariantIDs, w.ProductIDs, w.LocationIDs = f.VariantIDs, f.ProductIDs, f.LocationIDs
}

// Update changes a webhook's URL, topics, filter or secret.
func Update(ctx context.Context, db *gorm.DB, g Guard, storeID, id int64, p Patch) (Webhook, error) {
	return change(ctx, db, storeID, id, func(w *Webhook) error {
		if p.URL != nil {
			w.URL = *p.URL
		}
		if p.Secret != nil {
			w.Secret = *p.Secret
		}
		if p.Filter != nil {
			w.setFilter(*p.Filter)
		}
		if p.Topics != nil {
			topics, err := checkTopics(p.Topics)
			if err != nil {
				return err
			}
			w.Topics = topics
		}
		return check(ctx, g, *w)
	})
}

// Pause stops deliveries to a webhook until it is resumed; events go on
// accumulating behind its position meanwhile.
func Pause(ctx context.Context, db *gorm.DB, storeID, id int64) (Webhook, error) {
	return change(ctx, db, storeID, id, func(w *Webhook) error {
		if w.Status == Active {
			w.Status = Paused
		}
		return nil
	})
}

// Resume makes a paused or disabled webhook active again, with a clean
// failure record; it then receives what happened while it was not.
func Resume(ctx context.Context, db *gorm.DB, storeID, id int64) (Webhook, error) {
	return change(ctx, db, storeID, id, func(w *Webhook) error {
		w.Status, w.DisabledReason, w.FailingSince, w.ConsecutiveFailures = Active, "", nil, 0
		return nil
	})
}

// change applies edit to the locked webhook and saves it.
func change(ctx context.Context, db *gorm.DB, storeID, id int64, edit func(*Webhook) error) (Webhook, error) {
	var w Webhook
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		// FOR NO KEY UPDATE waits for a fan-out holding the row, which
		// reads the topics and filter it then fans out by.
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
			Where("store_id = ? AND id = ?", storeID, id).Take(&w).Error; err != nil {
			return notFound(err, id)
		}
		url := w.URL
		if err := edit(&w); err != nil {
			return named(err, url)
		}
		return tx.Select("URL", "Topics", "VariantIDs", "ProductIDs", "LocationIDs", "Secret", "Status",
			"DisabledReason", "FailingSince", "ConsecutiveFailures", "UpdatedAt").Save(&w).Error
	})
	return w, err
}

// Delete removes a webhook and its deliveries.
func Delete(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return database.Tx(ctx, db, func(tx *gorm.DB) error {
		res := tx.Where("store_id = ? AND id = ?", storeID, id).Delete(&Webhook{})
		if res.Error != nil {
			return fmt.Errorf("delete webhook %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return notFound(gorm.ErrRecordNotFound, id)
		}
		return nil
	})
}

// Get returns one of the store's webhooks.
func Get(ctx context.Context, db *gorm.DB, storeID, id int64) (Webhook, error) {
	var w Webhook
	err := db.WithContext(ctx).Where("store_id = ? AND id = ?", storeID, id).Take(&w).Error
	return w, notFound(err, id)
}

// List pages the store's webhooks, oldest first.
func List(ctx context.Context, db *gorm.DB, storeID int64, win page.Window) (page.Page[Webhook], error) {
	cmp, dir := win.Order(false)
	q := db.WithContext(ctx).Where("store_id = ?", storeID)
	if win.From != nil {
		q = q.Where("id "+cmp+" ?", win.From.ID)
	}
	var rows []Webhook
	if err := q.Order("id " + dir).Limit(win.Limit + 1).Find(&rows).Error; err != nil {
		return page.Page[Webhook]{}, fmt.Errorf("list webhooks: %w", err)
	}
	return page.FromRows(rows, win, page.ByID(func(w Webhook) int64 { return w.ID })), nil
}

func notFound(err error, id int64) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.New(apperr.NotFound, "no webhook with ID %d", id)
	}
	if err != nil {
		return fmt.Errorf("load webhook %d: %w", id, err)
	}
	return nil
}

// named starts a client error's message with the webhook's URL, which is
// how the merchant knows it.
func named(err error, url string) error {
	if e, ok := apperr.As(err); ok {
		e.Message = "webhook " + url + ": " + e.Message
		return e
	}
	return err
}
