package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/models"
)

// claimSQL leases the due deliveries that are first in line for their
// webhook and item: a delivery waits while an earlier one of the same
// item is pending. Stores whose buckets cannot pay an attempt now (the
// first parameter) are left alone. The lease (next_attempt_at moved past
// the attempt's timeout) keeps other workers off it; if this worker dies,
// the lease ends and another tries again, with the same webhook-id. It
// returns what the claim changed, for putBack to undo.
const claimSQL = `
WITH due AS (
  SELECT d.store_id, d.id, d.next_attempt_at AS due_at, d.last_attempt_at AS previous_attempt_at
  FROM webhook_deliveries d
  JOIN webhooks w ON w.store_id = d.store_id AND w.id = d.webhook_id
  WHERE d.status = 'PENDING' AND d.next_attempt_at <= now() AND w.status = 'ACTIVE'
    AND d.store_id <> ALL(?::bigint[])
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
      WHERE e.webhook_id = d.webhook_id AND e.item_id = d.item_id AND e.status = 'PENDING' AND e.id < d.id)
  ORDER BY d.next_attempt_at, d.id
  LIMIT ?
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d
SET next_attempt_at = now() + ? * interval '1 millisecond', attempts = d.attempts + 1,
    round_attempts = d.round_attempts + 1, last_attempt_at = now()
FROM due, webhooks w
WHERE d.store_id = due.store_id AND d.id = due.id AND w.store_id = d.store_id AND w.id = d.webhook_id
RETURNING d.*, w.url AS webhook_url, w.secret AS webhook_secret,
  (w.failing_since IS NOT NULL OR w.consecutive_failures > 0) AS webhook_failing,
  due.due_at, due.previous_attempt_at`

// claimed is a leased delivery with what sending it needs of its webhook.
type claimed struct {
	Delivery
	WebhookURL     string
	WebhookSecret  string
	WebhookFailing bool
	// DueAt and PreviousAttemptAt are the delivery's next_attempt_at and
	// last_attempt_at before the claim.
	DueAt             time.Time
	PreviousAttemptAt *time.Time
}

// sendDue claims one due delivery of a store whose bucket can pay for it,
// and sends it; busy says it found one.
func (w *Worker) sendDue(ctx context.Context) (busy bool, err error) {
	ds, busy, err := w.claim(ctx)
	if err != nil {
		return false, err
	}
	for _, d := range ds {
		if err := w.deliver(ctx, d); err != nil {
			return false, err
		}
	}
	return busy, nil
}

