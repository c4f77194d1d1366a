package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stockgraph/internal/database"
	"stockgraph/internal/ledger"
)

// server is a `stockgraph serve` subprocess.
type server struct {
	t    *testing.T
	bin  string
	env  []string
	url  string
	cmd  *exec.Cmd
	logs *os.File
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = s.env, s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start serve: %v", err)
	}
	cmd := s.cmd
	s.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("serve did not answer /healthz within 30 s; see %s", s.logs.Name())
		}
	}
}

// kill9 kills the server with SIGKILL: no shutdown code runs.
func (s *server) kill9() {
	s.t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatalf("kill -9: %v", err)
	}
	_ = s.cmd.Wait()
}

func (s *server) post(token, query string, vars map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		return nil, fmt.Errorf("POST /graphql: %v %v", err, out.Errors)
	}
	return out.Data, nil
}

// countingReceiver counts the requests per webhook-id.
type countingReceiver struct {
	mu   sync.Mutex
	byID map[string]int
}

func (c *countingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	c.mu.Lock()
	c.byID[r.Header.Get("webhook-id")]++
	c.mu.Unlock()
}

// TestKill9LosesNoDelivery runs `stockgraph serve` against a fresh
// database, writes stock through HTTP from several clients, kills the
// server with SIGKILL mid-stream, starts it again, and checks that every
// committed event has exactly one delivery and that the receiver got
// every delivery at least once (a repeat carries the same webhook-id).
func TestKill9LosesNoDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it")
	}
	srv, db, storeID, token := seededServer(t, "kill")
	recv := &countingReceiver{byID: map[string]int{}}
	hs := httptest.NewServer(recv)
	defer hs.Close()
	if _, err := srv.post(token, `mutation($url: String!) { createWebhook(input: { url: $url,
		topics: ["store/inventory/stock_changed", "store/inventory/out_of_stock", "store/inventory/back_in_stock"] }) { secret } }`,
		map[string]any{"url": hs.URL}); err != nil {
		t.Fatal(err)
	}
	loc := firstLocation(t, srv, token)
	writes := writeLoad(srv, token, loc, 3*time.Second)
	time.Sleep(1500 * time.Millisecond)
	srv.kill9()
	ok := <-writes
	srv.start()
	ok += <-writeLoad(srv, token, loc, time.Second)
	if ok < 20 {
		t.Fatalf("only %d writes succeeded; see %s", ok, srv.logs.Name())
	}
	checkEveryChangeHasItsEvents(t, db, ok)
	checkEveryEventDelivered(t, db, recv)
	if bad, err := ledger.Inconsistencies(context.Background(), db.DB, storeID); err != nil || len(bad) > 0 {
		t.Errorf("after the kill the ledger and the levels disagree: %v %v", bad, err)
	}
}

// checkEveryChangeHasItsEvents checks that the kill left every committed
// change with exactly its events: each movement written by the load is
// named by exactly one STOCK_CHANGED event, every event names movements
// that exist, and there are at least as many changes as writes answered.
func checkEveryChangeHasItsEvents(t *testing.T, db *database.DB, answered int) {
	t.Helper()
	var unmatched, dangling, changes int64
	db.Raw(`SELECT count(*) FROM inventory_movements m WHERE m.reason <> 'opening_balance'
		AND (SELECT count(*) FROM stock_events e WHERE e.type = 'STOCK_CHANGED' AND m.id = ANY(e.movement_ids)) <> 1`).Scan(&unmatched)
	db.Raw(`SELECT count(*) FROM stock_events e, unnest(e.movement_ids) AS mid
		WHERE NOT EXISTS (SELECT 1 FROM inventory_movements m WHERE m.id = mid)`).Scan(&dangling)
	db.Raw(`SELECT count(DISTINCT operation_id) FROM stock_events WHERE type = 'STOCK_CHANGED'`).Scan(&changes)
	if unmatched != 0 || dangling != 0 || changes < int64(answered) {
		t.Errorf("after the kill: %d movements without exactly one STOCK_CHANGED, %d events naming missing movements, %d changes with events for %d writes answered; want 0, 0 and at least as many changes",
			unmatched, dangling, changes, answered)
	}
}

