package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/testsupport/browsertest"
)

// TestOrdersFromGraphiQL places an order and previews the next one from
// GraphiQL in headless Chromium, as a merchant would check a model.
func TestOrdersFromGraphiQL(t *testing.T) {
	if _, err := browsertest.ChromiumPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is needed in CI (make test installs it): %v", err)
		}
		t.Skipf("no Chromium: %v", err)
	}
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 10, 45)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: f.e.db, DevToken: f.token, DevMode: true}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	p, err := browsertest.OpenGraphiQL(ctx, srv.URL+"/")
	if err != nil {
		t.Fatalf("OpenGraphiQL: %v", err)
	}
	defer p.Close()
	run := graphiqlRunner(t, p)
	var created struct {
		Data struct {
			CreateOrder struct {
				Order struct {
					Status string
					Lines  []struct{ QuantityAllocated, QuantityBackordered int }
				}
			}
		}
		Errors []gqlError
	}
	run(`mutation { createOrder(input: { reference: "from GraphiQL", lines: [{ sku: "sku-1", quantity: 12 }] }) {
		order { status lines { quantityAllocated quantityBackordered } } } }`, &created)
	o := created.Data.CreateOrder.Order
	if len(created.Errors) > 0 || o.Status != "OPEN" || len(o.Lines) != 1 || o.Lines[0].QuantityAllocated != 10 || o.Lines[0].QuantityBackordered != 2 {
		t.Fatalf("GraphiQL showed createOrder = %+v, errors %+v; want OPEN with 10 allocated, 2 backordered", o, created.Errors)
	}
	var preview struct {
		Data struct {
			SourcingPreview struct {
				Lines []struct {
					Takes     []struct{ Kind string }
					Shortfall *struct{ Missing, AvailableQuantity, AvailableQuantityForBackorder int }
				}
			}
		}
		Errors []gqlError
	}
	run(`{ sourcingPreview(input: { lines: [{ sku: "sku-1", quantity: 50 }] }) {
		lines { takes { kind } shortfall { missing availableQuantity availableQuantityForBackorder } } } }`, &preview)
	lines := preview.Data.SourcingPreview.Lines
	if len(preview.Errors) > 0 || len(lines) != 1 || lines[0].Shortfall == nil ||
		fmt.Sprint(*lines[0].Shortfall) != "{7 0 43}" || len(lines[0].Takes) != 0 {
		t.Fatalf("GraphiQL showed sourcingPreview = %+v, errors %+v; want 7 missing, 0 available, 43 for backorder", lines, preview.Errors)
	}
}

// graphiqlRunner runs one operation after another in GraphiQL, as a
// person at the page would, and decodes each response the page shows
// into dst.
func graphiqlRunner(t *testing.T, p *browsertest.Page) func(query string, dst any) {
	return func(query string, dst any) {
		t.Helper()
		before, err := p.Execute(query)
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
		text, err := p.WaitForResponse(before, nil)
		if err != nil {
			t.Fatalf("WaitForResponse: %v", err)
		}
		if err := json.Unmarshal([]byte(text), dst); err != nil {
			t.Fatalf("GraphiQL showed %q, not a JSON response: %v", text, err)
		}
	}
}
