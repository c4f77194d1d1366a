package inventory

import (
	"cmp"
	"slices"

	"stockgraph/models"
)

// The views of a variant's or product's stock: the totals over the store
// (aggregated) and the stock at each location (byLocation). Both are
// computed from the items and the store's locations, here and only here,
// so that the API, the exports and the orders to come agree on which
// locations count and in what order they are shown.

// CountsTowardAggregate reports whether stock at loc is part of aggregated
// totals: only enabled physical locations hold sellable stock. Disabled
// locations keep their stock (and show it by location) until it is moved.
func CountsTowardAggregate(loc models.Location) bool {
	return loc.Enabled && loc.Type.IsPhysical()
}

// CompareLocations orders locations as they are shown and shipped from:
// highest priority first, then by ID (oldest first) among equals.
func CompareLocations(a, b models.Location) int {
	return cmp.Or(cmp.Compare(b.Priority, a.Priority), cmp.Compare(a.ID, b.ID))
}

// Aggregate totals the items held at the locations that count toward
// aggregates; items at other locations, or at locations not among the
// store's, are left out.
func Aggregate(items []models.InventoryItem, locations []models.Location, sw Switches) Summary {
	counts := make(map[int64]bool, len(locations))
	for _, l := range locations {
		counts[l.ID] = CountsTowardAggregate(l)
	}
	leftOut := func(it models.InventoryItem) bool { return !counts[it.LocationID] }
	if !slices.ContainsFunc(items, leftOut) {
		return Summarize(items, sw) // the usual case, without a copy
	}
	return Summarize(slices.DeleteFunc(slices.Clone(items), leftOut), sw)
}

// ByLocation returns the items at the wanted locations (at every one when
// wanted is nil) in location order (CompareLocations), disabled locations
// included. Items at the same location keep their order. When items are
// all wanted and in that order already, they are returned as they are:
// callers copy the result before changing it.
func ByLocation(items []models.InventoryItem, locations []models.Location, wanted []int64) []models.InventoryItem {
	rank := locationRanks(locations, wanted)
	unwanted := func(it models.InventoryItem) bool {
		_, ok := rank[it.LocationID]
		return !ok
	}
	inOrder := func(a, b models.InventoryItem) int { return rank[a.LocationID] - rank[b.LocationID] }
	if !slices.ContainsFunc(items, unwanted) && slices.IsSortedFunc(items, inOrder) {
		return items
	}
	out := slices.DeleteFunc(slices.Clone(items), unwanted)
	slices.SortStableFunc(out, inOrder)
	return out
}

// LocationSummary is the stock of several items (a product's variants)
// at one location.
type LocationSummary struct {
	Location models.Location
	Summary
}

// SummariesByLocation totals the items at each of the wanted locations
// (every one when wanted is nil) that holds any, in location order.
func SummariesByLocation(items []models.InventoryItem, locations []models.Location, wanted []int64, sw Switches) []LocationSummary {
	byID := make(map[int64]models.Location, len(locations))
	for _, l := range locations {
		byID[l.ID] = l
	}
	var out []LocationSummary
	for _, run := range runsByLocation(ByLocation(items, locations, wanted)) {
		out = append(out, LocationSummary{Location: byID[run[0].LocationID], Summary: Summarize(run, sw)})
	}
	return out
}

// locationRanks gives each wanted location its place in location order.
func locationRanks(locations []models.Location, wanted []int64) map[int64]int {
	sorted := make([]*models.Location, len(locations)) // not copies: a location is large
	for i := range locations {
		sorted[i] = &locations[i]
	}
	slices.SortStableFunc(sorted, func(a, b *models.Location) int { return CompareLocations(*a, *b) })
	rank := make(map[int64]int, len(sorted))
	for i, l := range sorted {
		if wanted == nil || slices.Contains(wanted, l.ID) {
			rank[l.ID] = i
		}
	}
	return rank
}

// runsByLocation splits items, already in location order, into runs of
// one location each.
func runsByLocation(items []models.InventoryItem) [][]models.InventoryItem {
	var runs [][]models.InventoryItem
	for i, it := range items {
		if i == 0 || it.LocationID != items[i-1].LocationID {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], it)
	}
	return runs
}
