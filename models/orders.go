package models

import "time"

// OrderStatus is where an order stands.
type OrderStatus string

// The order statuses: OPEN while any unit is neither fulfilled nor
// cancelled; then FULFILLED when some unit shipped, CANCELLED when none did.
const (
	OrderOpen      OrderStatus = "OPEN"
	OrderFulfilled OrderStatus = "FULFILLED"
	OrderCancelled OrderStatus = "CANCELLED"
)

// Order is a customer's order, sourced from an inventory model.
type Order struct {
	StoreID          int64 `gorm:"primaryKey;autoIncrement:false"`
	ID               int64 `gorm:"primaryKey;<-:false"`
	Reference        string
	InventoryModelID int64
	Status           OrderStatus
	Paid             bool
	ReservationID    *int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ReservationStatus is where a reservation stands; only ACTIVE holds units.
type ReservationStatus string

// The reservation statuses.
const (
	ReservationActive    ReservationStatus = "ACTIVE"
	ReservationConverted ReservationStatus = "CONVERTED"
	ReservationReleased  ReservationStatus = "RELEASED"
	ReservationExpired   ReservationStatus = "EXPIRED"
)

// Reservation holds units for a cart until ExpiresAt.
type Reservation struct {
	StoreID          int64 `gorm:"primaryKey;autoIncrement:false"`
	ID               int64 `gorm:"primaryKey;<-:false"`
	InventoryModelID int64
	Status           ReservationStatus
	Reference        string
	ExpiresAt        time.Time
	EndedAt          *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// OrderLine is a line of an order or of a reservation (and then of the
// order it became). Open units (Quantity − fulfilled − cancelled) are
// held by the line's allocations.
type OrderLine struct {
	StoreID           int64 `gorm:"primaryKey;autoIncrement:false"`
	ID                int64 `gorm:"primaryKey;<-:false"`
	OrderID           *int64
	ReservationID     *int64
	Position          int
	VariantID         int64
	SKU               string `gorm:"column:sku"`
	Quantity          int
	QuantityFulfilled int
	QuantityCancelled int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// QuantityOpen is the line's units neither fulfilled nor cancelled.
func (l OrderLine) QuantityOpen() int { return l.Quantity - l.QuantityFulfilled - l.QuantityCancelled }

// AllocationKind is how an allocation's units are held.
type AllocationKind string

// The allocation kinds.
const (
	// AllocateStock units are committed at the location: they left
	// availableToSell and are still on hand.
	AllocateStock AllocationKind = "STOCK"
	// AllocateBackorder units are backordered at the location.
	AllocateBackorder AllocationKind = "BACKORDER"
	// AllocatePreorder units are preordered at the location.
	AllocatePreorder AllocationKind = "PREORDER"
)

// State is the item's quantity state that holds the kind's open units.
func (k AllocationKind) State() QuantityState {
	switch k {
	case AllocateBackorder:
		return StateBackordered
	case AllocatePreorder:
		return StatePreordered
	}
	return StateCommitted
}

// Allocation says where some of a line's units come from and how.
type Allocation struct {
	StoreID    int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;<-:false"`
	LineID     int64
	LocationID int64
	Kind       AllocationKind
	// Quantity is the open units; fulfilled units have shipped.
	Quantity          int
	QuantityFulfilled int
	// Counted says the units count in the item's levels: false for items
	// not tracked by quantity.
	Counted   bool
	OnHold    bool
	CreatedAt time.Time `gorm:"<-:false"`
	UpdatedAt time.Time `gorm:"<-:false"`
}
