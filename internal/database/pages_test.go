package database_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	paging "stockgraph/internal/page"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// childModel is a page of one parent's children as the Relay
// specification computes it from the full list sorted by ID. A cursor is a
// position in that order, so one whose row is gone (or belongs to another
// parent) still splits the list by ID.
type childModel struct {
	IDs             []int64
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

func keysetModel(all []int64, w paging.Window) childModel {
	m := childModel{TotalCount: len(all)}
	edges := all
	if c := w.From; c != nil {
		edges = nil
		for _, id := range all {
			if (!w.Backward && id > c.ID) || (w.Backward && id < c.ID) {
				edges = append(edges, id)
			}
		}
	}
	// Children the cursor cut off lie before an after cursor (after a
	// before cursor): there is a previous (next) page.
	cut := len(all) > len(edges)
	if w.Backward {
		m.IDs = edges[max(0, len(edges)-w.Limit):]
		m.HasPreviousPage, m.HasNextPage = len(edges) > w.Limit, cut
	} else {
		m.IDs = edges[:min(len(edges), w.Limit)]
		m.HasNextPage, m.HasPreviousPage = len(edges) > w.Limit, cut
	}
	return m
}

// family is a store's products with their variants' IDs in creation order.
type family struct {
	storeID  int64
	products []int64
	variants map[int64][]int64 // by product
	all      []int64           // every variant of the store, sorted
}

// makeFamily creates products with the given numbers of variants. The
// variants are created round-robin, so a product's variant IDs have gaps
// held by other products' variants.
func makeFamily(t *testing.T, db *database.DB, handle string, counts []int) family {
	t.Helper()
	ctx := context.Background()
	store, _, err := catalog.EnsureStore(db.DB, handle)
	if err != nil {
		t.Fatalf("EnsureStore(%q) error = %v, want nil", handle, err)
	}
	f := family{storeID: store.ID, variants: map[int64][]int64{}}
	for i := range counts {
		p, err := catalog.CreateProduct(ctx, db.DB, store.ID, catalog.ProductFields{Name: fmt.Sprintf("%s product %d", handle, i)}, nil)
		if err != nil {
			t.Fatalf("CreateProduct error = %v, want nil", err)
		}
		f.products = append(f.products, p.ID)
	}
	for round := 0; ; round++ {
		made := false
		for i, n := range counts {
			if round >= n {
				continue
			}
			made = true
			pid := f.products[i]
			v, err := catalog.CreateVariant(ctx, db.DB, store.ID, pid, catalog.VariantFields{SKU: fmt.Sprintf("%s-%d-%d", handle, i, round)})
			if err != nil {
				t.Fatalf("CreateVariant error = %v, want nil", err)
			}
			f.variants[pid] = append(f.variants[pid], v.ID)
			f.all = append(f.all, v.ID)
		}
		if !made {
			break
		}
	}
	return f
}

func variantPages(t *testing.T, db *database.DB, storeID int64, parents []int64, w paging.Window) map[int64]paging.Page[models.Variant] {
	t.Helper()
	pages, err := database.ChildPages(context.Background(), db.DB, database.ChildQuery{
		Table: "variants", ParentColumn: "product_id", StoreID: storeID, ParentIDs: parents, Window: w,
	}, func(v models.Variant) int64 { return v.ID })
	if err != nil {
		t.Fatalf("ChildPages(%s) error = %v, want nil", describe(w), err)
	}
	return pages
}

// checkChildPage compares a parent's page with the model, and checks that
// every item is the parent's and that the cursors decode to the items' IDs.
func checkChildPage(t *testing.T, what string, storeID, parent int64, got paging.Page[models.Variant], want childModel) {
	t.Helper()
	ids := make([]int64, len(got.Items))
	for i, v := range got.Items {
		ids[i] = v.ID
		if v.ProductID != parent || v.StoreID != storeID || v.SKU == "" {
			t.Errorf("%s: item %d = %+v, want a variant of product %d in store %d, fully loaded", what, i, v, parent, storeID)
		}
	}
	if !slices.Equal(ids, want.IDs) {
		t.Errorf("%s: item IDs = %v, want %v", what, ids, want.IDs)
	}
	if got.HasNextPage != want.HasNextPage || got.HasPreviousPage != want.HasPreviousPage {
		t.Errorf("%s: hasNextPage, hasPreviousPage = %v, %v, want %v, %v",
			what, got.HasNextPage, got.HasPreviousPage, want.HasNextPage, want.HasPreviousPage)
	}
	if got.TotalCount != want.TotalCount {
		t.Errorf("%s: totalCount = %d, want %d", what, got.TotalCount, want.TotalCount)
	}
	if len(got.Positions) != len(got.Items) {
		t.Fatalf("%s: %d cursors for %d items, want one each", what, len(got.Positions), len(got.Items))
	}
	for i, s := range got.Positions {
		c := s
		if c != (paging.Position{ID: got.Items[i].ID}) {
			t.Errorf("%s: position %d = %+v, want {ID: %d}", what, i, c, got.Items[i].ID)
		}
	}
}

func describe(w paging.Window) string {
	c := "nil"
	if w.From != nil {
		c = fmt.Sprint(w.From.ID)
	}
	return fmt.Sprintf("limit %d backward %v cursor %s", w.Limit, w.Backward, c)
}

func TestChildPages(t *testing.T) {
	db := testdb.MustOpenDB(t)
	f := makeFamily(t, db, "pages", []int{0, 1, 3, 7, 12})
	// Another store's variants interleave with these and must never show.
	other := makeFamily(t, db, "other", []int{4, 2})
	// A third store's variants have the IDs just above f's: a cursor on
	// them is past f's end.
	makeFamily(t, db, "pages-late", []int{2})

	// A parent that does not exist, and one of another store, get empty pages.
	parents := append(slices.Clone(f.products), 1<<40, other.products[0])
	want := func(parent int64) []int64 { return f.variants[parent] } // nil for the strangers

	lo, hi := slices.Min(f.all), slices.Max(f.all)
	cursors := []*paging.Position{nil, {ID: lo - 1}, {ID: hi + 1}, {ID: 1 << 40}}
	for _, id := range f.all {
		cursors = append(cursors, &paging.Position{ID: id})
	}
	for _, id := range other.all {
		cursors = append(cursors, &paging.Position{ID: id}) // no variant of f has it
	}

	t.Run("windows", func(t *testing.T) {
		for _, limit := range []int{0, 1, 2, 5, 50} {
			for _, backward := range []bool{false, true} {
				for _, c := range cursors {
					w := paging.Window{Limit: limit, Backward: backward, From: c}
					pages := variantPages(t, db, f.storeID, parents, w)
					if len(pages) != len(parents) {
						t.Errorf("ChildPages(%s) returned %d pages, want one for each of %d parents", describe(w), len(pages), len(parents))
					}
					for _, parent := range parents {
						got, ok := pages[parent]
						if !ok {
							t.Errorf("ChildPages(%s) has no page for parent %d, want one", describe(w), parent)
							continue
						}
						checkChildPage(t, fmt.Sprintf("ChildPages(%s)[product %d with %v]", describe(w), parent, want(parent)),
							f.storeID, parent, got, keysetModel(want(parent), w))
					}
				}
			}
		}
	})

	t.Run("random windows", func(t *testing.T) {
		r := rand.New(rand.NewPCG(2024, 11))
		for range 150 {
			w := paging.Window{Limit: r.IntN(15), Backward: r.IntN(2) == 0}
			if r.IntN(5) > 0 {
				w.From = &paging.Position{ID: lo - 2 + int64(r.IntN(int(hi-lo)+5))}
			}
			// A random subset of the parents, in a random order.
			sub := slices.Clone(parents)
			r.Shuffle(len(sub), func(i, j int) { sub[i], sub[j] = sub[j], sub[i] })
			sub = sub[:1+r.IntN(len(sub))]
			pages := variantPages(t, db, f.storeID, sub, w)
			if len(pages) != len(sub) {
				t.Errorf("ChildPages(%v, %s) returned %d pages, want %d", sub, describe(w), len(pages), len(sub))
			}
			for _, parent := range sub {
				checkChildPage(t, fmt.Sprintf("ChildPages(%s)[product %d with %v]", describe(w), parent, want(parent)),
					f.storeID, parent, pages[parent], keysetModel(want(parent), w))
			}
		}
	})

	t.Run("walk", func(t *testing.T) {
		for _, parent := range f.products {
			for _, limit := range []int{1, 2, 5, 50} {
				for _, backward := range []bool{false, true} {
					got := walkChildren(t, db, f.storeID, parent, limit, backward)
					if !slices.Equal(got, want(parent)) {
						t.Errorf("walking product %d by %d (backward %v) visited %v, want %v", parent, limit, backward, got, want(parent))
					}
				}
			}
		}
	})

	t.Run("where", func(t *testing.T) {
		// Only variants made in even rounds: the counts and flags follow
		// the filtered list.
		even := map[int64][]int64{}
		var evenSKUs []string
		for i, parent := range f.products {
			for round, id := range f.variants[parent] {
				if round%2 == 0 {
					even[parent] = append(even[parent], id)
					evenSKUs = append(evenSKUs, fmt.Sprintf("pages-%d-%d", i, round))
				}
			}
		}
		for _, limit := range []int{0, 2, 50} {
			for _, backward := range []bool{false, true} {
				for _, c := range cursors[:8] {
					w := paging.Window{Limit: limit, Backward: backward, From: c}
					pages, err := database.ChildPages(context.Background(), db.DB, database.ChildQuery{
						Table: "variants", ParentColumn: "product_id", StoreID: f.storeID, ParentIDs: f.products,
						Where: "t.sku IN ?", Args: []any{evenSKUs}, Window: w,
					}, func(v models.Variant) int64 { return v.ID })
					if err != nil {
						t.Fatalf("ChildPages(where, %s) error = %v, want nil", describe(w), err)
					}
					for _, parent := range f.products {
						checkChildPage(t, fmt.Sprintf("ChildPages(where even, %s)[product %d]", describe(w), parent),
							f.storeID, parent, pages[parent], keysetModel(even[parent], w))
					}
				}
			}
		}
	})

	t.Run("no parents", func(t *testing.T) {
		pages := variantPages(t, db, f.storeID, nil, paging.Window{Limit: 5})
		if len(pages) != 0 {
			t.Errorf("ChildPages(no parents) = %d pages, want none", len(pages))
		}
	})

	t.Run("catalog.VariantPages", func(t *testing.T) {
		w := paging.Window{Limit: 2, From: &paging.Position{ID: f.variants[f.products[4]][3]}}
		pages, err := catalog.VariantPages(context.Background(), db.DB, f.storeID, f.products, w)
		if err != nil {
			t.Fatalf("VariantPages error = %v, want nil", err)
		}
		for _, parent := range f.products {
			checkChildPage(t, fmt.Sprintf("VariantPages(%s)[product %d]", describe(w), parent),
				f.storeID, parent, pages[parent], keysetModel(want(parent), w))
		}
	})
}

// walkChildren pages through one parent's children with after/endCursor
// (or before/startCursor) and returns the IDs in display order.
func walkChildren(t *testing.T, db *database.DB, storeID, parent int64, limit int, backward bool) []int64 {
	t.Helper()
	var seen []int64
	w := paging.Window{Limit: limit, Backward: backward}
	for steps := 0; ; steps++ {
		if steps > 20 {
			t.Fatalf("walking product %d by %d (backward %v) does not end", parent, limit, backward)
		}
		p := variantPages(t, db, storeID, []int64{parent}, w)[parent]
		ids := make([]int64, len(p.Items))
		for i, v := range p.Items {
			ids[i] = v.ID
		}
		more, next := p.HasNextPage, len(p.Positions)-1
		if backward {
			seen = append(ids, seen...)
			more, next = p.HasPreviousPage, 0
		} else {
			seen = append(seen, ids...)
		}
		if !more {
			return seen
		}
		if len(p.Positions) == 0 {
			t.Fatalf("walking product %d by %d (backward %v): a page says there are more but has no items", parent, limit, backward)
		}
		c := p.Positions[next]
		w.From = &c
	}
}
