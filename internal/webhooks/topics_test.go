package webhooks_test

import (
	"slices"
	"testing"

	"stockgraph/internal/webhooks"
	"stockgraph/models"
)

// TestTopicTable checks the one table of topics against the event types:
// every type has its BigCommerce-style topic and back.
func TestTopicTable(t *testing.T) {
	want := map[models.StockEventType]webhooks.Topic{
		models.EventStockChanged:          "store/inventory/stock_changed",
		models.EventLowStock:              "store/inventory/low_stock",
		models.EventOutOfStock:            "store/inventory/out_of_stock",
		models.EventBackInStock:           "store/inventory/back_in_stock",
		models.EventBackorderLimitReached: "store/inventory/backorder_limit_reached",
		models.EventPreorderLimitReached:  "store/inventory/preorder_limit_reached",
		models.EventAvailabilityChanged:   "store/inventory/availability_changed",
		models.EventAllocated:             "store/inventory/allocated",
		models.EventBackordered:           "store/inventory/backordered",
		models.EventPreordered:            "store/inventory/preordered",
		models.EventReleased:              "store/inventory/released",
		models.EventFulfilled:             "store/inventory/fulfilled",
	}
	for _, typ := range models.StockEventTypes {
		topic, ok := webhooks.TopicOf(typ)
		if !ok || topic != want[typ] {
			t.Errorf("TopicOf(%s) = %q, %v, want %q", typ, topic, ok, want[typ])
		}
		if back, ok := webhooks.TypeOf(topic); !ok || back != typ {
			t.Errorf("TypeOf(%s) = %s, %v, want %s", topic, back, ok, typ)
		}
	}
	if got := webhooks.Topics(); len(got) != len(models.StockEventTypes) || !slices.Contains(got, "store/inventory/backorder_limit_reached") {
		t.Errorf("Topics() = %v, want one per event type", got)
	}
	if _, ok := webhooks.TypeOf("store/product/updated"); ok {
		t.Errorf("TypeOf(store/product/updated) = ok, want unknown")
	}
}
