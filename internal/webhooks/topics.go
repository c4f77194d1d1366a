package webhooks

import (
	"slices"

	"stockgraph/internal/apperr"
	"stockgraph/models"
)

// Topic names what a webhook subscribes to, the way BigCommerce names its
// webhook scopes (store/inventory/...); each stands for one stock event type.
type Topic string

// topics maps every topic to its event type, once, in the enum's order.
var topics = []struct {
	Topic Topic
	Type  models.StockEventType
}{
	{"store/inventory/stock_changed", models.EventStockChanged},
	{"store/inventory/low_stock", models.EventLowStock},
	{"store/inventory/out_of_stock", models.EventOutOfStock},
	{"store/inventory/back_in_stock", models.EventBackInStock},
	{"store/inventory/backorder_limit_reached", models.EventBackorderLimitReached},
	{"store/inventory/preorder_limit_reached", models.EventPreorderLimitReached},
	{"store/inventory/availability_changed", models.EventAvailabilityChanged},
	{"store/inventory/allocated", models.EventAllocated},
	{"store/inventory/backordered", models.EventBackordered},
	{"store/inventory/preordered", models.EventPreordered},
	{"store/inventory/released", models.EventReleased},
	{"store/inventory/fulfilled", models.EventFulfilled},
}

// Topics lists every topic.
func Topics() []Topic {
	out := make([]Topic, len(topics))
	for i, t := range topics {
		out[i] = t.Topic
	}
	return out
}

// TopicOf is the topic of an event type.
func TopicOf(t models.StockEventType) (Topic, bool) {
	for _, row := range topics {
		if row.Type == t {
			return row.Topic, true
		}
	}
	return "", false
}

// TypeOf is the event type of a topic.
func TypeOf(t Topic) (models.StockEventType, bool) {
	for _, row := range topics {
		if row.Topic == t {
			return row.Type, true
		}
	}
	return "", false
}

// typesOf turns stored topics into the event types to read.
func typesOf(ts []string) []models.StockEventType {
	out := make([]models.StockEventType, 0, len(ts))
	for _, t := range ts {
		if typ, ok := TypeOf(Topic(t)); ok {
			out = append(out, typ)
		}
	}
	return out
}

// checkTopics refuses an empty list and unknown topics, and drops
// repeats, keeping the client's order.
func checkTopics(ts []string) ([]string, error) {
	if len(ts) == 0 {
		return nil, apperr.New(apperr.BadUserInput, "topics must name at least one topic, such as %s", topics[0].Topic).WithField("input.topics")
	}
	var out []string
	for i, t := range ts {
		if _, ok := TypeOf(Topic(t)); !ok {
			return nil, apperr.New(apperr.BadUserInput, "topic %q is not one of %v", t, Topics()).WithField("input.topics").WithIndex(i)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}
