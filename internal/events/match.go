package events

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"gorm.io/gorm"

	"stockgraph/models"
)

// Match reports whether e passes the filter: the same test readBelow
// makes in SQL, for events a feed has read unfiltered.
func (f Filter) Match(e models.StockEvent) bool {
	return (f.VariantIDs == nil || slices.Contains(f.VariantIDs, e.VariantID)) &&
		(f.ProductIDs == nil || slices.Contains(f.ProductIDs, e.ProductID)) &&
		(f.LocationIDs == nil || slices.Contains(f.LocationIDs, e.LocationID)) &&
		(f.Types == nil || slices.Contains(f.Types, e.Type))
}

// Pending reports whether the store has events at or past the horizon
// pos that have committed: they wait behind an older transaction still
// running (events not committed yet are invisible here; their commit will
// ring the doorbell). A reader that knows of them reads again soon, since no
// notification will ring when the older transaction ends.
func Pending(ctx context.Context, db *gorm.DB, storeID int64, pos Position) (bool, error) {
	var pending bool
	err := db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM stock_events WHERE store_id = ? AND (xid, id) > (?::text::xid8, ?))`,
		storeID, strconv.FormatUint(pos.Xid, 10), pos.ID).Scan(&pending).Error
	if err != nil {
		return false, fmt.Errorf("look for pending stock events: %w", err)
	}
	return pending, nil
}
