package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
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
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: e.db, DevToken: token, DevMode: true}))
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

// TestGraphiQLSubscriptionUpdatesLive runs a subscription in one GraphiQL
// tab and mutations in another, as a person would after `make run`, and
// checks the first tab shows the stock event the mutation caused.
func TestGraphiQLSubscriptionUpdatesLive(t *testing.T) {
	if _, err := browsertest.ChromiumPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is needed in CI (make test installs it): %v", err)
		}
		t.Skipf("no Chromium: %v", err)
	}
	e := newEnv(t)
	token := e.seedStore("live", 1, 1, 1)
	var loc struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID string } }
		}
	}
	e.mustData(token, `{ store { locations(filter: {types: [STORE, WAREHOUSE]}) { nodes { id } } } }`, nil, &loc)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: e.db, DevToken: token, DevMode: true}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	watcher, err := browsertest.OpenGraphiQL(ctx, srv.URL+"/")
	if err != nil {
		t.Fatalf("OpenGraphiQL (subscription tab): %v", err)
	}
	defer watcher.Close()
	before, err := watcher.Execute(`subscription { inventoryChanged(filter: {types: [STOCK_CHANGED]}) { type reason cursor after { onHand } } }`)
	if err != nil {
		t.Fatalf("starting the subscription: %v", err)
	}
	shown := make(chan string, 1)
	go func() {
		text, err := watcher.WaitForResponse(before, func(text string) bool { return strings.Contains(text, "received in the other tab") })
		if err != nil {
			text = "error: " + err.Error()
		}
		shown <- text
	}()

	writer, err := browsertest.OpenGraphiQL(ctx, srv.URL+"/")
	if err != nil {
		t.Fatalf("OpenGraphiQL (mutation tab): %v", err)
	}
	defer writer.Close()
	mutation := fmt.Sprintf(`mutation { adjustInventoryRelative(input: { reason: "received in the other tab",
		items: [{ locationId: %q, sku: "P00001-01", quantity: 1 }] }) { items { onHand } } }`, loc.Store.Locations.Nodes[0].ID)
	// GraphiQL gives no sign of when its subscription is live, so the
	// other tab adjusts until the first tab shows an event (each run
	// changes the payload, so each is a new response to wait for).
	prev := ""
	for try := 1; ; try++ {
		if prev, err = writer.Execute(mutation); err != nil {
			t.Fatalf("running the mutation: %v", err)
		}
		if prev, err = writer.WaitForResponse(prev, nil); err != nil || !strings.Contains(prev, "onHand") {
			t.Fatalf("mutation tab shows %q, %v; want the adjusted item", prev, err)
		}
		select {
		case text := <-shown:
			checkShownEvent(t, text)
			return
		case <-time.After(2 * time.Second):
		}
		if try == 20 {
			t.Fatal("the subscription tab showed no event after 20 mutations in the other tab")
		}
	}
}

// checkShownEvent checks what GraphiQL's response pane shows is the
// subscription's STOCK_CHANGED event.
func checkShownEvent(t *testing.T, text string) {
	t.Helper()
	var shown struct {
		Data struct {
			InventoryChanged struct {
				Type, Reason, Cursor string
				After                struct{ OnHand int }
			}
		}
		Errors []gqlError
	}
	if err := json.Unmarshal([]byte(text), &shown); err != nil || len(shown.Errors) > 0 {
		t.Fatalf("the subscription tab shows %q (%v), want an event", text, err)
	}
	ev := shown.Data.InventoryChanged
	if ev.Type != "STOCK_CHANGED" || ev.Reason != "received in the other tab" || ev.Cursor == "" || ev.After.OnHand <= 0 {
		t.Errorf("the subscription tab shows %+v, want a STOCK_CHANGED event of the other tab's adjustment", ev)
	}
}
