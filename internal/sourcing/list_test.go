package sourcing_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"stockgraph/internal/catalog"
	"stockgraph/internal/page"
	"stockgraph/internal/sourcing"
	"stockgraph/models"
)

// levelsFixture adds three more locations and a second model, and puts
// every physical location in both models: ten levels whose priorities,
// holds and references repeat, so that sorts need their ID tiebreak.
func levelsFixture(t *testing.T) (fixture, []models.StockLevel, int64) {
	t.Helper()
	f := setup(t)
	ctx := context.Background()
	for _, code := range []string{"WH-C", "WH-D", "WH-E"} {
		loc, err := catalog.CreateLocation(ctx, f.db.DB, f.storeID, catalog.LocationPatch{Code: ptr(code), Name: ptr(code)})
		if err != nil {
			t.Fatal(err)
		}
		f.locations[code] = loc.ID
	}
	second, err := sourcing.CreateInventoryModel(ctx, f.db.DB, f.storeID, sourcing.ModelPatch{Name: ptr("Second"), Reference: ptr("two")})
	if err != nil {
		t.Fatal(err)
	}
	var all []models.StockLevel
	for i, code := range []string{"WH-A", "WH-B", "WH-C", "WH-D", "WH-E"} {
		for j, model := range []int64{f.defaultID, second.ID} {
			p := sourcing.LevelPatch{Priority: ptr(i % 3), OnHold: ptr((i+j)%2 == 0), Reference: ptr(fmt.Sprintf("ref-%d", (i+j)%4))}
			l, err := sourcing.CreateStockLevel(ctx, f.db.DB, f.storeID, model, f.locations[code], p)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, l)
		}
	}
	return f, all, second.ID
}

func ids(levels []models.StockLevel) []int64 {
	out := make([]int64, len(levels))
	for i, l := range levels {
		out[i] = l.ID
	}
	return out
}

