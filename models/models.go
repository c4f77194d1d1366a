// Package models maps the database tables to Go structs for GORM. The
// structs are plain data: rules live in the domain packages (inventory,
// catalog) and GraphQL binds to these types where their fields fit.
package models

import "time"

// Store is a merchant's store; every other row belongs to one.
type Store struct {
	ID                 int64
	Handle             string
	Name               string
	BackordersEnabled  bool
	PreordersEnabled   bool
	AllowNegativeStock bool
	// DefaultLocationID is where writes that leave out locationId go; nil
	// while the store has no physical location (migration 00012).
	DefaultLocationID *int64
	// RequireExpectedRevision makes expectedRevision mandatory on writes
	// to existing items (Wix).
	RequireExpectedRevision bool
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// LocationType says whether a location holds sellable stock.
type LocationType string

// Physical locations hold stock; virtual ones are the far ends of movements.
const (
	LocationStore     LocationType = "STORE"
	LocationWarehouse LocationType = "WAREHOUSE"
	LocationSupplier  LocationType = "SUPPLIER"
	LocationSold      LocationType = "SOLD"
	LocationBin       LocationType = "BIN"
)

// IsPhysical reports whether stock at a location of this type can be sold.
func (t LocationType) IsPhysical() bool {
	return t == LocationStore || t == LocationWarehouse
}

// Location is a place stock is counted at.
type Location struct {
	StoreID      int64 `gorm:"primaryKey;autoIncrement:false"`
	ID           int64 `gorm:"primaryKey;<-:false"`
	Code         string
	Name         string
	Type         LocationType
	Enabled      bool
	Priority     int
	OnHold       bool
	AddressLine1 string
	AddressLine2 string
	City         string
	Region       string
	PostalCode   string
	CountryCode  string
	Phone        string
	Email        string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Product groups the variants that are sold.
type Product struct {
	StoreID     int64 `gorm:"primaryKey;autoIncrement:false"`
	ID          int64 `gorm:"primaryKey;<-:false"`
	Name        string
	SKU         string `gorm:"column:sku"`
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Variant is the sellable unit; its SKU is unique within the store.
type Variant struct {
	StoreID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ID        int64 `gorm:"primaryKey;<-:false"`
	ProductID int64
	SKU       string `gorm:"column:sku"`
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TrackingMode says how an inventory item is counted.
type TrackingMode string

// The tracking modes.
const (
	TrackQuantity  TrackingMode = "QUANTITY"
	TrackStatus    TrackingMode = "STATUS"
	TrackUntracked TrackingMode = "UNTRACKED"
)

// InventoryItem is the stock of one variant at one location.
type InventoryItem struct {
	StoreID          int64 `gorm:"primaryKey;autoIncrement:false"`
	ID               int64 `gorm:"primaryKey;<-:false"`
	VariantID        int64
	LocationID       int64
	OnHand           int
	Committed        int
	QtyBackordered   int
	SafetyStock      int
	WarningLevel     int
	BackorderLimit   int
	BinPickingNumber string
	TrackingMode     TrackingMode
	IsInStock        bool
	Revision         int64
	Reference        string
	Metadata         JSONObject `gorm:"type:jsonb"`
	CreatedAt        time.Time
	UpdatedAt        time.Time

	// Quantity states besides on hand.
	Damaged        int
	QualityControl int
	Incoming       int
	NextIncomingAt *time.Time

	// Backorder and preorder settings (Oracle, Wix).
	BackorderThreshold int
	PreorderEnabled    bool
	PreorderLimit      int
	PreorderThreshold  int
	QtyPreordered      int
	PreorderMessage    string
	AvailabilityDate   *time.Time
}

// QuantityState names one of the quantities an item holds.
type QuantityState string

// The quantity states. OnHand is the sellable pool.
const (
	StateOnHand         QuantityState = "ON_HAND"
	StateBackordered    QuantityState = "BACKORDERED"
	StateDamaged        QuantityState = "DAMAGED"
	StateQualityControl QuantityState = "QUALITY_CONTROL"
	StateIncoming       QuantityState = "INCOMING"
	StateCommitted      QuantityState = "COMMITTED"
	StatePreordered     QuantityState = "PREORDERED"
)

// Movement is one entry of the ledger: Quantity units moved from one
// location and state to another.
type Movement struct {
	StoreID        int64 `gorm:"primaryKey;autoIncrement:false"`
	ID             int64 `gorm:"primaryKey;<-:false"`
	OperationID    string
	VariantID      int64
	FromLocationID int64
	FromState      QuantityState
	ToLocationID   int64
	ToState        QuantityState
	Quantity       int
	Reason         string
	Reference      string
	IdempotencyKey *string
	TokenID        *int64
	FromBalance    *int
	ToBalance      *int
	CreatedAt      time.Time `gorm:"<-:false"`
}

// TableName names the ledger's table.
func (Movement) TableName() string { return "inventory_movements" }

// APIToken grants a store's data to whoever holds the token. Only the
// token's SHA-256 hash is stored.
type APIToken struct {
	StoreID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ID        int64 `gorm:"primaryKey;<-:false"`
	Name      string
	TokenHash []byte
	Scopes    StringArray `gorm:"type:text[]"`
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

// TableName keeps GORM from naming the table "api_tokens" differently.
func (APIToken) TableName() string { return "api_tokens" }

// Node is any object that has a global ID; GraphQL's Node interface binds
// to it, and the resolvers return the structs above through it.
type Node interface{}

// InventoryModel ranks the store's locations for orders (Commerce Layer);
// one per store is the default, used when an order names none.
type InventoryModel struct {
	StoreID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ID        int64 `gorm:"primaryKey;<-:false"`
	Name      string
	Reference string
	Metadata  JSONObject `gorm:"type:jsonb"`
	IsDefault bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StockLevel puts a location in an inventory model with a priority (ship
// from the highest first) and whether shipments from it are held.
type StockLevel struct {
	StoreID          int64 `gorm:"primaryKey;autoIncrement:false"`
	ID               int64 `gorm:"primaryKey;<-:false"`
	InventoryModelID int64
	LocationID       int64
	Priority         int
	OnHold           bool
	Reference        string
	Metadata         JSONObject `gorm:"type:jsonb"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// AuditEntry is one change of the catalog, the store's configuration, a
// webhook or a token, as the audit log's triggers recorded it.
type AuditEntry struct {
	StoreID int64 `gorm:"primaryKey;autoIncrement:false"`
	ID      int64 `gorm:"primaryKey;<-:false"`
	// TokenID is the API token whose request made the change; nil for the
	// command line or the server itself.
	TokenID   *int64
	Action    string
	Subject   string
	SubjectID int64
	Changes   JSONObject `gorm:"type:jsonb"`
	CreatedAt time.Time
}

// TableName is the audit log's table.
func (AuditEntry) TableName() string { return "audit_log" }
