// Package inventory owns the stock rules and the stock itself: what is
// available to sell, to backorder and to preorder, which availability
// status an item or a total has, which locations count towards aggregated
// totals, and every change of an item's quantities and settings. Each rule
// is written here once; the API, the orders and the events all call it.
package inventory

import (
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/models"
)

// Availability is how a variant can be sold right now.
type Availability string

// The availability statuses.
const (
	InStock       Availability = "IN_STOCK"
	LowStock      Availability = "LOW_STOCK"
	OutOfStock    Availability = "OUT_OF_STOCK"
	Backorderable Availability = "BACKORDERABLE"
	Preorderable  Availability = "PREORDERABLE"
)

// Code is Oracle Commerce's numeric availability status.
func (a Availability) Code() int {
	switch a {
	case OutOfStock:
		return 1001
	case Preorderable:
		return 1002
	case Backorderable:
		return 1003
	}
	return 1000 // IN_STOCK and LOW_STOCK
}

// Switches are the store-wide settings the rules depend on.
type Switches struct {
	BackordersEnabled bool
	PreordersEnabled  bool
}

// SwitchesOf returns a store's switches.
func SwitchesOf(s models.Store) Switches {
	return Switches{BackordersEnabled: s.BackordersEnabled, PreordersEnabled: s.PreordersEnabled}
}

// AvailableToSell is what an item can still sell from stock:
// max(onHand − committed − safetyStock, 0). Items tracked by status only
// have no quantity to sell from.
func AvailableToSell(it models.InventoryItem) int {
	if it.TrackingMode != models.TrackQuantity {
		return 0
	}
	return max(it.OnHand-it.Committed-it.SafetyStock, 0)
}

// AvailableForBackorder is how many more units can be backordered:
// max(backorderLimit − qtyBackordered, 0), and 0 while the store has
// backorders switched off.
func AvailableForBackorder(it models.InventoryItem, sw Switches) int {
	if !sw.BackordersEnabled || it.TrackingMode != models.TrackQuantity {
		return 0
	}
	return max(it.BackorderLimit-it.QtyBackordered, 0)
}

// AvailableForPreorder is how many more units can be preordered:
// max(preorderLimit − qtyPreordered, 0) when the item and the store take
// preorders. Items tracked by status have no preorder limits (Wix).
func AvailableForPreorder(it models.InventoryItem, sw Switches) int {
	if !sw.PreordersEnabled || !it.PreorderEnabled || it.TrackingMode != models.TrackQuantity {
		return 0
	}
	return max(it.PreorderLimit-it.QtyPreordered, 0)
}

// Summary is the stock of one item, or the totals of several.
type Summary struct {
	AvailableToSell       int
	AvailableForBackorder int
	AvailableForPreorder  int
	OnHand                int
	Committed             int
	QtyBackordered        int
	QtyPreordered         int
	SafetyStock           int
	WarningLevel          int
	BackorderLimit        int
	BackorderThreshold    int
	PreorderLimit         int
	PreorderThreshold     int
	Damaged               int
	QualityControl        int
	Incoming              int
	NextIncomingAt        *time.Time
	AvailabilityDate      *time.Time
	Availability          Availability
}

// AvailableToPromise is what can still be promised to customers: from
// stock, then from backorder and preorder capacity (Oracle's
// availableToPromise).
func (s Summary) AvailableToPromise() int {
	return s.AvailableToSell + s.AvailableForBackorder + s.AvailableForPreorder
}

// AvailabilityCode is the status as Oracle's number.
func (s Summary) AvailabilityCode() int { return s.Availability.Code() }

// Summarize totals items. Quantities (backorders too) add up over
// quantity-tracked items only, since the others ignore them;
// the status is that of the total: an item tracked by status that is in
// stock, or an untracked one, makes the total sellable too.
func Summarize(items []models.InventoryItem, sw Switches) Summary {
	var s Summary
	quantityTracked, otherInStock := false, false
	for _, it := range items {
		switch it.TrackingMode {
		case models.TrackQuantity:
			quantityTracked = true
			s.addQuantities(it, sw)
			s.QtyBackordered += it.QtyBackordered
			s.BackorderLimit += it.BackorderLimit
		case models.TrackStatus:
			otherInStock = otherInStock || it.IsInStock
		case models.TrackUntracked:
			otherInStock = true
		}
		s.NextIncomingAt = earliest(s.NextIncomingAt, it.NextIncomingAt)
		s.AvailabilityDate = earliest(s.AvailabilityDate, it.AvailabilityDate)
	}
	s.Availability = status(s, quantityTracked, otherInStock)
	return s
}

