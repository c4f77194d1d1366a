package webhooks

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/models"
)

// fanOutAll turns the committed events of every active webhook into
// deliveries, a batch per webhook; busy says a webhook had more.
func (w *Worker) fanOutAll(ctx context.Context) (busy bool, err error) {
	var hooks []struct{ StoreID, ID int64 }
	if err := w.db.WithContext(ctx).Raw(pendingSQL).Scan(&hooks).Error; err != nil {
		return false, fmt.Errorf("list active webhooks: %w", err)
	}
	heldBack := false
	for _, h := range hooks {
		n, err := w.fanOut(ctx, h.StoreID, h.ID)
		if err != nil {
			return false, err
		}
		busy = busy || n == w.cfg.Batch
		// Events past the position, none final yet (an older transaction
		// still runs), or the webhook held by another worker.
		heldBack = heldBack || n == 0
		if n > 0 {
			w.sendBell.Ring()
		}
	}
	if heldBack && !busy {
		w.retrySoon()
	}
	return busy, nil
}

// retrySoon wakes the fan-out again shortly, once however often it is
// asked: the doorbell rang for events that were not final yet, and may
// not ring again.
func (w *Worker) retrySoon() {
	if w.retrying.CompareAndSwap(false, true) {
		time.AfterFunc(min(w.cfg.Poll, 100*time.Millisecond), func() {
			w.retrying.Store(false)
			w.Wake()
		})
	}
}

// pendingSQL lists the active webhooks whose store has events past their
// position, without locking: an idle webhook costs one index probe a
// poll, and no transaction that would hold the horizon back.
const pendingSQL = `
SELECT w.store_id, w.id FROM webhooks w
WHERE w.status = 'ACTIVE' AND EXISTS (SELECT 1 FROM stock_events e
  WHERE e.store_id = w.store_id AND (e.xid, e.id) > (w.fanout_xid, w.fanout_id))
ORDER BY w.id`

// fanOutRow is a locked webhook with its position.
type fanOutRow struct {
	Webhook
	FanoutXid string
	FanoutID  int64
}

// fanOut moves one webhook's position over its next batch of events,
// inserting their deliveries in the same transaction, and returns how many
// events it read. Another worker holding the webhook skips it.
func (w *Worker) fanOut(ctx context.Context, storeID, id int64) (int, error) {
	n := 0
	err := database.Tx(ctx, w.db, func(tx *gorm.DB) error {
		var row fanOutRow
		res := tx.Raw(`SELECT store_id, id, topics, variant_ids, product_ids, location_ids,
			fanout_xid::text AS fanout_xid, fanout_id FROM webhooks
			WHERE store_id = ? AND id = ? AND status = 'ACTIVE' FOR NO KEY UPDATE SKIP LOCKED`, storeID, id).Scan(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		xid, err := strconv.ParseUint(row.FanoutXid, 10, 64)
		if err != nil {
			return fmt.Errorf("webhook %d position %q: %w", id, row.FanoutXid, err)
		}
		at := events.Position{Xid: xid, ID: row.FanoutID}
		f := row.Filter()
		evs, horizon, err := events.Read(ctx, tx, storeID, events.Filter{
			VariantIDs: f.VariantIDs, ProductIDs: f.ProductIDs, LocationIDs: f.LocationIDs, Types: typesOf(row.Topics),
		}, at, w.cfg.Batch)
		if err != nil {
			return err
		}
		n = len(evs)
		next := at
		if n > 0 {
			next = events.Of(evs[n-1])
		}
		if n < w.cfg.Batch && next.Less(horizon) {
			next = horizon // nothing more below it: resume from there
		}
		if err := insertDeliveries(tx, storeID, id, evs); err != nil {
			return err
		}
		if next == at {
			return nil
		}
		return tx.Exec(`UPDATE webhooks SET fanout_xid = ?::text::xid8, fanout_id = ? WHERE store_id = ? AND id = ?`,
			strconv.FormatUint(next.Xid, 10), next.ID, storeID, id).Error
	})
	if err != nil {
		return 0, fmt.Errorf("fan out webhook %d: %w", id, err)
	}
	return n, nil
}

// insertDeliveries adds one delivery per event, in event order, so that
// delivery IDs keep it. UNIQUE (webhook, event) makes a repeat a no-op.
func insertDeliveries(tx *gorm.DB, storeID, webhookID int64, evs []models.StockEvent) error {
	if len(evs) == 0 {
		return nil
	}
	ids, items := make(database.Int64s, len(evs)), make(database.Int64s, len(evs))
	topics := make(models.StringArray, len(evs))
	for i, e := range evs {
		t, _ := TopicOf(e.Type)
		ids[i], items[i], topics[i] = e.ID, e.ItemID, string(t)
	}
	return tx.Exec(`
		INSERT INTO webhook_deliveries (store_id, webhook_id, event_id, item_id, topic)
		SELECT ?, ?, e.id, e.item_id, e.topic
		FROM unnest(?::bigint[], ?::bigint[], ?::text[]) WITH ORDINALITY AS e(id, item_id, topic, n)
		ORDER BY e.n
		ON CONFLICT DO NOTHING`, storeID, webhookID, ids, items, topics).Error
}
