package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// StockEventType is what a stock event says happened.
type StockEventType string

// The stock event types: every change of an item's stock is STOCK_CHANGED;
// the next six are transitions the change caused (see
// inventory.Transitions); the last five are the order steps that changed it.
const (
	EventStockChanged          StockEventType = "STOCK_CHANGED"
	EventLowStock              StockEventType = "LOW_STOCK"
	EventOutOfStock            StockEventType = "OUT_OF_STOCK"
	EventBackInStock           StockEventType = "BACK_IN_STOCK"
	EventBackorderLimitReached StockEventType = "BACKORDER_LIMIT_REACHED"
	EventPreorderLimitReached  StockEventType = "PREORDER_LIMIT_REACHED"
	EventAvailabilityChanged   StockEventType = "AVAILABILITY_CHANGED"
	// The order steps, emitted by the step for each item it changes.
	EventAllocated   StockEventType = "ALLOCATED"
	EventBackordered StockEventType = "BACKORDERED"
	EventPreordered  StockEventType = "PREORDERED"
	EventReleased    StockEventType = "RELEASED"
	EventFulfilled   StockEventType = "FULFILLED"
)

// StockEventTypes are all the types, in the enum's order.
var StockEventTypes = []StockEventType{
	EventStockChanged, EventLowStock, EventOutOfStock, EventBackInStock,
	EventBackorderLimitReached, EventPreorderLimitReached, EventAvailabilityChanged,
	EventAllocated, EventBackordered, EventPreordered, EventReleased, EventFulfilled,
}

// StockEvent is one row of stock_events: a change of one item's stock, or
// a transition it caused, written in the change's transaction.
type StockEvent struct {
	StoreID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID      int64 `gorm:"primaryKey;<-:false"`
	// Xid is the writing transaction's ID; events are ordered by (Xid, ID).
	Xid         uint64 `gorm:"<-:false"`
	Type        StockEventType
	ItemID      int64
	VariantID   int64
	ProductID   int64
	LocationID  int64
	OperationID string
	MovementIDs Int64Array `gorm:"column:movement_ids;type:bigint[]"`
	Reason      string
	Reference   string
	TokenID     *int64
	Before      StockSnapshot `gorm:"type:jsonb"`
	After       StockSnapshot `gorm:"type:jsonb"`
	CreatedAt   time.Time     `gorm:"<-:false"`
}

// StockSnapshot is an item's levels and availability at one moment, as an
// event records them: the quantities of every state and what the rules
// made of them then (the store's switches may change later).
type StockSnapshot struct {
	Quantities            map[QuantityState]int `json:"quantities"`
	AvailableToSell       int                   `json:"availableToSell"`
	AvailableForBackorder int                   `json:"availableForBackorder"`
	AvailableForPreorder  int                   `json:"availableForPreorder"`
	Availability          string                `json:"availability"`
	AvailabilityCode      int                   `json:"availabilityCode"`
}

// Quantity is the snapshot's level in state s.
func (s StockSnapshot) Quantity(st QuantityState) int { return s.Quantities[st] }

// QuantitiesOf returns the item's level in every quantity state.
func QuantitiesOf(it InventoryItem) map[QuantityState]int {
	out := make(map[QuantityState]int, len(QuantityColumns))
	for _, q := range QuantityColumns {
		out[q.State] = *q.field(&it)
	}
	return out
}

// Value stores the snapshot as JSON.
func (s StockSnapshot) Value() (driver.Value, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// Scan reads a snapshot stored as JSON.
func (s *StockSnapshot) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("scan StockSnapshot from %T", src)
	}
	return json.Unmarshal(b, s)
}

// The snapshot's levels by the names the API gives them.
func (s StockSnapshot) OnHand() int         { return s.Quantity(StateOnHand) }
func (s StockSnapshot) Committed() int      { return s.Quantity(StateCommitted) }
func (s StockSnapshot) QtyBackordered() int { return s.Quantity(StateBackordered) }
func (s StockSnapshot) QtyPreordered() int  { return s.Quantity(StatePreordered) }
func (s StockSnapshot) Damaged() int        { return s.Quantity(StateDamaged) }
func (s StockSnapshot) QualityControl() int { return s.Quantity(StateQualityControl) }
func (s StockSnapshot) Incoming() int       { return s.Quantity(StateIncoming) }
