// Package inventory owns the stock rules: what is available to sell, which
// availability status an item or a total has, and which locations count
// towards aggregated totals. Each rule is written here once; the API, the
// orders and the events all call it.
package inventory

import "stockgraph/models"

// Availability is how a variant can be sold right now.
type Availability string

// The availability statuses.
const (
	InStock    Availability = "IN_STOCK"
	LowStock   Availability = "LOW_STOCK"
	OutOfStock Availability = "OUT_OF_STOCK"
)

// AvailableToSell is what an item can still sell from stock:
// max(onHand − committed − safetyStock, 0). Items tracked by status only
// have no quantity to sell from.
func AvailableToSell(it models.InventoryItem) int {
	if it.TrackingMode != models.TrackQuantity {
		return 0
	}
	return max(it.OnHand-it.Committed-it.SafetyStock, 0)
}

// CountsTowardAggregate reports whether stock at loc is part of aggregated
// totals: only enabled physical locations hold sellable stock.
func CountsTowardAggregate(loc models.Location) bool {
	return loc.Enabled && loc.Type.IsPhysical()
}

// Summary is the stock of one item, or the totals of several.
type Summary struct {
	AvailableToSell int
	OnHand          int
	Committed       int
	QtyBackordered  int
	SafetyStock     int
	WarningLevel    int
	BackorderLimit  int
	Availability    Availability
}

// Summarize totals items. Quantities add up over quantity-tracked items;
// the status is that of the total: an item tracked by status that is in
// stock, or an untracked one, makes the total sellable too.
func Summarize(items []models.InventoryItem) Summary {
	var s Summary
	quantityTracked, otherInStock := false, false
	for _, it := range items {
		switch it.TrackingMode {
		case models.TrackQuantity:
			quantityTracked = true
			s.AvailableToSell += AvailableToSell(it)
			s.OnHand += it.OnHand
			s.Committed += it.Committed
			s.SafetyStock += it.SafetyStock
			s.WarningLevel += it.WarningLevel
		case models.TrackStatus:
			otherInStock = otherInStock || it.IsInStock
		case models.TrackUntracked:
			otherInStock = true
		}
		s.QtyBackordered += it.QtyBackordered
		s.BackorderLimit += it.BackorderLimit
	}
	s.Availability = status(s, quantityTracked, otherInStock)
	return s
}

func status(s Summary, quantityTracked, otherInStock bool) Availability {
	switch {
	case otherInStock:
		return InStock
	case !quantityTracked || s.AvailableToSell == 0:
		return OutOfStock
	case s.AvailableToSell <= s.WarningLevel:
		return LowStock
	default:
		return InStock
	}
}
