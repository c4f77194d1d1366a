package catalog

import (
	"cmp"
	"slices"
	"strings"

	"stockgraph/internal/apperr"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// LocationSortField is what locations can be sorted by.
type LocationSortField string

// The location sort fields. Without one, locations come in shipping
// order: highest priority first, then the oldest.
const (
	LocationsByPriority  LocationSortField = "PRIORITY"
	LocationsByCode      LocationSortField = "CODE"
	LocationsByName      LocationSortField = "NAME"
	LocationsByCreatedAt LocationSortField = "CREATED_AT"
	LocationsByID        LocationSortField = "ID"
)

// locationOrders compare two locations by each sort field, ties broken by
// ID so that every order is total.
var locationOrders = map[LocationSortField]func(a, b models.Location) int{
	LocationsByPriority:  func(a, b models.Location) int { return cmp.Compare(a.Priority, b.Priority) },
	LocationsByCode:      func(a, b models.Location) int { return strings.Compare(a.Code, b.Code) },
	LocationsByName:      func(a, b models.Location) int { return strings.Compare(a.Name, b.Name) },
	LocationsByCreatedAt: func(a, b models.Location) int { return a.CreatedAt.Compare(b.CreatedAt) },
	LocationsByID:        func(a, b models.Location) int { return 0 },
}

// LocationQuery selects a page of a store's locations.
type LocationQuery struct {
	Types   []models.LocationType // nil for all
	Enabled *bool                 // nil for both
	// Sort is "" for shipping order.
	Sort       LocationSortField
	Descending bool
	Window     page.Window
}

// PageLocations filters, sorts and pages a store's locations, which are
// held whole in memory (a store has few; see Locations, whose order is
// the shipping order).
func PageLocations(all []models.Location, q LocationQuery) (page.Page[models.Location], error) {
	kept := slices.DeleteFunc(slices.Clone(all), func(l models.Location) bool {
		return q.Enabled != nil && l.Enabled != *q.Enabled || q.Types != nil && !slices.Contains(q.Types, l.Type)
	})
	if q.Sort != "" {
		order, ok := locationOrders[q.Sort]
		if !ok {
			return page.Page[models.Location]{}, apperr.New(apperr.BadUserInput, "cannot sort locations by %q", q.Sort).WithField("sortBy.field")
		}
		slices.SortStableFunc(kept, func(a, b models.Location) int {
			c := cmp.Or(order(a, b), cmp.Compare(a.ID, b.ID))
			if q.Descending {
				return -c
			}
			return c
		})
	}
	return page.Slice(kept, q.Window, func(l models.Location) int64 { return l.ID }), nil
}
