package transfer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// row is a parsed record: what it changes at one item. Nil values are
// left unchanged.
type row struct {
	line        int
	location    string
	sku         string
	onHand      *int
	backordered *int
	settings    inventory.SettingsLine // without its Variant until resolved

	locationID, variantID int64
	failed                bool
}

// parseRecord checks a record's values. It reports the first bad value;
// the range of numbers is left to the inventory package, which owns it.
func parseRecord(rec record) (row, error) {
	c := &rec.cells
	r := row{line: rec.line, location: strings.TrimSpace(c[colLocation]), sku: strings.TrimSpace(c[colSKU])}
	switch {
	case r.location == "":
		return r, fmt.Errorf("location_code is empty")
	case r.sku == "":
		return r, fmt.Errorf("sku is empty")
	}
	s := &r.settings
	for _, f := range []struct {
		col int
		dst **int
	}{
		{colOnHand, &r.onHand}, {colBackordered, &r.backordered}, {colSafetyStock, &s.SafetyStock},
		{colWarningLevel, &s.WarningLevel}, {colBackorderLimit, &s.BackorderLimit},
		{colBackorderThreshold, &s.BackorderThreshold}, {colPreorderLimit, &s.PreorderLimit},
		{colPreorderThreshold, &s.PreorderThreshold},
	} {
		if err := parseInt(c, f.col, f.dst); err != nil {
			return r, err
		}
	}
	for _, f := range []struct {
		col int
		dst **bool
	}{{colIsInStock, &s.IsInStock}, {colPreorderEnabled, &s.PreorderEnabled}} {
		if err := parseBool(c, f.col, f.dst); err != nil {
			return r, err
		}
	}
	if v := c[colBinPickingNumber]; v != "" {
		s.BinPickingNumber = &v
	}
	if err := parseTracking(c, &s.TrackingMode); err != nil {
		return r, err
	}
	return r, parseDate(c, &s.AvailabilityDate)
}

func parseInt(c *cells, col int, dst **int) error {
	v := strings.TrimSpace(c[col])
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%s: %q is not a whole number", columns[col].name, v)
	}
	*dst = &n
	return nil
}

func parseBool(c *cells, col int, dst **bool) error {
	v := strings.TrimSpace(c[col])
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%s: %q is not true or false", columns[col].name, v)
	}
	*dst = &b
	return nil
}

func parseTracking(c *cells, dst **models.TrackingMode) error {
	v := models.TrackingMode(strings.ToUpper(strings.TrimSpace(c[colTrackingMode])))
	switch v {
	case "":
		return nil
	case models.TrackQuantity, models.TrackStatus, models.TrackUntracked:
		*dst = &v
		return nil
	}
	return fmt.Errorf("tracking_mode: %q is not QUANTITY, STATUS or UNTRACKED", c[colTrackingMode])
}

// parseDate takes RFC 3339, as export writes, or a plain date (midnight UTC).
func parseDate(c *cells, dst **time.Time) error {
	v := strings.TrimSpace(c[colAvailabilityDate])
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return fmt.Errorf("availability_date: %q is not an RFC 3339 time such as 2026-05-01T00:00:00Z", v)
		}
	}
	*dst = &t
	return nil
}

// dropUnchanged forgets the values the item has already, so that an
// import changes only what differs: a second run of a file writes nothing,
// and values a store's switches forbid can still be exported and imported
// back unchanged.
func (r *row) dropUnchanged(it models.InventoryItem) {
	r.onHand = unlessEqual(r.onHand, it.OnHand)
	r.backordered = unlessEqual(r.backordered, it.QtyBackordered)
	s := &r.settings
	s.SafetyStock = unlessEqual(s.SafetyStock, it.SafetyStock)
	s.WarningLevel = unlessEqual(s.WarningLevel, it.WarningLevel)
	s.BackorderLimit = unlessEqual(s.BackorderLimit, it.BackorderLimit)
	s.BackorderThreshold = unlessEqual(s.BackorderThreshold, it.BackorderThreshold)
	s.BinPickingNumber = unlessEqual(s.BinPickingNumber, it.BinPickingNumber)
	s.TrackingMode = unlessEqual(s.TrackingMode, it.TrackingMode)
	s.IsInStock = unlessEqual(s.IsInStock, it.IsInStock)
	s.PreorderEnabled = unlessEqual(s.PreorderEnabled, it.PreorderEnabled)
	s.PreorderLimit = unlessEqual(s.PreorderLimit, it.PreorderLimit)
	s.PreorderThreshold = unlessEqual(s.PreorderThreshold, it.PreorderThreshold)
	if s.AvailabilityDate != nil && it.AvailabilityDate != nil && s.AvailabilityDate.Equal(*it.AvailabilityDate) {
		s.AvailabilityDate = nil
	}
}

func unlessEqual[T comparable](p *T, current T) *T {
	if p != nil && *p == current {
		return nil
	}
	return p
}

func (r *row) changesQuantities() bool { return r.onHand != nil || r.backordered != nil }

func (r *row) changesSettings() bool {
	s := &r.settings
	return s.SafetyStock != nil || s.WarningLevel != nil || s.BackorderLimit != nil || s.BackorderThreshold != nil ||
		s.BinPickingNumber != nil || s.TrackingMode != nil || s.IsInStock != nil || s.PreorderEnabled != nil ||
		s.PreorderLimit != nil || s.PreorderThreshold != nil || s.AvailabilityDate != nil
}
