package api

import (
	"stockgraph/internal/api/relay"
	"stockgraph/internal/events"
	"stockgraph/models"
)

// WebhookNames gives webhook bodies the API's global IDs and event
// cursors, so that a receiver can look an object up, or resume a
// subscription, from what it received.
type WebhookNames struct{}

// GlobalID is relay.ID.
func (WebhookNames) GlobalID(kind string, id int64) string { return relay.ID(relay.Kind(kind), id) }

// Cursor is the event's cursor, as StockEvent.cursor gives it.
func (WebhookNames) Cursor(e models.StockEvent) string {
	return relay.EncodeEventCursor(events.Of(e))
}
