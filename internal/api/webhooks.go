package api

import (
	"encoding/base64"
	"strconv"

	"stockgraph/internal/api/relay"
	"stockgraph/models"
)

// WebhookNames gives webhook bodies the API's global IDs and event
// cursors, so that a receiver can look an object up, or resume a
// subscription, from what it received.
type WebhookNames struct{}

// GlobalID is relay.ID.
func (WebhookNames) GlobalID(kind string, id int64) string { return relay.ID(relay.Kind(kind), id) }

// Cursor is the event's cursor, as StockEvent.cursor gives it.
// TODO(merge): relay.EncodeEventCursor(events.Of(e)) from the
// subscriptions branch, which this spells out meanwhile.
func (WebhookNames) Cursor(e models.StockEvent) string {
	raw := "E:" + strconv.FormatUint(e.Xid, 10) + ":" + strconv.FormatInt(e.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}
