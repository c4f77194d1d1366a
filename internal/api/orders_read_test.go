package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/api"
)

const previewQuery = `query($in: SourcingPreviewInput!) { sourcingPreview(input: $in) {
	inventoryModel { id }
	lines { variant { sku } sku quantity
		takes { location { id } kind quantity onHold }
		shortfall { missing location { id } availableQuantity availableQuantityForBackorder availableQuantityForPreorder }
		error { code field }
		sources { stockLevel { id } location { id } priority held availableToSell availableForBackorder availableForPreorder skipped } } } }`

type previewLine struct {
	Variant  *struct{ Sku string }
	Sku      *string
	Quantity int
	Takes    []struct {
		Location struct{ ID string }
		Kind     string
		Quantity int
		OnHold   bool
	}
	Shortfall *struct {
		Missing                                                                        int
		Location                                                                       *struct{ ID string }
		AvailableQuantity, AvailableQuantityForBackorder, AvailableQuantityForPreorder int
	}
	Error   *struct{ Code, Field string }
	Sources []struct {
		Location                                                     struct{ ID string }
		Priority                                                     int
		Held                                                         bool
		AvailableToSell, AvailableForBackorder, AvailableForPreorder *int
		Skipped                                                      *string
	}
}

// describeTakes prints a preview line's takes as location:kind:quantity.
func (f *orderFixture) describeTakes(l previewLine) string {
	var parts []string
	for _, t := range l.Takes {
		loc := map[string]string{f.loc[1]: "L1", f.loc[2]: "L2", f.loc[3]: "L3"}[t.Location.ID]
		parts = append(parts, fmt.Sprintf("%s:%s:%d", loc, t.Kind, t.Quantity))
	}
	return strings.Join(parts, " ")
}

// TestSourcingPreview: the preview answers what createOrder would do,
// line by line, and writes nothing.
func TestSourcingPreview(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 2, 0)
	f.stock("sku-1", 2, 3, 4)
	var out struct {
		SourcingPreview struct {
			InventoryModel struct{ ID string }
			Lines          []previewLine
		}
	}
	f.e.mustData(f.token, previewQuery, map[string]any{"in": map[string]any{"lines": lines("sku-1", 4, "sku-1", 3, "nope", 1, "sku-1", 9)}}, &out)
	p := out.SourcingPreview
	if p.InventoryModel.ID != f.model || len(p.Lines) != 4 {
		t.Fatalf("sourcingPreview = %+v, want 4 lines of the default model", p)
	}
	for i, want := range []string{"L1:STOCK:2 L2:STOCK:2", "L2:STOCK:1 L2:BACKORDER:2", "", ""} {
		if got := f.describeTakes(p.Lines[i]); got != want {
			t.Errorf("sourcingPreview line %d takes = %q, want %q", i, got, want)
		}
	}
	if e := p.Lines[2].Error; e == nil || e.Code != "NOT_FOUND" || p.Lines[2].Variant != nil || p.Lines[2].Sku == nil || *p.Lines[2].Sku != "nope" {
		t.Errorf("sourcingPreview line of an unknown SKU = %+v, want NOT_FOUND and no variant", p.Lines[2])
	}
	sf := p.Lines[3].Shortfall
	if sf == nil || sf.Missing != 7 || sf.AvailableQuantity != 0 || sf.AvailableQuantityForBackorder != 2 || sf.Location == nil || sf.Location.ID != f.loc[1] {
		t.Errorf("sourcingPreview line 3 shortfall = %+v, want 7 missing, 0 available, 2 for backorder, at location 1", sf)
	}
	src := p.Lines[0].Sources
	if len(src) != 2 || src[0].Priority != 10 || src[1].Priority != 5 || *src[0].AvailableToSell != 2 || *src[1].AvailableForBackorder != 4 || src[0].Skipped != nil {
		t.Errorf("sourcingPreview line 0 sources = %+v, want priority 10 then 5, 2 to sell then 4 to backorder", src)
	}
	if got := f.onHandCommitted("sku-1", 2); got != [3]int{3, 0, 0} {
		t.Errorf("after sourcingPreview, sku-1 at location 2 = %v, want [3 0 0] (nothing written)", got)
	}
	f.e.mustData(f.token, previewQuery, map[string]any{"in": map[string]any{"lines": lines("sku-4", 1)}}, &out)
	for _, s := range out.SourcingPreview.Lines[0].Sources {
		if s.Skipped == nil || *s.Skipped != "the variant is not stocked at this location" {
			t.Errorf("source of an unstocked variant skipped = %v, want the reason", s.Skipped)
		}
	}
}

