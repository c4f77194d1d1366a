package catalog_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	paging "stockgraph/internal/page"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// spec describes a product to create: its name, own SKU and variant SKUs.
type spec struct {
	name, sku string
	variants  []string
}

// listFixture is a store whose products exercise sorting ties, searching
// and filtering, next to another store that must never show.
type listFixture struct {
	db       *database.DB
	store    int64
	other    int64
	products []models.Product          // the store's products, as stored
	variants map[int64][]string        // variant SKUs by product ID
	bySpec   map[string]models.Product // by spec name+"|"+sku
	otherIDs []int64
}

var listSpecs = []spec{
	{"Widget", "W-1", []string{"W-1-S", "W-1-M"}},
	{"widget", "", []string{"WID-BLUE"}},
	{"Gadget", "G-1", nil},
	{"Widget", "", nil},
	{"Widget", "W-2", nil},
	{"Gizmo 100%", "GZ_100", []string{"GZ-100-A"}},
	{"Gizmo 1000", "GZX100", nil},
	{"Apple", "", nil},
	{"apple", "A", nil},
	{"Zebra", "", []string{"ZZ-top"}},
	{`Back\slash`, `B\1`, nil},
	{"Gadget", "", []string{"G-2-X"}},
}

func mustStore(t testing.TB, db *database.DB, handle string) int64 {
	t.Helper()
	s, _, err := catalog.EnsureStore(db.DB, handle)
	if err != nil {
		t.Fatalf("EnsureStore(%q) error = %v, want nil", handle, err)
	}
	return s.ID
}

func mustCreate(t testing.TB, db *database.DB, storeID int64, s spec) models.Product {
	t.Helper()
	vs := make([]catalog.VariantFields, len(s.variants))
	for i, sku := range s.variants {
		vs[i] = catalog.VariantFields{SKU: sku, Name: "v " + sku}
	}
	p, err := catalog.CreateProduct(context.Background(), db.DB, storeID, catalog.ProductFields{Name: s.name, SKU: s.sku}, vs)
	if err != nil {
		t.Fatalf("CreateProduct(%q, %q) error = %v, want nil", s.name, s.sku, err)
	}
	return p
}

func mustExec(t testing.TB, db *database.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("Exec(%s) error = %v, want nil", sql, err)
	}
}

func newListFixture(t testing.TB) *listFixture {
	t.Helper()
	db := testdb.MustOpenDB(t)
	f := &listFixture{db: db, store: mustStore(t, db, "shop"), other: mustStore(t, db, "other-shop"),
		variants: map[int64][]string{}, bySpec: map[string]models.Product{}}
	for i, s := range listSpecs {
		p := mustCreate(t, db, f.store, s)
		f.variants[p.ID] = s.variants
		f.bySpec[s.name+"|"+s.sku] = p
		// The other store interleaves look-alikes: same names and SKUs.
		if i%3 == 0 {
			vs := []string{"OTHER-" + fmt.Sprint(i)}
			if s.sku != "" {
				vs = append(vs, s.sku+"-S") // W-1-S is also a variant SKU of this store
			}
			o := mustCreate(t, db, f.other, spec{s.name, s.sku, vs})
			f.otherIDs = append(f.otherIDs, o.ID)
		}
	}
	// Ties on created_at: several products share one instant, one of them
	// with microseconds.
	ids := func(keys ...string) []int64 {
		var out []int64
		for _, k := range keys {
			out = append(out, f.bySpec[k].ID)
		}
		return out
	}
	mustExec(t, db, `UPDATE products SET created_at = '2024-01-01T00:00:00Z' WHERE id IN ?`, ids("widget|", "Gadget|G-1", "Widget|", "Gizmo 1000|GZX100"))
	mustExec(t, db, `UPDATE products SET created_at = '2024-01-02T00:00:00.123456Z' WHERE id IN ?`, ids("Widget|W-2", "Gizmo 100%|GZ_100", "Gadget|"))
	if err := db.Where("store_id = ?", f.store).Find(&f.products).Error; err != nil {
		t.Fatalf("load products: %v", err)
	}
	if len(f.products) != len(listSpecs) {
		t.Fatalf("store has %d products, want %d", len(f.products), len(listSpecs))
	}
	return f
}

