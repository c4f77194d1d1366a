// Package orders sells against stock: orders and reservations source
// their lines from an inventory model's stock levels (internal/sourcing),
// highest priority first, from what each location has to sell, then from
// its preorder and backorder capacity; they commit, fulfil and release
// units through inventory.Sale, which writes the ledger and the events.
// The rules of how units are sourced are in this file, pure and
// table-tested; the rest reads and writes. It knows nothing of GraphQL.
package orders

import (
	"math"

	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// Source is one place a line may ship from: a stock level of the order's
// model, its location, and the variant's item there when it has one. A
// plan takes units from the source's item, so that the next line for the
// same variant sees what is left.
type Source struct {
	Level    models.StockLevel
	Location models.Location
	Item     models.InventoryItem
	HasItem  bool
}

// Held says shipments from the source wait: its stock level or its
// location is on hold.
func (s *Source) Held() bool { return s.Level.OnHold || s.Location.OnHold }

// unlimited is what an item that is not counted (tracked by status and in
// stock, or untracked) has to sell.
const unlimited = math.MaxInt32

// stock is what the source can sell from stock now, and whether those
// units are counted in the item's levels.
func (s *Source) stock() (n int, counted bool) {
	switch {
	case !s.HasItem || !s.Location.Enabled:
		return 0, true
	case s.Item.TrackingMode == models.TrackUntracked:
		return unlimited, false
	case s.Item.TrackingMode == models.TrackStatus:
		if s.Item.IsInStock {
			return unlimited, false
		}
		return 0, false
	}
	return inventory.AvailableToSell(s.Item), true
}

// capacity is what the source can still promise one way.
func (s *Source) capacity(kind models.AllocationKind, sw inventory.Switches) int {
	if !s.HasItem || !s.Location.Enabled {
		return 0
	}
	switch kind {
	case models.AllocateBackorder:
		return inventory.AvailableForBackorder(s.Item, sw)
	case models.AllocatePreorder:
		return inventory.AvailableForPreorder(s.Item, sw)
	}
	n, _ := s.stock()
	return n
}

// Take is some of a line's units from one source, one way.
type Take struct {
	Source   *Source
	Kind     models.AllocationKind
	Quantity int
	// Counted: the units count in the item's levels.
	Counted bool
	// OnHold: the shipment waits (a held source, a backorder, a preorder).
	OnHold bool
}

// Options are what an order or reservation allows.
type Options struct {
	AllowBackorder bool
	AllowPreorder  bool
	// Overdraw: a paid order in a store that allows negative stock (Wix)
	// takes what nothing else covers from stock at its first source
	// tracked by quantity, leaving more committed than on hand.
	Overdraw bool
}

// Shortfall is what a line lacked, as OUT_OF_STOCK reports it: the units
// missing, and what the model's sources have, in total and at the first
// source that holds the variant (BigCommerce's 409).
type Shortfall struct {
	Missing               int
	LocationID            int64
	AvailableQuantity     int
	AvailableForBackorder int
	AvailableForPreorder  int
}

// passes are the ways a line is sourced, in order: from stock at every
// source, then preorders (an item not released yet takes preorders before
// backorders, as its availability says), then backorders.
var passes = []models.AllocationKind{models.AllocateStock, models.AllocatePreorder, models.AllocateBackorder}

func (o Options) allows(kind models.AllocationKind) bool {
	switch kind {
	case models.AllocateBackorder:
		return o.AllowBackorder
	case models.AllocatePreorder:
		return o.AllowPreorder
	}
	return true
}

// Plan sources quantity units from the sources, which are in shipping
// order (highest priority first). When they cover it, it takes the units
// from the sources' items and returns the takes; otherwise it changes
// nothing and says what was short.
func Plan(sources []*Source, quantity int, o Options, sw inventory.Switches) ([]Take, *Shortfall) {
	var takes []Take
	left := quantity
	for _, kind := range passes {
		if !o.allows(kind) {
			continue
		}
		for _, s := range sources {
			if left == 0 {
				break
			}
			if n := min(left, s.capacity(kind, sw)); n > 0 {
				_, counted := s.stock()
				takes = append(takes, Take{Source: s, Kind: kind, Quantity: n,
					Counted: kind != models.AllocateStock || counted, OnHold: kind != models.AllocateStock || s.Held()})
				left -= n
			}
		}
	}
	if left > 0 && o.Overdraw {
		if s := firstCounted(sources); s != nil {
			takes = append(takes, Take{Source: s, Kind: models.AllocateStock, Quantity: left, Counted: true, OnHold: s.Held()})
			left = 0
		}
	}
	if left > 0 {
		return nil, shortfall(sources, left, sw)
	}
	for _, t := range takes {
		t.apply(1)
	}
	return merge(takes), nil
}

// apply adds the take's units to its item's levels (sign −1 takes them
// back), so that the sources show what is left.
func (t Take) apply(sign int) {
	if t.Counted {
		*t.Source.Item.Quantity(t.Kind.State()) += sign * t.Quantity
	}
}

// firstCounted is the first enabled source tracked by quantity.
func firstCounted(sources []*Source) *Source {
	for _, s := range sources {
		if s.HasItem && s.Location.Enabled && s.Item.TrackingMode == models.TrackQuantity {
			return s
		}
	}
	return nil
}

func shortfall(sources []*Source, missing int, sw inventory.Switches) *Shortfall {
	sf := &Shortfall{Missing: missing}
	for _, s := range sources {
		if !s.HasItem || !s.Location.Enabled {
			continue
		}
		if sf.LocationID == 0 {
			sf.LocationID = s.Location.ID
		}
		if n, counted := s.stock(); counted {
			sf.AvailableQuantity += n
		}
		sf.AvailableForBackorder += s.capacity(models.AllocateBackorder, sw)
		sf.AvailableForPreorder += s.capacity(models.AllocatePreorder, sw)
	}
	if sf.LocationID == 0 && len(sources) > 0 {
		sf.LocationID = sources[0].Location.ID
	}
	return sf
}

// merge joins takes of one source and kind (stock and an overdraw), in
// order of first appearance.
func merge(takes []Take) []Take {
	var out []Take
	for _, t := range takes {
		joined := false
		for i := range out {
			if out[i].Source == t.Source && out[i].Kind == t.Kind {
				out[i].Quantity += t.Quantity
				joined = true
				break
			}
		}
		if !joined {
			out = append(out, t)
		}
	}
	return out
}
