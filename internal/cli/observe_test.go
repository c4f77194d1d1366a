package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeAdminListener runs `serve` with STOCKGRAPH_ADMIN_ADDR: after
// some traffic (a query, a refusal, a reservation that lapses) the admin
// listener's /metrics exposes every family, pprof answers there, and the
// public listener serves neither.
func TestServeAdminListener(t *testing.T) {
	url, _, _, token := seededDatabase(t, "admin", 1)
	addr, admin := freeAddr(t), freeAddr(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("LISTEN_ADDR", addr)
	t.Setenv("STOCKGRAPH_ADMIN_ADDR", admin)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	root := newTestRoot(&out)
	root.SetArgs([]string{"serve"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() { cancel(); <-done }()
	waitHealthy(t, "http://"+addr+"/readyz")
	waitHealthy(t, "http://"+admin+"/readyz")

	post := func(token, query string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+addr+"/graphql", strings.NewReader(`{"query": `+quote(query)+`}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	// The store's default inventory model ships from its location, so
	// that the reservation holds units.
	var ids struct {
		Data struct {
			Store struct {
				InventoryModels struct{ Nodes []struct{ ID string } }
				Locations       struct{ Nodes []struct{ ID, Type string } }
			}
		}
	}
	if err := json.Unmarshal([]byte(post(token, `{ store { inventoryModels { nodes { id } } locations(first: 10) { nodes { id type } } } }`)), &ids); err != nil {
		t.Fatal(err)
	}
	for _, l := range ids.Data.Store.Locations.Nodes {
		if l.Type == "STORE" || l.Type == "WAREHOUSE" {
			post(token, fmt.Sprintf(`mutation { createStockLevel(input: {inventoryModelId: %q, locationId: %q, priority: 1}) { stockLevel { id } } }`,
				ids.Data.Store.InventoryModels.Nodes[0].ID, l.ID))
		}
	}
	post(token, `mutation { adjustInventoryRelative(input: { reason: "count", items: [{ sku: "P00001-01", locationId: "`+ids.Data.Store.Locations.Nodes[0].ID+`", quantity: 1 }] }) { items { onHand } } }`)
	post(token, `mutation Cart { reserveStock(input: { reference: "c", ttlSeconds: 1, lines: [{ sku: "P00001-01", quantity: 1 }] }) { reservation { id } } }`)
	post("wrong", "{ store { id } }")

	want := []string{
		`stockgraph_http_requests_total{path="/graphql",status="200"} 4`,
		`stockgraph_http_requests_total{path="/graphql",status="401"} 1`,
		`stockgraph_graphql_operations_total{operation="Cart",outcome="ok",type="mutation"} 1`,
		`stockgraph_graphql_operation_duration_seconds_bucket{operation="Cart",type="mutation"`,
		`stockgraph_graphql_errors_total{code="UNAUTHENTICATED"} 1`,
		`stockgraph_db_pool_max_connections 40`,
		`stockgraph_db_pool_connections_taken`,
		`stockgraph_db_pool_connections_idle`,
		`stockgraph_db_pool_waits_total`,
		`stockgraph_db_pool_wait_seconds_total`,
		`stockgraph_db_pool_acquire_timeouts_total 0`,
		`stockgraph_db_statements_total`,
		`stockgraph_db_deadlocks_total 0`,
		`stockgraph_db_statement_seconds_total`,
		`stockgraph_events_subscribers_dropped_total 0`,
		`stockgraph_events_lag_seconds_count`,
		`stockgraph_webhook_attempts_total{result="failed"} 0`,
		`stockgraph_reservations_expired_total 1`,
		`stockgraph_coalesced_group_size_count{kind="adjustment"} 1`,
		`process_resident_memory_bytes`,
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, body = get(t, "http://"+admin+"/metrics")
		if missing(body, want) == nil {
			break
		}
	}
	for _, w := range missing(body, want) {
		t.Errorf("admin /metrics holds %q = false, want true", w)
	}
	if status, body := get(t, "http://"+admin+"/debug/pprof/goroutine?debug=1"); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("admin pprof = HTTP %d %.80q, want 200 with goroutines", status, body)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/goroutine?debug=1"} {
		if status, body := get(t, "http://"+addr+path); status == http.StatusOK && strings.Contains(body, "goroutine") {
			t.Errorf("public %s = HTTP 200 %.80q, want it not served", path, body)
		}
	}
}

func missing(body string, want []string) []string {
	var out []string
	for _, w := range want {
		if !strings.Contains(body, w) {
			out = append(out, w)
		}
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
