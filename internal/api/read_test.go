package api_test

import (
	"fmt"
	"testing"

	"stockgraph/internal/bench"
)

type aggregated struct {
	AvailableToSell int    `json:"availableToSell"`
	WarningLevel    int    `json:"warningLevel"`
	BackorderLimit  int    `json:"backorderLimit"`
	Availability    string `json:"availability"`
	OnHand          int    `json:"onHand"`
	QtyBackordered  int    `json:"qtyBackordered"`
}

type seedQueryData struct {
	Store struct {
		Products struct {
			Edges []struct {
				Node struct {
					ID        string `json:"id"`
					Inventory struct {
						Aggregated aggregated `json:"aggregated"`
					} `json:"inventory"`
					Variants struct {
						Edges []struct {
							Cursor string `json:"cursor"`
							Node   struct {
								ID        string `json:"id"`
								Inventory struct {
									Aggregated aggregated `json:"aggregated"`
								} `json:"inventory"`
							} `json:"node"`
						} `json:"edges"`
					} `json:"variants"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"products"`
	} `json:"store"`
}

// TestSeedQueryMatchesSQL runs the BigCommerce query unchanged and checks
// every number against sums computed directly in SQL.
func TestSeedQueryMatchesSQL(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("seedq", 12, 4, 3)
	// A disabled location and a virtual one must not count.
	e.exec(`UPDATE locations SET enabled = false WHERE code = 'LOC-3'`)
	e.exec(`UPDATE inventory_items SET tracking_mode = 'QUANTITY'`)
	var got seedQueryData
	e.mustData(token, bench.SeedQuery, nil, &got)
	if n := len(got.Store.Products.Edges); n != 12 {
		t.Fatalf("seed query returned %d products, want 12", n)
	}
	wantVariants := e.sqlAggregates(`v.id`)
	wantProducts := e.sqlAggregates(`v.product_id`)
	for _, pe := range got.Store.Products.Edges {
		pid := e.entityID(pe.Node.ID)
		if w := wantProducts[pid]; pe.Node.Inventory.Aggregated != w {
			t.Errorf("product %d aggregated = %+v, want %+v", pid, pe.Node.Inventory.Aggregated, w)
		}
		if n := len(pe.Node.Variants.Edges); n != 4 {
			t.Errorf("product %d has %d variants, want 4", pid, n)
		}
		for _, ve := range pe.Node.Variants.Edges {
			vid := e.entityID(ve.Node.ID)
			if w := wantVariants[vid]; ve.Node.Inventory.Aggregated != w {
				t.Errorf("variant %d aggregated = %+v, want %+v", vid, ve.Node.Inventory.Aggregated, w)
			}
		}
	}
}

// sqlAggregates computes the aggregated inventory per group in SQL, over
// enabled physical locations, independently of the Go rules.
func (e *env) sqlAggregates(groupBy string) map[int64]aggregated {
	e.t.Helper()
	rows, err := e.db.Raw(fmt.Sprintf(`
		SELECT %s AS id,
		       coalesce(sum(greatest(i.on_hand - i.committed - i.safety_stock, 0)) FILTER (WHERE l.enabled AND l.type IN ('STORE', 'WAREHOUSE')), 0),
		       coalesce(sum(i.warning_level) FILTER (WHERE l.enabled AND l.type IN ('STORE', 'WAREHOUSE')), 0),
		       coalesce(sum(i.backorder_limit) FILTER (WHERE l.enabled AND l.type IN ('STORE', 'WAREHOUSE')), 0),
		       coalesce(sum(i.on_hand) FILTER (WHERE l.enabled AND l.type IN ('STORE', 'WAREHOUSE')), 0),
		       coalesce(sum(i.qty_backordered) FILTER (WHERE l.enabled AND l.type IN ('STORE', 'WAREHOUSE')), 0)
		FROM variants v
		LEFT JOIN inventory_items i ON i.store_id = v.store_id AND i.variant_id = v.id
		LEFT JOIN locations l ON l.store_id = i.store_id AND l.id = i.location_id
		GROUP BY 1`, groupBy)).Rows()
	if err != nil {
		e.t.Fatalf("aggregate in SQL: %v", err)
	}
	defer rows.Close()
	out := map[int64]aggregated{}
	for rows.Next() {
		var id int64
		var a aggregated
		if err := rows.Scan(&id, &a.AvailableToSell, &a.WarningLevel, &a.BackorderLimit, &a.OnHand, &a.QtyBackordered); err != nil {
			e.t.Fatalf("scan: %v", err)
		}
		switch {
		case a.AvailableToSell == 0:
			a.Availability = "OUT_OF_STOCK"
		case a.AvailableToSell <= a.WarningLevel:
			a.Availability = "LOW_STOCK"
		default:
			a.Availability = "IN_STOCK"
		}
		out[id] = a
	}
	return out
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if err := e.db.Exec(sql, args...).Error; err != nil {
		e.t.Fatalf("exec %q: %v", sql, err)
	}
}

// TestSeedQueryStatementCount checks that the seed query costs the same
// small number of SQL statements for 10 products as for 100.
func TestSeedQueryStatementCount(t *testing.T) {
	const maxStatements = 6
	counts := map[int]int64{}
	for _, products := range []int{10, 100} {
		e := newEnv(t)
		token := e.seedStore(fmt.Sprintf("count-%d", products), products, 10, 5)
		before := e.db.Statements()
		var got seedQueryData
		e.mustData(token, bench.SeedQuery, nil, &got)
		counts[products] = e.db.Statements() - before
		if n := len(got.Store.Products.Edges); n != products {
			t.Fatalf("seed query returned %d products, want %d", n, products)
		}
		if counts[products] > maxStatements {
			t.Errorf("seed query over %d products ran %d SQL statements, want at most %d", products, counts[products], maxStatements)
		}
	}
	if counts[10] != counts[100] {
		t.Errorf("statements for 10 products = %d, for 100 = %d, want the same", counts[10], counts[100])
	}
	t.Logf("statements per seed query: %v", counts)
}
