package webhooks

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// track keeps the webhook's failure record after an attempt: a success
// clears it; a failure starts it, counts a final failure, and disables
// the webhook once it has failed for Config.DisableAfter or
// DisableAfterFailures deliveries in a row.
func (w *Worker) track(tx *gorm.DB, hook Webhook, status DeliveryStatus, o outcome) error {
	if status == Succeeded {
		return tx.Exec(`UPDATE webhooks SET failing_since = NULL, consecutive_failures = 0
			WHERE store_id = ? AND id = ? AND (failing_since IS NOT NULL OR consecutive_failures > 0)`,
			hook.StoreID, hook.ID).Error
	}
	final := 0
	if status == Failed {
		final = 1
	}
	var now struct {
		FailingSince        time.Time
		ConsecutiveFailures int
		Status              Status
	}
	err := tx.Raw(`UPDATE webhooks SET failing_since = coalesce(failing_since, now()),
			consecutive_failures = consecutive_failures + ?
		WHERE store_id = ? AND id = ?
		RETURNING failing_since, consecutive_failures, status`, final, hook.StoreID, hook.ID).Scan(&now).Error
	if err != nil || now.Status != Active {
		return err
	}
	var reason string
	switch failingFor := time.Since(now.FailingSince); {
	case failingFor >= w.cfg.DisableAfter:
		reason = fmt.Sprintf("every delivery to %s has failed since %s (%s); disabled after %s",
			hook.URL, now.FailingSince.UTC().Format(time.RFC3339), o.err, w.cfg.DisableAfter)
	case w.cfg.DisableAfterFailures > 0 && now.ConsecutiveFailures >= w.cfg.DisableAfterFailures:
		reason = fmt.Sprintf("the last %d deliveries to %s failed (%s)", now.ConsecutiveFailures, hook.URL, o.err)
	default:
		return nil
	}
	w.cfg.Logger.Warn("webhook disabled", "webhook", hook.ID, "reason", reason)
	return tx.Exec(`UPDATE webhooks SET status = 'DISABLED', disabled_reason = ?, updated_at = now()
		WHERE store_id = ? AND id = ?`, reason, hook.StoreID, hook.ID).Error
}
