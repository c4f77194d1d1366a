package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/testsupport/browsertest"
)

// TestGraphiQLInChromium opens GraphiQL in headless Chromium, as a person
// would after `make run`, runs a query with the prefilled dev token and
// checks the result shown on the page.
func TestGraphiQLInChromium(t *testing.T) {
	if _, err := browsertest.ChromiumPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is needed in CI (make test installs it): %v", err)
		}
		t.Skipf("no Chromium: %v", err)
	}
	e := newEnv(t)
	token := e.seedStore("browser", 3, 2, 2)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: e.db, DevToken: token}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	result, err := browsertest.RunGraphiQL(ctx, srv.URL+"/", `{ store { handle products(first: 2) { totalCount edges { node { sku inventory { aggregated { onHand } } } } } } }`)
	if err != nil {
		t.Fatalf("RunGraphiQL: %v", err)
	}
	var shown struct {
		Data struct {
			Store struct {
				Handle   string
				Products struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Sku       string
							Inventory struct{ Aggregated struct{ OnHand int } }
						}
					}
				}
			}
		}
		Errors []gqlError
	}
	if err := json.Unmarshal([]byte(result), &shown); err != nil {
		t.Fatalf("GraphiQL showed %q, not a JSON response: %v", result, err)
	}
	if len(shown.Errors) > 0 {
		t.Fatalf("GraphiQL showed errors: %+v", shown.Errors)
	}
	s := shown.Data.Store
	if s.Handle != "browser" || s.Products.TotalCount != 3 || len(s.Products.Edges) != 2 || s.Products.Edges[0].Node.Sku != "P00001" {
		t.Fatalf("GraphiQL showed %+v, want store browser with 3 products, first P00001", s)
	}
	var wantOnHand int
	e.db.Raw(`SELECT sum(i.on_hand) FROM inventory_items i JOIN variants v ON v.id = i.variant_id JOIN products p ON p.id = v.product_id WHERE p.sku = 'P00001'`).Scan(&wantOnHand)
	if got := s.Products.Edges[0].Node.Inventory.Aggregated.OnHand; got != wantOnHand {
		t.Errorf("GraphiQL showed onHand %d for P00001, want %d", got, wantOnHand)
	}
}
