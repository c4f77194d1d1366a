package api

import (
	"stockgraph/graph"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/events"
	"stockgraph/internal/webhooks"
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

// webhookComplexity prices the webhook connections as complexity prices
// the others.
func webhookComplexity(c *graph.ComplexityRoot) {
	c.Query.Webhooks = func(child int, first *int, _ *string) int { return pageCost(child, first, nil) }
	c.Query.WebhookDeliveries = func(child int, _ string, _ *webhooks.DeliveryStatus, first *int, _ *string) int {
		return pageCost(child, first, nil)
	}
	c.Webhook.Deliveries = func(child int, _ *webhooks.DeliveryStatus, first *int, _ *string) int {
		return pageCost(child, first, nil)
	}
	c.WebhookDelivery.AttemptLog = func(child int, first *int) int {
		n := 25
		if first != nil {
			n = *first
		}
		return 1 + max(n, 1)*child
	}
}