func TestListStockLevelsFilters(t *testing.T) {
	f, all, second := levelsFixture(t)
	ctx := context.Background()
	future := time.Now().Add(time.Hour)
	past := time.Now().Add(-time.Hour)
	keep := func(pred func(models.StockLevel) bool) []int64 {
		var out []int64
		for _, l := range all {
			if pred(l) {
				out = append(out, l.ID)
			}
		}
		return out
	}
	tests := []struct {
		name string
		q    sourcing.StockLevelQuery
		want []int64
	}{
		{"all", sourcing.StockLevelQuery{}, ids(all)},
		{"ids", sourcing.StockLevelQuery{IDs: []int64{all[3].ID, all[1].ID}}, []int64{all[1].ID, all[3].ID}},
		{"on hold", sourcing.StockLevelQuery{OnHold: ptr(true)}, keep(func(l models.StockLevel) bool { return l.OnHold })},
		{"not on hold", sourcing.StockLevelQuery{OnHold: ptr(false)}, keep(func(l models.StockLevel) bool { return !l.OnHold })},
		{"reference", sourcing.StockLevelQuery{References: []string{"ref-1"}}, keep(func(l models.StockLevel) bool { return l.Reference == "ref-1" })},
		{"location", sourcing.StockLevelQuery{LocationIDs: []int64{f.locations["WH-B"]}}, keep(func(l models.StockLevel) bool { return l.LocationID == f.locations["WH-B"] })},
		{"inventory model", sourcing.StockLevelQuery{InventoryModelIDs: []int64{second}}, keep(func(l models.StockLevel) bool { return l.InventoryModelID == second })},
		{"created before the future", sourcing.StockLevelQuery{Created: sourcing.TimeRange{To: &future}}, ids(all)},
		{"created after the future", sourcing.StockLevelQuery{Created: sourcing.TimeRange{From: &future}}, nil},
		{"updated in the last hour", sourcing.StockLevelQuery{Updated: sourcing.TimeRange{From: &past, To: &future}}, ids(all)},
		{"updated before an hour ago", sourcing.StockLevelQuery{Updated: sourcing.TimeRange{To: &past}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Sort, tt.q.Window, tt.q.WithTotal = sourcing.SortByID, page.Window{Limit: 100}, true
			p, err := sourcing.ListStockLevels(ctx, f.db.DB, f.storeID, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p.Items); !slices.Equal(got, tt.want) || p.TotalCount != len(tt.want) {
				t.Errorf("ListStockLevels(%s) = %v (total %d), want %v (total %d)", tt.name, got, p.TotalCount, tt.want, len(tt.want))
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestListStockLevelsSortAndPage pages through every sort, both ways,
// forward and backward three at a time and by offset, and compares with
// the order computed here.
func TestListStockLevelsSortAndPage(t *testing.T) {
	f, all, _ := levelsFixture(t)
	ctx := context.Background()
	keys := map[sourcing.SortField]func(a, b models.StockLevel) int{
		sourcing.SortByID:        func(a, b models.StockLevel) int { return 0 },
		sourcing.SortByPriority:  func(a, b models.StockLevel) int { return cmp.Compare(a.Priority, b.Priority) },
		sourcing.SortByOnHold:    func(a, b models.StockLevel) int { return cmp.Compare(boolInt(a.OnHold), boolInt(b.OnHold)) },
		sourcing.SortByReference: func(a, b models.StockLevel) int { return cmp.Compare(a.Reference, b.Reference) },
		sourcing.SortByCreatedAt: func(a, b models.StockLevel) int { return a.CreatedAt.Compare(b.CreatedAt) },
		sourcing.SortByUpdatedAt: func(a, b models.StockLevel) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	}
	for field, key := range keys {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", field, desc), func(t *testing.T) {
				want := slices.Clone(all)
				slices.SortFunc(want, func(a, b models.StockLevel) int {
					c := cmp.Or(key(a, b), cmp.Compare(a.ID, b.ID))
					if desc {
						return -c
					}
					return c
				})
				list := func(l sourcing.Listing) page.Page[models.StockLevel] {
					l.Sort, l.Descending = field, desc
					p, err := sourcing.ListStockLevels(ctx, f.db.DB, f.storeID, sourcing.StockLevelQuery{Listing: l})
					if err != nil {
						t.Fatal(err)
					}
					return p
				}
				var fwd []models.StockLevel
				w := page.Window{Limit: 3}
				for {
					p := list(sourcing.Listing{Window: w})
					fwd = append(fwd, p.Items...)
					if !p.HasNextPage || len(fwd) > len(all) {
						break
					}
					w.From = &p.Positions[len(p.Positions)-1]
				}
				if !slices.Equal(ids(fwd), ids(want)) {
					t.Errorf("forward pages = %v, want %v", ids(fwd), ids(want))
				}
				var back []models.StockLevel
				w = page.Window{Limit: 3, Backward: true}
				for {
					p := list(sourcing.Listing{Window: w})
					back = append(slices.Clone(p.Items), back...)
					if !p.HasPreviousPage || len(back) > len(all) {
						break
					}
					w.From = &p.Positions[0]
				}
				if !slices.Equal(ids(back), ids(want)) {
					t.Errorf("backward pages = %v, want %v", ids(back), ids(want))
				}
				p := list(sourcing.Listing{Window: page.Window{Limit: 4}, Offset: 8})
				if !slices.Equal(ids(p.Items), ids(want[8:])) || p.HasNextPage || !p.HasPreviousPage {
					t.Errorf("offset 8 = %v next %v previous %v, want %v next false previous true", ids(p.Items), p.HasNextPage, p.HasPreviousPage, ids(want[8:]))
				}
			})
		}
	}
}

func TestListSortErrors(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	_, err := sourcing.ListStockLevels(ctx, f.db.DB, f.storeID, sourcing.StockLevelQuery{Listing: sourcing.Listing{Sort: sourcing.SortByName, Window: page.Window{Limit: 1}}})
	checkCode(t, "ListStockLevels(sort NAME)", err, "BAD_USER_INPUT", "cannot sort stock levels by NAME")
	_, err = sourcing.ListStockLevels(ctx, f.db.DB, f.storeID, sourcing.StockLevelQuery{Listing: sourcing.Listing{Sort: sourcing.SortByPriority, Window: page.Window{Limit: 1, From: &page.Position{Key: "high", ID: 1}}}})
	checkCode(t, "ListStockLevels(priority cursor 'high')", err, "BAD_USER_INPUT", "cursor does not fit")
	_, err = sourcing.ListInventoryModels(ctx, f.db.DB, f.storeID, sourcing.ModelQuery{Listing: sourcing.Listing{Sort: sourcing.SortByPriority, Window: page.Window{Limit: 1}}})
	checkCode(t, "ListInventoryModels(sort PRIORITY)", err, "BAD_USER_INPUT", "cannot sort inventory models by PRIORITY")
}

func TestListInventoryModels(t *testing.T) {
	f, _, second := levelsFixture(t)
	ctx := context.Background()
	tests := []struct {
		name string
		q    sourcing.ModelQuery
		want []int64
	}{
		{"all by name", sourcing.ModelQuery{Listing: sourcing.Listing{Sort: sourcing.SortByName}}, []int64{f.defaultID, second}},
		{"all by name descending", sourcing.ModelQuery{Listing: sourcing.Listing{Sort: sourcing.SortByName, Descending: true}}, []int64{second, f.defaultID}},
		{"default", sourcing.ModelQuery{IsDefault: ptr(true), Listing: sourcing.Listing{Sort: sourcing.SortByID}}, []int64{f.defaultID}},
		{"reference", sourcing.ModelQuery{References: []string{"two"}, Listing: sourcing.Listing{Sort: sourcing.SortByReference}}, []int64{second}},
		{"ids", sourcing.ModelQuery{IDs: []int64{second}, Listing: sourcing.Listing{Sort: sourcing.SortByCreatedAt}}, []int64{second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Window, tt.q.WithTotal = page.Window{Limit: 10}, true
			p, err := sourcing.ListInventoryModels(ctx, f.db.DB, f.storeID, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, m := range p.Items {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, tt.want) || p.TotalCount != len(tt.want) {
				t.Errorf("ListInventoryModels(%s) = %v (total %d), want %v", tt.name, got, p.TotalCount, tt.want)
			}
		})
	}
}