// sortedProducts is the model of ListProducts' order: by the field, then
// by ID, both in the requested direction.
func sortedProducts(all []models.Product, field catalog.ProductSortField, desc bool) []models.Product {
	out := slices.Clone(all)
	slices.SortFunc(out, func(a, b models.Product) int {
		var c int
		switch field {
		case catalog.SortByName:
			c = strings.Compare(a.Name, b.Name)
		case catalog.SortBySKU:
			c = strings.Compare(a.SKU, b.SKU)
		case catalog.SortByCreatedAt:
			c = a.CreatedAt.Compare(b.CreatedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		return c
	})
	return out
}

func productIDs(ps []models.Product) []int64 {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

// productModel pages the sorted list like the Relay specification, with a
// cursor on the item at position at (-1 for none).
func productModel(sorted []int64, at int, limit int, backward bool) (ids []int64, hasNext, hasPrev bool) {
	edges := sorted
	if at >= 0 {
		if backward {
			edges = sorted[:at]
		} else {
			edges = sorted[at+1:]
		}
	}
	if backward {
		return edges[max(0, len(edges)-limit):], at >= 0, len(edges) > limit
	}
	return edges[:min(len(edges), limit)], len(edges) > limit, at >= 0
}

func (f *listFixture) list(t *testing.T, q catalog.ProductQuery) paging.Page[models.Product] {
	t.Helper()
	page, err := catalog.ListProducts(context.Background(), f.db.DB, f.store, q)
	if err != nil {
		t.Fatalf("ListProducts(%+v) error = %v, want nil", q, err)
	}
	return page
}

func describeQuery(q catalog.ProductQuery) string {
	c := "nil"
	if q.Window.From != nil {
		c = fmt.Sprintf("%+v", *q.Window.From)
	}
	return fmt.Sprintf("sort %s desc %v limit %d backward %v cursor %s", q.Sort, q.Descending, q.Window.Limit, q.Window.Backward, c)
}

var sortFields = []catalog.ProductSortField{catalog.SortByID, catalog.SortByName, catalog.SortBySKU, catalog.SortByCreatedAt}

func TestListProductsSorting(t *testing.T) {
	f := newListFixture(t)
	for _, field := range sortFields {
		for _, desc := range []bool{false, true} {
			want := productIDs(sortedProducts(f.products, field, desc))
			t.Run(fmt.Sprintf("%s desc=%v", field, desc), func(t *testing.T) {
				for _, limit := range []int{1, 2, 5, 50} {
					if got := f.walk(t, field, desc, limit, false, want); !slices.Equal(got, want) {
						t.Errorf("walking forward by %d = %v, want %v", limit, got, want)
					}
					if got := f.walk(t, field, desc, limit, true, want); !slices.Equal(got, want) {
						t.Errorf("walking backward by %d = %v, want %v", limit, got, want)
					}
				}
				// Every item's cursor, both ways, against the model.
				first := f.list(t, catalog.ProductQuery{Sort: field, Descending: desc, Window: paging.Window{Limit: len(want)}})
				for _, limit := range []int{0, 3} {
					for _, backward := range []bool{false, true} {
						for at, s := range first.Positions {
							c := s
							q := catalog.ProductQuery{Sort: field, Descending: desc, Window: paging.Window{Limit: limit, Backward: backward, From: &c}}
							f.checkPage(t, q, f.list(t, q), want, at)
						}
					}
				}
			})
		}
	}
}

// walk pages through the whole list with endCursor (or startCursor) and
// checks every page against the model on the way.
func (f *listFixture) walk(t *testing.T, field catalog.ProductSortField, desc bool, limit int, backward bool, want []int64) []int64 {
	t.Helper()
	return f.walkQuery(t, catalog.ProductQuery{Sort: field, Descending: desc, Window: paging.Window{Limit: limit, Backward: backward}}, want)
}

// walkQuery pages through q's whole list, from its first page, checking
// every page against want on the way.
func (f *listFixture) walkQuery(t *testing.T, q catalog.ProductQuery, want []int64) []int64 {
	t.Helper()
	var seen []int64
	limit, backward := q.Window.Limit, q.Window.Backward
	at := -1
	for steps := 0; ; steps++ {
		if steps > len(want)+1 {
			t.Fatalf("walking %s by %d (backward %v) does not end", describeQuery(q), limit, backward)
		}
		page := f.list(t, q)
		f.checkPage(t, q, page, want, at)
		more, next := page.HasNextPage, len(page.Positions)-1
		if backward {
			seen = append(productIDs(page.Items), seen...)
			more, next = page.HasPreviousPage, 0
		} else {
			seen = append(seen, productIDs(page.Items)...)
		}
		if !more {
			return seen
		}
		if len(page.Positions) == 0 {
			t.Fatalf("ListProducts(%s): more pages but no items", describeQuery(q))
		}
		c := page.Positions[next]
		q.Window.From = &c
		at = slices.Index(want, c.ID)
	}
}

func (f *listFixture) checkPage(t *testing.T, q catalog.ProductQuery, page paging.Page[models.Product], sorted []int64, at int) {
	t.Helper()
	wantIDs, wantNext, wantPrev := productModel(sorted, at, q.Window.Limit, q.Window.Backward)
	what := "ListProducts(" + describeQuery(q) + ")"
	if got := productIDs(page.Items); !slices.Equal(got, wantIDs) {
		t.Errorf("%s IDs = %v, want %v", what, got, wantIDs)
	}
	if page.HasNextPage != wantNext || page.HasPreviousPage != wantPrev {
		t.Errorf("%s hasNextPage, hasPreviousPage = %v, %v, want %v, %v", what, page.HasNextPage, page.HasPreviousPage, wantNext, wantPrev)
	}
	if len(page.Positions) != len(page.Items) {
		t.Fatalf("%s has %d cursors for %d items, want one each", what, len(page.Positions), len(page.Items))
	}
	for i, s := range page.Positions {
		c := s
		if c.ID != page.Items[i].ID {
			t.Errorf("%s: position %d = %+v, want ID %d", what, i, c, page.Items[i].ID)
		}
	}
}

func TestListProductsFilters(t *testing.T) {
	f := newListFixture(t)
	p := func(key string) int64 {
		t.Helper()
		pr, ok := f.bySpec[key]
		if !ok {
			t.Fatalf("no product %q in the fixture", key)
		}
		return pr.ID
	}
	// matches is the model of Search: a case-insensitive substring of the
	// name, the product's SKU or a variant's SKU, every character literal.
	matches := func(search string) []int64 {
		s := strings.ToLower(strings.TrimSpace(search))
		var out []int64
		for _, pr := range f.products {
			hay := append([]string{pr.Name, pr.SKU}, f.variants[pr.ID]...)
			if slices.ContainsFunc(hay, func(h string) bool { return strings.Contains(strings.ToLower(h), s) }) {
				out = append(out, pr.ID)
			}
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		q    catalog.ProductQuery
		want []int64
	}{
		{"no filter", catalog.ProductQuery{}, productIDs(f.products)},
		{"search name any case", catalog.ProductQuery{Search: "wIdGeT"}, []int64{p("Widget|W-1"), p("widget|"), p("Widget|"), p("Widget|W-2")}},
		{"search trimmed", catalog.ProductQuery{Search: "  gadget \t"}, []int64{p("Gadget|G-1"), p("Gadget|")}},
		{"search product SKU", catalog.ProductQuery{Search: "gzx"}, []int64{p("Gizmo 1000|GZX100")}},
		{"search variant SKU", catalog.ProductQuery{Search: "wid-blue"}, []int64{p("widget|")}},
		{"search variant SKU both stores have", catalog.ProductQuery{Search: "w-1-s"}, []int64{p("Widget|W-1")}},
		{"search variant SKU part", catalog.ProductQuery{Search: "-top"}, []int64{p("Zebra|")}},
		{"search percent is literal", catalog.ProductQuery{Search: "100%"}, []int64{p("Gizmo 100%|GZ_100")}},
		{"search lone percent", catalog.ProductQuery{Search: "%"}, []int64{p("Gizmo 100%|GZ_100")}},
		{"search underscore is literal", catalog.ProductQuery{Search: "z_1"}, []int64{p("Gizmo 100%|GZ_100")}},
		{"search lone underscore", catalog.ProductQuery{Search: "_"}, []int64{p("Gizmo 100%|GZ_100")}},
		{"search backslash is literal", catalog.ProductQuery{Search: `k\s`}, []int64{p(`Back\slash|B\1`)}},
		{"search no match", catalog.ProductQuery{Search: "nothing like it"}, nil},
		{"search blank", catalog.ProductQuery{Search: "   "}, productIDs(f.products)},
		{"ids", catalog.ProductQuery{IDs: []int64{p("Apple|"), p("Zebra|"), f.otherIDs[0], 1 << 40}}, []int64{p("Apple|"), p("Zebra|")}},
		{"ids empty", catalog.ProductQuery{IDs: []int64{}}, nil},
		{"skus own", catalog.ProductQuery{SKUs: []string{"W-1"}}, []int64{p("Widget|W-1")}},
		{"skus variant", catalog.ProductQuery{SKUs: []string{"WID-BLUE"}}, []int64{p("widget|")}},
		{"skus mixed", catalog.ProductQuery{SKUs: []string{"W-1-S", "G-1", "GZ-100-A", "nope"}}, []int64{p("Widget|W-1"), p("Gadget|G-1"), p("Gizmo 100%|GZ_100")}},
		{"skus are exact", catalog.ProductQuery{SKUs: []string{"w-1", "W-", "wid-blue"}}, nil},
		{"skus empty string", catalog.ProductQuery{SKUs: []string{""}}, nil},
		{"skus empty", catalog.ProductQuery{SKUs: []string{}}, nil},
		{"skus of the other store", catalog.ProductQuery{SKUs: []string{"OTHER-0", "GZX100-S"}}, nil},
		{"search and skus", catalog.ProductQuery{Search: "widget", SKUs: []string{"W-2", "G-1", "WID-BLUE"}}, []int64{p("widget|"), p("Widget|W-2")}},
		{"search and ids", catalog.ProductQuery{Search: "g", IDs: []int64{p("Gadget|"), p("Apple|"), p("Gizmo 1000|GZX100")}}, []int64{p("Gadget|"), p("Gizmo 1000|GZX100")}},
	}
	for _, tt := range tests {
		slices.Sort(tt.want)
		if tt.q.Search != "" && len(tt.q.IDs) == 0 && len(tt.q.SKUs) == 0 {
			if m := matches(tt.q.Search); !slices.Equal(m, tt.want) {
				t.Fatalf("%s: the search model gives %v, the table %v; fix the table", tt.name, m, tt.want)
			}
		}
		for _, limit := range []int{2, 50} {
			// Sorted by ID, page by page, with the total.
			var got []int64
			q := tt.q
			q.Sort, q.WithTotal, q.Window = catalog.SortByID, true, paging.Window{Limit: limit}
			for steps := 0; ; steps++ {
				if steps > len(f.products) {
					t.Fatalf("%s: paging does not end", tt.name)
				}
				page, err := catalog.ListProducts(context.Background(), f.db.DB, f.store, q)
				if err != nil {
					t.Fatalf("%s: ListProducts(%+v) error = %v, want nil", tt.name, q, err)
				}
				if page.TotalCount != len(tt.want) {
					t.Errorf("%s: ListProducts(limit %d).TotalCount = %d, want %d", tt.name, limit, page.TotalCount, len(tt.want))
				}
				got = append(got, productIDs(page.Items)...)
				if !page.HasNextPage {
					break
				}
				c := page.Positions[len(page.Positions)-1]
				q.Window.From = &c
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: ListProducts(limit %d) IDs = %v, want %v", tt.name, limit, got, tt.want)
			}
		}
		// Without WithTotal the count is not computed.
		q := tt.q
		q.Sort, q.Window = catalog.SortByName, paging.Window{Limit: 1}
		page, err := catalog.ListProducts(context.Background(), f.db.DB, f.store, q)
		if err != nil {
			t.Fatalf("%s: ListProducts(%+v) error = %v, want nil", tt.name, q, err)
		}
		if page.TotalCount != 0 || page.HasNextPage != (len(tt.want) > 1) {
			t.Errorf("%s: ListProducts(first 1, no total) = total %d, hasNextPage %v, want 0, %v", tt.name, page.TotalCount, page.HasNextPage, len(tt.want) > 1)
		}
	}
}

func TestListProductsStoreIsolation(t *testing.T) {
	f := newListFixture(t)
	// The other store sees only its own look-alikes, in every sort.
	var others []models.Product
	if err := f.db.Where("store_id = ?", f.other).Find(&others).Error; err != nil {
		t.Fatalf("load the other store's products: %v", err)
	}
	for _, field := range sortFields {
		page, err := catalog.ListProducts(context.Background(), f.db.DB, f.other, catalog.ProductQuery{Sort: field, WithTotal: true, Window: paging.Window{Limit: 50}})
		if err != nil {
			t.Fatalf("ListProducts(other store, %s) error = %v, want nil", field, err)
		}
		if got, want := productIDs(page.Items), productIDs(sortedProducts(others, field, false)); !slices.Equal(got, want) || page.TotalCount != len(want) {
			t.Errorf("ListProducts(other store, %s) = %v (total %d), want %v (total %d)", field, got, page.TotalCount, want, len(want))
		}
	}
	// A cursor taken from the other store's list still pages this store only.
	c := paging.Position{Key: "Gadget", ID: f.otherIDs[0]}
	page := f.list(t, catalog.ProductQuery{Sort: catalog.SortByName, Window: paging.Window{Limit: 50, From: &c}})
	for _, p := range page.Items {
		if p.StoreID != f.store {
			t.Errorf("ListProducts(store %d) returned product %d of store %d", f.store, p.ID, p.StoreID)
		}
	}
}

func TestListProductsErrors(t *testing.T) {
	f := newListFixture(t)
	tests := []struct {
		name  string
		q     catalog.ProductQuery
		field string
	}{
		{"unknown sort", catalog.ProductQuery{Sort: "PRICE", Window: paging.Window{Limit: 1}}, "sortBy.field"},
		{"empty sort", catalog.ProductQuery{Window: paging.Window{Limit: 1}}, "sortBy.field"},
		{"name cursor for created at", catalog.ProductQuery{Sort: catalog.SortByCreatedAt, Window: paging.Window{Limit: 1, From: &paging.Position{Key: "Widget", ID: 1}}}, "after"},
	}
	for _, tt := range tests {
		_, err := catalog.ListProducts(context.Background(), f.db.DB, f.store, tt.q)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != tt.field {
			t.Errorf("%s: ListProducts error = %v, want BAD_USER_INPUT on %s", tt.name, err, tt.field)
		}
	}
}
