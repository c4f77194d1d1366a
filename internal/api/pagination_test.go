package api_test

import (
	"fmt"
	"slices"
	"testing"
)

type pageInfo struct {
	HasNextPage, HasPreviousPage bool
	StartCursor, EndCursor       *string
}

// TestProductsPaginateBothWays walks the products with first/after and
// back with last/before, sorted by name descending, and checks every
// product is seen once, in order.
func TestProductsPaginateBothWays(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("pages", 23, 1, 1)
	var want []string
	e.db.Raw(`SELECT name FROM products ORDER BY name DESC, id DESC`).Scan(&want)

	type page struct {
		Store struct {
			Products struct {
				TotalCount int
				PageInfo   pageInfo
				Nodes      []struct{ Name string }
			}
		}
	}
	query := `query($first: Int, $after: String, $last: Int, $before: String) { store {
		products(first: $first, after: $after, last: $last, before: $before, sortBy: {field: NAME, direction: DESC}) {
			totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { name } } } }`

	var forward []string
	vars := map[string]any{"first": 5}
	for i := 0; ; i++ {
		var p page
		e.mustData(token, query, vars, &p)
		c := p.Store.Products
		if c.TotalCount != 23 {
			t.Fatalf("totalCount = %d, want 23", c.TotalCount)
		}
		for _, n := range c.Nodes {
			forward = append(forward, n.Name)
		}
		if !c.PageInfo.HasNextPage || i > 10 {
			break
		}
		vars = map[string]any{"first": 5, "after": *c.PageInfo.EndCursor}
	}
	if !slices.Equal(forward, want) {
		t.Errorf("forward walk = %v, want %v", forward, want)
	}

	var backward []string
	vars = map[string]any{"last": 4}
	for i := 0; ; i++ {
		var p page
		e.mustData(token, query, vars, &p)
		c := p.Store.Products
		names := make([]string, len(c.Nodes))
		for j, n := range c.Nodes {
			names[j] = n.Name
		}
		backward = append(names, backward...)
		if !c.PageInfo.HasPreviousPage || i > 10 {
			break
		}
		vars = map[string]any{"last": 4, "before": *c.PageInfo.StartCursor}
	}
	if !slices.Equal(backward, want) {
		t.Errorf("backward walk = %v, want %v", backward, want)
	}
}

// TestVariantPagesPerProduct pages each product's variants in one query.
func TestVariantPagesPerProduct(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("vpages", 3, 5, 1)
	var first struct {
		Store struct {
			Products struct {
				Nodes []struct {
					Variants struct {
						TotalCount int
						PageInfo   pageInfo
						Nodes      []struct{ Sku string }
					}
				}
			}
		}
	}
	e.mustData(token, `{ store { products { nodes { variants(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { sku } } } } } }`, nil, &first)
	for i, p := range first.Store.Products.Nodes {
		v := p.Variants
		want := []string{fmt.Sprintf("P%05d-01", i+1), fmt.Sprintf("P%05d-02", i+1)}
		if v.TotalCount != 5 || !v.PageInfo.HasNextPage || v.PageInfo.HasPreviousPage || len(v.Nodes) != 2 || v.Nodes[0].Sku != want[0] || v.Nodes[1].Sku != want[1] {
			t.Errorf("product %d first variant page = %+v, want %v of 5 with a next page", i+1, v, want)
		}
	}
	// The last page of the second product, from its end cursor.
	var next struct {
		Store struct {
			Product struct {
				Variants struct {
					PageInfo pageInfo
					Nodes    []struct{ Sku string }
				}
			}
		}
	}
	e.mustData(token, `query($after: String) { store { product(sku: "P00002") { variants(first: 10, after: $after) { pageInfo { hasNextPage hasPreviousPage } nodes { sku } } } } }`,
		map[string]any{"after": *first.Store.Products.Nodes[1].Variants.PageInfo.EndCursor}, &next)
	v := next.Store.Product.Variants
	if len(v.Nodes) != 3 || v.Nodes[0].Sku != "P00002-03" || v.PageInfo.HasNextPage || !v.PageInfo.HasPreviousPage {
		t.Errorf("second page = %+v, want P00002-03..05, no next page, a previous page", v)
	}
}