func (s *Summary) addQuantities(it models.InventoryItem, sw Switches) {
	s.AvailableToSell += AvailableToSell(it)
	s.AvailableForBackorder += AvailableForBackorder(it, sw)
	s.AvailableForPreorder += AvailableForPreorder(it, sw)
	s.OnHand += it.OnHand
	s.Committed += it.Committed
	s.QtyPreordered += it.QtyPreordered
	s.SafetyStock += it.SafetyStock
	s.WarningLevel += it.WarningLevel
	s.BackorderThreshold += it.BackorderThreshold
	s.PreorderLimit += it.PreorderLimit
	s.PreorderThreshold += it.PreorderThreshold
	s.Damaged += it.Damaged
	s.QualityControl += it.QualityControl
	s.Incoming += it.Incoming
}

// status decides the availability of a total. With nothing to sell from
// stock, an item not yet released takes preorders first; otherwise it
// takes backorders while its remaining capacity is above the threshold
// (Oracle: backorderLevel 200, threshold 15 → BACKORDERABLE).
func status(s Summary, quantityTracked, otherInStock bool) Availability {
	switch {
	case otherInStock:
		return InStock
	case !quantityTracked:
		return OutOfStock
	case s.AvailableToSell > s.WarningLevel:
		return InStock
	case s.AvailableToSell > 0:
		return LowStock
	case s.AvailableForPreorder > 0 && s.AvailableForPreorder > s.PreorderThreshold:
		return Preorderable
	case s.AvailableForBackorder > 0 && s.AvailableForBackorder > s.BackorderThreshold:
		return Backorderable
	default:
		return OutOfStock
	}
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

// VariantStock is a variant's stock now, or as the ledger says it was at
// AsOf.
type VariantStock struct {
	Variant models.Variant
	AsOf    *time.Time
}

// ProductStock is a product's stock now, or as the ledger says it was at
// AsOf.
type ProductStock struct {
	Product models.Product
	AsOf    *time.Time
}

// checkRevision is Wix's optimistic concurrency on one item: a write
// that passes the revision it read applies only while the item is still
// at it (REVISION_CONFLICT), and a store that requires it
// (requireExpectedRevision) refuses a write to an existing item that
// passes none (REVISION_REQUIRED), so that a client that forgets it
// cannot overwrite a change it never saw. An item the write itself
// creates had no revision anyone could have read: Wix ignores the
// revision on creation, and so does this.
func checkRevision(at line, it models.InventoryItem, expected *int64, store models.Store, created bool) *apperr.Error {
	switch {
	case created:
		return nil
	case expected != nil && *expected != it.Revision:
		return at.errorf(apperr.RevisionConflict, "expectedRevision", "inventory item %d is at revision %d, not %d; read it again and retry",
			it.ID, it.Revision, *expected).With("currentRevision", it.Revision)
	case expected == nil && store.RequireExpectedRevision:
		return at.errorf(apperr.RevisionRequired, "expectedRevision", "the store requires expectedRevision on every write to an existing item; inventory item %d is at revision %d",
			it.ID, it.Revision).With("currentRevision", it.Revision)
	}
	return nil
}

// checkQuantityTracked refuses a change of quantities on an item tracked
// by in-stock status only (Wix: an item has either a quantity or an
// inStock status, and a status item has no quantity), rather than store
// units that its availability never reads. where names the item as the
// merchant knows it.
func checkQuantityTracked(at line, it models.InventoryItem, field, where string) *apperr.Error {
	if it.TrackingMode != models.TrackStatus {
		return nil
	}
	return at.errorf(apperr.TrackedByStatus, field,
		"%s is tracked by in-stock status only, which has no quantities; switch it to trackingMode QUANTITY first (updateInventorySettings), or in the same call (bulkUpdateInventory with START_TRACKING)", where).
		With("trackingMode", string(it.TrackingMode))
}
