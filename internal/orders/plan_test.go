package orders

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// src builds a source at location id with priority p: on hand, backorder
// limit and preorder limit of a quantity-tracked item, enabled and not
// held unless the options say.
func src(id int64, onHand, backorderLimit, preorderLimit int, opts ...string) *Source {
	s := &Source{
		Level:    models.StockLevel{LocationID: id},
		Location: models.Location{ID: id, Enabled: true},
		Item: models.InventoryItem{LocationID: id, OnHand: onHand, BackorderLimit: backorderLimit, TrackingMode: models.TrackQuantity,
			PreorderEnabled: preorderLimit > 0, PreorderLimit: preorderLimit},
		HasItem: true,
	}
	for _, o := range opts {
		switch o {
		case "held":
			s.Level.OnHold = true
		case "location held":
			s.Location.OnHold = true
		case "disabled":
			s.Location.Enabled = false
		case "no item":
			s.HasItem = false
		case "untracked":
			s.Item.TrackingMode = models.TrackUntracked
		case "status out":
			s.Item.TrackingMode, s.Item.IsInStock = models.TrackStatus, false
		case "committed 3":
			s.Item.Committed = 3
		case "safety 2":
			s.Item.SafetyStock = 2
		}
	}
	return s
}

// takesString writes takes as "loc:KIND×n[held][uncounted]" joined by
// spaces, for comparison.
func takesString(takes []Take) string {
	var parts []string
	for _, t := range takes {
		p := fmt.Sprintf("%d:%s×%d", t.Source.Location.ID, t.Kind, t.Quantity)
		if t.OnHold {
			p += "[held]"
		}
		if !t.Counted {
			p += "[uncounted]"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

var all = inventory.Switches{BackordersEnabled: true, PreordersEnabled: true}

func TestPlan(t *testing.T) {
	both := Options{AllowBackorder: true, AllowPreorder: true}
	tests := []struct {
		name    string
		sources []*Source
		qty     int
		o       Options
		sw      inventory.Switches
		want    string
		short   *Shortfall
	}{
		{"stock of the first source", []*Source{src(1, 5, 0, 0), src(2, 5, 0, 0)}, 3, both, all, "1:STOCK×3", nil},
		{"stock across sources in order", []*Source{src(1, 5, 0, 0), src(2, 5, 0, 0)}, 7, both, all, "1:STOCK×5 2:STOCK×2", nil},
		{"committed and safety stock are not available", []*Source{src(1, 10, 0, 0, "committed 3", "safety 2"), src(2, 9, 0, 0)}, 6, both, all, "1:STOCK×5 2:STOCK×1", nil},
		{"stock everywhere before backorders", []*Source{src(1, 2, 10, 0), src(2, 2, 10, 0)}, 6, both, all, "1:STOCK×2 2:STOCK×2 1:BACKORDER×2[held]", nil},
		{"preorders before backorders", []*Source{src(1, 1, 10, 0), src(2, 0, 0, 5)}, 4, both, all, "1:STOCK×1 2:PREORDER×3[held]", nil},
		{"held level holds its stock", []*Source{src(1, 5, 0, 0, "held")}, 2, both, all, "1:STOCK×2[held]", nil},
		{"held location holds its stock", []*Source{src(1, 5, 0, 0, "location held")}, 2, both, all, "1:STOCK×2[held]", nil},
		{"disabled location gives nothing", []*Source{src(1, 5, 5, 5, "disabled"), src(2, 5, 0, 0)}, 2, both, all, "2:STOCK×2", nil},
		{"untracked sells without counting", []*Source{src(1, 0, 0, 0, "untracked")}, 500, both, all, "1:STOCK×500[uncounted]", nil},
		{"status out of stock gives nothing", []*Source{src(1, 9, 0, 0, "status out"), src(2, 1, 0, 0)}, 1, both, all, "2:STOCK×1", nil},
		{"backorders not allowed by the order", []*Source{src(1, 10, 45, 0)}, 11, Options{}, all,
			"", &Shortfall{Missing: 1, LocationID: 1, AvailableQuantity: 10, AvailableForBackorder: 45}},
		{"backorders switched off in the store", []*Source{src(1, 10, 45, 0)}, 11, both, inventory.Switches{},
			"", &Shortfall{Missing: 1, LocationID: 1, AvailableQuantity: 10}},
		{"BigCommerce 409: 10 available, 45 for backorder", []*Source{src(1, 10, 45, 0)}, 56, both, all,
			"", &Shortfall{Missing: 1, LocationID: 1, AvailableQuantity: 10, AvailableForBackorder: 45}},
		{"BigCommerce 409 fits at 55", []*Source{src(1, 10, 45, 0)}, 55, both, all, "1:STOCK×10 1:BACKORDER×45[held]", nil},
		{"overdraw takes the rest from the first counted source", []*Source{src(1, 0, 0, 0, "untracked"), src(2, 3, 0, 0), src(3, 1, 0, 0)}, 6,
			Options{Overdraw: true}, all, "1:STOCK×6[uncounted]", nil},
		{"overdraw after stock", []*Source{src(2, 3, 0, 0), src(3, 1, 0, 0)}, 6, Options{Overdraw: true}, all, "2:STOCK×5 3:STOCK×1", nil},
		{"no sources", nil, 1, both, all, "", &Shortfall{Missing: 1}},
		{"no item anywhere names the first location", []*Source{src(7, 0, 0, 0, "no item")}, 1, both, all, "", &Shortfall{Missing: 1, LocationID: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := make([]models.InventoryItem, len(tt.sources))
			for i, s := range tt.sources {
				before[i] = s.Item
			}
			takes, short := Plan(tt.sources, tt.qty, tt.o, tt.sw)
			if got := takesString(takes); got != tt.want {
				t.Errorf("Plan(%d) takes = %q, want %q", tt.qty, got, tt.want)
			}
			switch {
			case (short == nil) != (tt.short == nil):
				t.Fatalf("Plan(%d) shortfall = %+v, want %+v", tt.qty, short, tt.short)
			case short != nil && *short != *tt.short:
				t.Errorf("Plan(%d) shortfall = %+v, want %+v", tt.qty, *short, *tt.short)
			}
			checkTaken(t, tt.sources, before, takes)
		})
	}
}

// checkTaken checks a plan took exactly its counted takes from the
// sources' items, and nothing when it fell short.
func checkTaken(t *testing.T, sources []*Source, before []models.InventoryItem, takes []Take) {
	t.Helper()
	for i, s := range sources {
		want := before[i]
		for _, tk := range takes {
			if tk.Source == s && tk.Counted {
				*want.Quantity(tk.Kind.State()) += tk.Quantity
			}
		}
		if got, w := models.QuantitiesOf(s.Item), models.QuantitiesOf(want); !maps.Equal(got, w) {
			t.Errorf("source %d levels after = %v, want %v", s.Location.ID, got, w)
		}
	}
}

// TestPlanSharesStockBetweenLines: a second line for the same variant
// sees what the first took.
func TestPlanSharesStockBetweenLines(t *testing.T) {
	sources := []*Source{src(1, 4, 3, 0)}
	o := Options{AllowBackorder: true}
	first, _ := Plan(sources, 3, o, all)
	second, _ := Plan(sources, 3, o, all)
	_, short := Plan(sources, 2, o, all)
	if got := takesString(first) + " | " + takesString(second); got != "1:STOCK×3 | 1:STOCK×1 1:BACKORDER×2[held]" {
		t.Errorf("two lines of 3 = %q, want 3 from stock, then 1 from stock and 2 backordered", got)
	}
	if short == nil || short.AvailableQuantity != 0 || short.AvailableForBackorder != 1 {
		t.Errorf("third line of 2: shortfall = %+v, want 0 available and 1 for backorder", short)
	}
}

// FuzzPlan checks the plan's invariants for any sources: it covers the
// quantity exactly or takes nothing, never takes more than a source has
// in a way, and holds exactly the takes it should.
func FuzzPlan(f *testing.F) {
	f.Add(uint8(5), uint8(3), uint8(0), uint8(2), uint8(4), uint8(1), uint8(9), uint8(0b1011))
	f.Fuzz(func(t *testing.T, onHand1, bo1, po1, onHand2, bo2, po2, qty, flags uint8) {
		sources := []*Source{src(1, int(onHand1), int(bo1), int(po1)), src(2, int(onHand2), int(bo2), int(po2))}
		sources[1].Level.OnHold = flags&1 != 0
		o := Options{AllowBackorder: flags&2 != 0, AllowPreorder: flags&4 != 0}
		sw := inventory.Switches{BackordersEnabled: flags&8 != 0, PreordersEnabled: flags&16 != 0}
		limits := make([]map[models.AllocationKind]int, len(sources))
		for i, s := range sources {
			limits[i] = map[models.AllocationKind]int{}
			for _, k := range passes {
				limits[i][k] = s.capacity(k, sw)
			}
		}
		takes, short := Plan(sources, int(qty)+1, o, sw)
		total := 0
		for _, tk := range takes {
			i := int(tk.Source.Location.ID - 1)
			total += tk.Quantity
			if tk.Quantity > limits[i][tk.Kind] || !o.allows(tk.Kind) {
				t.Fatalf("take %+v exceeds capacity %d or is not allowed (%+v)", tk, limits[i][tk.Kind], o)
			}
			if wantHeld := tk.Kind != models.AllocateStock || tk.Source.Held(); tk.OnHold != wantHeld {
				t.Fatalf("take %+v on hold = %v, want %v", tk, tk.OnHold, wantHeld)
			}
		}
		if (short == nil) != (total == int(qty)+1) || (short != nil && len(takes) > 0) {
			t.Fatalf("Plan(%d) took %d with shortfall %+v", int(qty)+1, total, short)
		}
	})
}