// TestInventoryByLocation checks the per-location views: a product's
// totals per location, a variant's items in location priority order, and
// a location's items filtered by SKU.
func TestInventoryByLocation(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("byloc", 2, 3, 3)
	var got struct {
		Store struct {
			Product struct {
				Inventory struct {
					ByLocation []struct {
						Location struct{ Code string }
						OnHand   int
					}
				}
			}
			Variant struct {
				Inventory struct {
					ByLocation []struct {
						Location        struct{ Code string }
						OnHand          int
						AvailableToSell int
					}
				}
			}
			Locations struct {
				Nodes []struct {
					ID             string
					Code           string
					InventoryItems struct {
						TotalCount int
						Nodes      []struct{ Variant struct{ Sku string } }
					}
				}
			}
		}
	}
	e.mustData(token, `{ store {
		product(sku: "P00001") { inventory { byLocation { location { code } onHand } } }
		variant(sku: "P00001-02") { inventory { byLocation { location { code } onHand availableToSell } } }
		locations(filter: {types: [STORE, WAREHOUSE]}) { nodes { id code inventoryItems(filter: {skus: ["P00002-01", "P00002-03"]}) { totalCount nodes { variant { sku } } } } }
	} }`, nil, &got)

	var productWant []struct {
		Code   string
		OnHand int
	}
	e.db.Raw(`SELECT l.code, sum(i.on_hand) AS on_hand FROM inventory_items i JOIN variants v ON v.id = i.variant_id
		JOIN products p ON p.id = v.product_id JOIN locations l ON l.id = i.location_id
		WHERE p.sku = 'P00001' GROUP BY l.code, l.priority ORDER BY l.priority DESC`).Scan(&productWant)
	pl := got.Store.Product.Inventory.ByLocation
	if len(pl) != len(productWant) {
		t.Fatalf("product byLocation has %d locations, want %d", len(pl), len(productWant))
	}
	for i, w := range productWant {
		if pl[i].Location.Code != w.Code || pl[i].OnHand != w.OnHand {
			t.Errorf("product byLocation[%d] = %s %d, want %s %d", i, pl[i].Location.Code, pl[i].OnHand, w.Code, w.OnHand)
		}
	}
	vl := got.Store.Variant.Inventory.ByLocation
	if len(vl) != 3 || vl[0].Location.Code != "LOC-1" || vl[2].Location.Code != "LOC-3" {
		t.Errorf("variant byLocation = %+v, want LOC-1, LOC-2, LOC-3 (priority order)", vl)
	}
	for _, l := range got.Store.Locations.Nodes {
		items := l.InventoryItems
		if items.TotalCount != 2 || len(items.Nodes) != 2 || items.Nodes[0].Variant.Sku != "P00002-01" || items.Nodes[1].Variant.Sku != "P00002-03" {
			t.Errorf("location %s items filtered by SKU = %+v, want P00002-01 and P00002-03", l.Code, items)
		}
	}

	// byLocation(locationIds:) keeps only the locations asked for.
	var one struct {
		Store struct {
			Variant struct {
				Inventory struct {
					ByLocation []struct{ Location struct{ Code string } }
				}
			}
		}
	}
	e.mustData(token, `query($l: ID!) { store { variant(sku: "P00001-02") { inventory { byLocation(locationIds: [$l]) { location { code } } } } } }`,
		map[string]any{"l": got.Store.Locations.Nodes[1].ID}, &one)
	if bl := one.Store.Variant.Inventory.ByLocation; len(bl) != 1 || bl[0].Location.Code != got.Store.Locations.Nodes[1].Code {
		t.Errorf("byLocation(locationIds: [%s]) = %+v, want just that location", got.Store.Locations.Nodes[1].Code, bl)
	}
}
