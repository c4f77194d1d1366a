package webhooks

import (
	"encoding/json"
	"strconv"
	"time"

	"stockgraph/models"
)

// Message is the JSON body of a delivery, in the Standard Webhooks shape:
// the topic as type, the event's time, and the event as data.
type Message struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      EventData `json:"data"`
}

// EventData is a stock event as a webhook receives it. The *Id fields are
// the API's global IDs (as node(id:) takes them), the *EntityId fields the
// same objects' numbers.
type EventData struct {
	ID                    string                `json:"id,omitempty"`
	EntityID              int64                 `json:"entityId"`
	Type                  models.StockEventType `json:"eventType"`
	Cursor                string                `json:"cursor,omitempty"`
	Position              string                `json:"position"`
	InventoryItemID       string                `json:"inventoryItemId,omitempty"`
	InventoryItemEntityID int64                 `json:"inventoryItemEntityId"`
	VariantID             string                `json:"variantId,omitempty"`
	VariantEntityID       int64                 `json:"variantEntityId"`
	ProductID             string                `json:"productId,omitempty"`
	ProductEntityID       int64                 `json:"productEntityId"`
	LocationID            string                `json:"locationId,omitempty"`
	LocationEntityID      int64                 `json:"locationEntityId"`
	Before                models.StockSnapshot  `json:"before"`
	After                 models.StockSnapshot  `json:"after"`
	Reason                string                `json:"reason"`
	Reference             string                `json:"reference"`
	OperationID           string                `json:"operationId"`
	OccurredAt            time.Time             `json:"occurredAt"`
}

// Body is a delivery's JSON body. It depends only on the event, so every
// attempt and redelivery sends the same bytes.
func Body(d Delivery, e models.StockEvent, names Names) ([]byte, error) {
	data := EventData{
		EntityID: e.ID, Type: e.Type, Position: strconv.FormatUint(e.Xid, 10) + "." + strconv.FormatInt(e.ID, 10),
		InventoryItemEntityID: e.ItemID, VariantEntityID: e.VariantID, ProductEntityID: e.ProductID, LocationEntityID: e.LocationID,
		Before: e.Before, After: e.After, Reason: e.Reason, Reference: e.Reference, OperationID: e.OperationID,
		OccurredAt: e.CreatedAt.UTC(),
	}
	if names != nil {
		data.ID, data.Cursor = names.GlobalID("StockEvent", e.ID), names.Cursor(e)
		data.InventoryItemID = names.GlobalID("InventoryItem", e.ItemID)
		data.VariantID, data.ProductID = names.GlobalID("Variant", e.VariantID), names.GlobalID("Product", e.ProductID)
		data.LocationID = names.GlobalID("Location", e.LocationID)
	}
	return json.Marshal(Message{Type: d.Topic, Timestamp: e.CreatedAt.UTC(), Data: data})
}