// TestOrderListing: filters, newest first, Relay paging and totalCount.
func TestOrderListing(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 50, 0)
	f.stock("sku-2", 1, 50, 0)
	var ids []string
	for i, sku := range []string{"sku-1", "sku-2", "sku-1", "sku-2", "sku-1"} {
		o, r := f.createOrder(map[string]any{"reference": fmt.Sprintf("R%d", i%2), "lines": lines(sku, 1)})
		if len(r.Errors) > 0 {
			t.Fatalf("createOrder = %+v", r.Errors)
		}
		ids = append(ids, o.ID)
	}
	f.e.mustData(f.token, `mutation($o: ID!) { cancelOrder(input: {orderId: $o}) { order { id } } }`, map[string]any{"o": ids[0]}, nil)
	const list = `query($f: OrderFilter, $first: Int, $after: String) { store { orders(filter: $f, first: $first, after: $after) {
		nodes { id } totalCount pageInfo { hasNextPage endCursor } } } }`
	for _, c := range []struct {
		name   string
		filter map[string]any
		want   []int
	}{
		{"all", nil, []int{4, 3, 2, 1, 0}},
		{"ids", map[string]any{"ids": []string{ids[1], ids[3]}}, []int{3, 1}},
		{"status", map[string]any{"status": []string{"CANCELLED"}}, []int{0}},
		{"reference", map[string]any{"reference": "R1"}, []int{3, 1}},
		{"sku", map[string]any{"sku": "sku-1"}, []int{4, 2, 0}},
		{"variantId", map[string]any{"variantId": f.v["sku-2"]}, []int{3, 1}},
		{"open sku-1", map[string]any{"sku": "sku-1", "status": []string{"OPEN"}}, []int{4, 2}},
		{"created in the future", map[string]any{"createdAt": map[string]any{"from": "2999-01-01T00:00:00Z"}}, nil},
	} {
		var out struct {
			Store struct {
				Orders struct {
					Nodes      []struct{ ID string }
					TotalCount int
				}
			}
		}
		f.e.mustData(f.token, list, map[string]any{"f": c.filter}, &out)
		var got, want []string
		for _, n := range out.Store.Orders.Nodes {
			got = append(got, n.ID)
		}
		for _, i := range c.want {
			want = append(want, ids[i])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || out.Store.Orders.TotalCount != len(want) {
			t.Errorf("orders(%s) = %v total %d, want %v", c.name, got, out.Store.Orders.TotalCount, want)
		}
	}
	var walked []string
	var after any
	for range 3 {
		var out struct {
			Store struct {
				Orders struct {
					Nodes    []struct{ ID string }
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
		}
		f.e.mustData(f.token, list, map[string]any{"first": 2, "after": after}, &out)
		for _, n := range out.Store.Orders.Nodes {
			walked = append(walked, n.ID)
		}
		if !out.Store.Orders.PageInfo.HasNextPage {
			break
		}
		after = out.Store.Orders.PageInfo.EndCursor
	}
	if want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}; fmt.Sprint(walked) != fmt.Sprint(want) {
		t.Errorf("orders walked 2 at a time = %v, want %v", walked, want)
	}
}

// TestOrderPageStatements: a page of orders with their lines,
// allocations, variants and locations costs the same few statements for
// 5 orders as for 20 (no N+1).
func TestOrderPageStatements(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 100, 0)
	f.stock("sku-1", 2, 100, 0)
	f.stock("sku-2", 2, 90, 40)
	for range 20 {
		if _, r := f.createOrder(map[string]any{"lines": lines("sku-1", 150/20+1, "sku-2", 6)}); len(r.Errors) > 0 {
			t.Fatalf("createOrder = %+v", r.Errors)
		}
	}
	const q = `query($n: Int) { store { orders(first: $n) { totalCount nodes { id status inventoryModel { name }
		lines { quantityAllocated quantityBackordered onHold variant { sku product { name } } allocations { kind quantity location { code } } } } } } }`
	// A token cache that outlasts the test, warmed, so that neither
	// request counts the token's lookup, however long they take.
	f.e.serveWith(api.Config{TokenCacheTTL: time.Hour})
	f.e.mustData(f.token, `{ store { handle } }`, nil, nil)
	counts := map[int]int64{}
	for _, n := range []int{5, 20} {
		before := f.e.db.Statements()
		var out struct {
			Store struct {
				Orders struct{ Nodes []struct{ ID string } }
			}
		}
		f.e.mustData(f.token, q, map[string]any{"n": n}, &out)
		counts[n] = f.e.db.Statements() - before
		if len(out.Store.Orders.Nodes) != n {
			t.Fatalf("orders(first: %d) = %d orders", n, len(out.Store.Orders.Nodes))
		}
	}
	// store, count, orders, models, lines, allocations, variants,
	// products, locations
	if counts[5] != counts[20] || counts[20] > 9 {
		t.Errorf("statements for 5 orders = %d, for 20 = %d, want the same and at most 9", counts[5], counts[20])
	}
	t.Logf("statements per page of orders: %v", counts)
}