// claim leases one due delivery and takes its attempt's point from its
// store's bucket, or puts it back when the bucket cannot pay (then ds is
// empty and busy true). A store is only claimed from when its bucket holds
// a point for each claim this worker has in flight (up to the bucket's
// size), so that concurrent senders cannot claim more of its deliveries
// than it can pay: few are put back.
func (w *Worker) claim(ctx context.Context) (ds []claimed, busy bool, err error) {
	inFlight := w.claiming.Add(1)
	defer w.claiming.Add(-1)
	lease := 2*w.cfg.Timeout + time.Second // the attempt, then time to record it
	unpaid := w.unpaid(min(float64(inFlight), w.cfg.Throttle.Size))
	var got []claimed
	if err := w.db.WithContext(ctx).Raw(claimSQL, unpaid, 1, lease.Milliseconds()).Scan(&got).Error; err != nil {
		return nil, false, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	for _, d := range got {
		if _, ok := w.stores.Take(storeKey(d.StoreID), 1); !ok {
			if err := w.putBack(ctx, d); err != nil {
				return nil, false, err
			}
			continue
		}
		ds = append(ds, d)
	}
	return ds, len(got) > 0, nil
}

// unpaid are the stores whose buckets hold less than points now.
func (w *Worker) unpaid(points float64) models.Int64Array {
	var ids models.Int64Array
	for _, key := range w.stores.Below(points) {
		if id, err := strconv.ParseInt(key, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

func storeKey(storeID int64) string { return strconv.FormatInt(storeID, 10) }

// putBackSQL undoes a claim that was not attempted: the delivery is due
// again as before, its attempts uncounted, so another sender (or this one
// once the store's bucket restores) sends it in its turn.
const putBackSQL = `
UPDATE webhook_deliveries SET attempts = attempts - 1, round_attempts = round_attempts - 1,
  next_attempt_at = @due, last_attempt_at = @previous
WHERE store_id = @store AND id = @id AND attempts = @attempts`

// putBack releases a claimed delivery that its store's bucket cannot pay.
func (w *Worker) putBack(ctx context.Context, c claimed) error {
	if w.cfg.OnThrottled != nil {
		w.cfg.OnThrottled()
	}
	// A delivery claimed must be put back even while the worker stops,
	// or its lease holds it until it runs out; but not for ever.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := w.db.WithContext(ctx).Exec(putBackSQL, map[string]any{
		"due": c.DueAt, "previous": c.PreviousAttemptAt, "store": c.StoreID, "id": c.ID, "attempts": c.Attempts,
	}).Error
	if err != nil {
		return fmt.Errorf("put back delivery %d: %w", c.ID, err)
	}
	return nil
}

// deliver sends one claimed delivery and records the attempt.
func (w *Worker) deliver(ctx context.Context, c claimed) error {
	d := c.Delivery
	hook := Webhook{StoreID: d.StoreID, ID: d.WebhookID, URL: c.WebhookURL, Secret: c.WebhookSecret}
	evs, err := events.ByIDs(ctx, w.db, d.StoreID, []int64{d.EventID})
	if err != nil {
		return err
	}
	body, err := Body(d, evs[d.EventID], w.cfg.Names)
	if err != nil {
		return err
	}
	res := w.post(ctx, hook, d.MessageID, body)
	if ctx.Err() != nil && !res.ok() {
		return nil // cut short by shutdown: the lease runs out and the delivery is tried again
	}
	if w.cfg.OnAttempt != nil {
		w.cfg.OnAttempt(w.statusAfter(d, res))
	}
	// A success is recorded even while shutting down, so that it is not
	// sent again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if res.ok() && !c.WebhookFailing {
		// The common case leaves the webhook's failure record alone: one
		// statement records the attempt and the success.
		_, err := w.saveAttempt(w.db.WithContext(ctx), d, res, Succeeded)
		return err
	}
	return w.record(ctx, hook, d, res)
}

// outcome is what one attempt got.
type outcome struct {
	started  time.Time
	status   *int
	latency  time.Duration
	response string
	err      string
}

func (o outcome) ok() bool { return o.status != nil && *o.status >= 200 && *o.status < 300 }

// post sends a signed delivery once.
func (w *Worker) post(ctx context.Context, hook Webhook, msgID string, body []byte) outcome {
	o := outcome{started: time.Now()}
	sig, err := Signature(hook.Secret, msgID, o.started.Unix(), body)
	if err != nil {
		o.err = err.Error()
		return o
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		o.err = err.Error()
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "stockgraph-webhooks/1")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(o.started.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.client.Do(req)
	o.latency = time.Since(o.started)
	if err != nil {
		o.err = truncate(err.Error(), w.cfg.MaxResponse)
		return o
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, int64(w.cfg.MaxResponse)))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	o.status, o.response = &resp.StatusCode, truncate(string(got), w.cfg.MaxResponse)
	if !o.ok() {
		o.err = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return o
}

// record saves an attempt: the delivery succeeded, waits for its next
// attempt, or has finally failed; the webhook's failure record follows in
// the same transaction.
func (w *Worker) record(ctx context.Context, hook Webhook, d Delivery, o outcome) error {
	status := w.statusAfter(d, o)
	return database.Tx(ctx, w.db, func(tx *gorm.DB) error {
		saved, err := w.saveAttempt(tx, d, o, status)
		if err != nil || !saved {
			return err
		}
		return w.track(tx, hook, status, o)
	})
}

// statusAfter is the delivery's status after an attempt with outcome o.
func (w *Worker) statusAfter(d Delivery, o outcome) DeliveryStatus {
	switch {
	case o.ok():
		return Succeeded
	case d.RoundAttempts > len(w.cfg.Schedule):
		return Failed
	}
	return Pending
}

// saveAttemptSQL adds the attempt's row and updates the delivery, in one
// statement. Only the attempt that holds the lease saves (attempts is
// unchanged since the claim), so a late answer cannot overwrite a newer
// attempt's; the attempt row is then kept all the same.
const saveAttemptSQL = `
WITH attempt AS (
  INSERT INTO webhook_attempts (store_id, delivery_id, attempt, started_at, status_code, latency_ms, response, error)
  VALUES (@store, @id, @attempts, @started, @code, @ms, @response, @error)
  ON CONFLICT DO NOTHING
)
UPDATE webhook_deliveries SET status = @status, next_attempt_at = @next, last_status_code = @code,
  last_latency_ms = @ms, last_response = @response, last_error = @error,
  delivered_at = CASE WHEN @status = 'SUCCEEDED' THEN now() ELSE delivered_at END
WHERE store_id = @store AND id = @id AND attempts = @attempts`

// saveAttempt records an attempt with the delivery's new status; saved
// says the delivery was still this attempt's to update.
func (w *Worker) saveAttempt(db *gorm.DB, d Delivery, o outcome, status DeliveryStatus) (saved bool, err error) {
	res := db.Exec(saveAttemptSQL, map[string]any{
		"store": d.StoreID, "id": d.ID, "attempts": d.Attempts, "started": o.started, "code": o.status,
		"ms": int(o.latency.Milliseconds()), "response": o.response, "error": o.err, "status": string(status),
		"next": time.Now().Add(w.cfg.delay(max(d.RoundAttempts, 1))),
	})
	if res.Error != nil {
		return false, fmt.Errorf("record attempt %d of delivery %d: %w", d.Attempts, d.ID, res.Error)
	}
	return res.RowsAffected > 0, nil
}