// seededServer runs `stockgraph serve` on a fresh database holding a
// store (20 products of 2 variants at 2 locations) and a token with every
// scope; the database closes when the test ends.
func seededServer(t *testing.T, handle string) (*server, *database.DB, int64, string) {
	t.Helper()
	url, db, storeID, token := seededDatabase(t, handle, 20)
	srv := newKillServer(t, url)
	srv.start()
	return srv, db, storeID, token
}

func newKillServer(t *testing.T, dsn string) *server {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "stockgraph")
	if out, err := exec.Command("go", "build", "-o", bin, "stockgraph").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The store's webhook pace (20 a second by default) is raised out of
	// the way: the load writes hundreds of events a second, and these
	// tests are about losing none.
	env := append(os.Environ(), "DATABASE_URL="+dsn, "LISTEN_ADDR="+addr,
		"STOCKGRAPH_WEBHOOK_ALLOW_PRIVATE=1", "STOCKGRAPH_WEBHOOK_TIMEOUT=1s",
		"STOCKGRAPH_WEBHOOK_BUCKET_SIZE=1000000", "STOCKGRAPH_WEBHOOK_RESTORE_RATE=1000000")
	return &server{t: t, bin: bin, env: env, url: "http://" + addr, logs: logs}
}

func firstLocation(t *testing.T, s *server, token string) string {
	t.Helper()
	data, err := s.post(token, `{ store { location: locations(first: 1, filter: { types: [WAREHOUSE, STORE] }) { nodes { id } } } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	return data["store"].(map[string]any)["location"].(map[string]any)["nodes"].([]any)[0].(map[string]any)["id"].(string)
}

// writeLoad sends adjustments from 4 clients for d, or until the server
// stops answering, and reports how many succeeded.
func writeLoad(s *server, token, loc string, d time.Duration) <-chan int {
	out := make(chan int, 1)
	var ok atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				sku := fmt.Sprintf("P%05d-01", 1+(c*5+i)%20)
				_, err := s.post(token, `mutation($loc: ID!, $sku: String!, $q: Int!) { adjustInventoryRelative(input: {
					reason: "load", items: [{ locationId: $loc, sku: $sku, quantity: $q }] }) { items { onHand } } }`,
					map[string]any{"loc": loc, "sku": sku, "q": 1})
				if err != nil {
					return // killed
				}
				ok.Add(1)
			}
		}()
	}
	go func() { wg.Wait(); out <- int(ok.Load()) }()
	return out
}

// checkEveryEventDelivered waits until every event of the webhook's
// topics has exactly one delivery, every delivery succeeded, and the
// receiver has seen every webhook-id.
func checkEveryEventDelivered(t *testing.T, db *database.DB, recv *countingReceiver) {
	t.Helper()
	var events, deliveries, missing, pending int64
	var ids []string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		db.Raw(`SELECT count(*) FROM stock_events WHERE type IN ('STOCK_CHANGED', 'OUT_OF_STOCK', 'BACK_IN_STOCK')`).Scan(&events)
		db.Raw(`SELECT count(*) FROM webhook_deliveries`).Scan(&deliveries)
		db.Raw(`SELECT count(*) FROM stock_events e WHERE type IN ('STOCK_CHANGED', 'OUT_OF_STOCK', 'BACK_IN_STOCK')
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`).Scan(&missing)
		db.Raw(`SELECT count(*) FROM webhook_deliveries WHERE status <> 'SUCCEEDED'`).Scan(&pending)
		db.Raw(`SELECT message_id FROM webhook_deliveries`).Scan(&ids)
		recv.mu.Lock()
		unseen := 0
		for _, id := range ids {
			if recv.byID[id] == 0 {
				unseen++
			}
		}
		extra, repeats := len(recv.byID)-len(ids)+unseen, 0
		for _, n := range recv.byID {
			repeats += n - 1
		}
		recv.mu.Unlock()
		if events > 0 && events == deliveries && missing == 0 && pending == 0 && unseen == 0 && extra == 0 {
			t.Logf("%d events, %d deliveries, all received, %d received again after the kill", events, deliveries, repeats)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: %d events, %d deliveries, %d events without one, %d not succeeded, %d not received, %d unknown webhook-ids; want equal counts and no others",
				events, deliveries, missing, pending, unseen, extra)
		}
	}
}
