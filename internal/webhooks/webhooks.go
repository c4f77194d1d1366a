// Package webhooks owns webhooks: the subscriptions of a URL to topics of
// the store's stock events, their Standard Webhooks signing, and the
// durable delivery of the events to them.
//
// Deliveries are derived from the stock_events table, never queued in
// memory. The fan-out (fanout.go) locks one webhook row at a time, reads
// its store's events past the webhook's position with events.Read,
// inserts one delivery per matching event and moves the position on, all
// in one transaction; a crash loses nothing and repeats nothing. The
// sender (send.go) leases due deliveries with FOR UPDATE SKIP LOCKED, so
// that several replicas share the work and each delivery goes to one of
// them at a time, posts them signed, and records each attempt. Per webhook
// and item, a delivery waits until the ones before it have succeeded or
// finally failed, so a receiver sees an item's events in order. Each
// attempt takes a point of its store's bucket (Config.Throttle), so that
// one store flooding its webhooks does not hold up the others'.
package webhooks

import (
	"database/sql/driver"
	"strings"
	"time"

	"stockgraph/models"
)

// Status is a webhook's state.
type Status string

// The webhook states: only ACTIVE webhooks receive deliveries. PAUSED and
// DISABLED ones keep their position, so resuming them sends what happened
// meanwhile.
const (
	Active   Status = "ACTIVE"
	Paused   Status = "PAUSED"
	Disabled Status = "DISABLED"
)

// DeliveryStatus is a delivery's state.
type DeliveryStatus string

// The delivery states.
const (
	Pending   DeliveryStatus = "PENDING"
	Succeeded DeliveryStatus = "SUCCEEDED"
	Failed    DeliveryStatus = "FAILED"
)

// Filter narrows a webhook's events as a subscription's filter does; a nil
// list lets every value through.
type Filter struct {
	VariantIDs  []int64
	ProductIDs  []int64
	LocationIDs []int64
}

// Webhook is one row of webhooks.
type Webhook struct {
	StoreID             int64 `gorm:"primaryKey;autoIncrement:false"`
	ID                  int64 `gorm:"primaryKey;<-:false"`
	URL                 string
	Topics              models.StringArray `gorm:"type:text[]"`
	VariantIDs          idList             `gorm:"type:bigint[]"`
	ProductIDs          idList             `gorm:"type:bigint[]"`
	LocationIDs         idList             `gorm:"type:bigint[]"`
	Secret              string
	Status              Status
	DisabledReason      string
	FailingSince        *time.Time
	ConsecutiveFailures int
	CreatedAt           time.Time `gorm:"<-:create"`
	UpdatedAt           time.Time
}

// Filter is the webhook's filter.
func (w Webhook) Filter() Filter {
	return Filter{VariantIDs: w.VariantIDs, ProductIDs: w.ProductIDs, LocationIDs: w.LocationIDs}
}

// Delivery is one event on its way to one webhook.
type Delivery struct {
	StoreID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ID        int64 `gorm:"primaryKey;<-:false"`
	WebhookID int64
	EventID   int64
	ItemID    int64
	Topic     string
	// MessageID is the webhook-id header, the same on every attempt.
	MessageID      string `gorm:"<-:false"`
	Status         DeliveryStatus
	Attempts       int
	RoundAttempts  int
	NextAttemptAt  time.Time
	LastAttemptAt  *time.Time
	LastStatusCode *int
	LastLatencyMs  *int
	LastResponse   string
	LastError      string
	CreatedAt      time.Time `gorm:"<-:false"`
	DeliveredAt    *time.Time
}

// TableName is webhook_deliveries.
func (Delivery) TableName() string { return "webhook_deliveries" }

// Attempt is one attempt to deliver, as webhook_attempts records it.
type Attempt struct {
	StoreID    int64
	DeliveryID int64
	Attempt    int
	StartedAt  time.Time
	StatusCode *int
	LatencyMs  int
	Response   string
	Error      string
}

// TableName is webhook_attempts.
func (Attempt) TableName() string { return "webhook_attempts" }

// idList is a bigint[] column where NULL, unlike an empty array, means
// "no filter".
type idList []int64

// Value writes NULL for nil, else the array literal.
func (a idList) Value() (driver.Value, error) {
	if a == nil {
		return nil, nil
	}
	return models.Int64Array(a).Value()
}

// Scan reads NULL as nil.
func (a *idList) Scan(src any) error {
	var arr models.Int64Array
	if err := arr.Scan(src); err != nil {
		return err
	}
	if arr == nil {
		*a = nil
		return nil
	}
	*a = append(idList{}, arr...)
	return nil
}

// truncate cuts s to at most n bytes, dropping a rune cut in half and NUL
// bytes, which PostgreSQL's text refuses: s is what a receiver answered.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}
