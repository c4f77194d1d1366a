package api_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// rawRequest writes head (a request line and headers) and a first part of
// a body to srv, never the rest, and returns the status line it reads
// back, how long that took, and whether the server then closed the
// connection. It fails when no answer comes within 5 seconds.
func rawRequest(t *testing.T, srv *httptest.Server, head, bodyStart string) (status string, took time.Duration, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := fmt.Fprintf(conn, "%s\r\n\r\n%s", head, bodyStart); err != nil {
		t.Fatalf("write: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("%q: no answer while the body is still being sent: %v", head, err)
	}
	took = time.Since(start)
	_, _ = r.Discard(int(resp.ContentLength))
	_, err = r.ReadByte() // EOF when the server closed the connection
	return resp.Status, took, errors.Is(err, net.ErrClosed) || err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestRefusedWithoutReadingTheBody: a request without a token, or with a
// body larger than the limit, is answered while its client is still
// sending the body, and its connection is closed, so that slow clients
// hold nothing.
func TestRefusedWithoutReadingTheBody(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("slow", 1, 1, 1)
	host := "Host: " + e.srv.Listener.Addr().String()
	tests := []struct {
		name, head, body, want string
	}{
		{"no token, Content-Length", "POST /graphql HTTP/1.1\r\n" + host + "\r\nContent-Type: application/json\r\nContent-Length: 100000", `{"query": "`, "401 Unauthorized"},
		{"no token, small Content-Length", "POST /graphql HTTP/1.1\r\n" + host + "\r\nContent-Type: application/json\r\nContent-Length: 1000", `{"query": "`, "401 Unauthorized"},
		{"no token, chunked", "POST /graphql HTTP/1.1\r\n" + host + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked", "5\r\n{\"que\r\n", "401 Unauthorized"},
		{"bad token", "POST /graphql HTTP/1.1\r\n" + host + "\r\nAuthorization: Bearer nope\r\nContent-Type: application/json\r\nContent-Length: 1000", `{"query": "`, "401 Unauthorized"},
		{"body over the limit", "POST /graphql HTTP/1.1\r\n" + host + "\r\nAuthorization: Bearer " + token + "\r\nContent-Type: application/json\r\nContent-Length: 104857600", `{"query": "`, "413 Request Entity Too Large"},
	}
	for _, tt := range tests {
		status, took, closed := rawRequest(t, e.srv, tt.head, tt.body)
		if status != tt.want {
			t.Errorf("%s: status = %q, want %q", tt.name, status, tt.want)
		}
		if took > 2*time.Second {
			t.Errorf("%s: answered after %v, want at once", tt.name, took)
		}
		if !closed {
			t.Errorf("%s: connection left open after the refusal, want it closed", tt.name)
		}
	}
}

// TestMaxBodyBytesConfigurable: Config.MaxBodyBytes moves the limit.
func TestMaxBodyBytesConfigurable(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("small", 1, 1, 1)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: e.db, MaxBodyBytes: 2048}))
	t.Cleanup(srv.Close)
	small := &env{t: t, db: e.db, srv: srv}
	if r := small.do(token, `{ store { name } }`, nil); r.Status != http.StatusOK || r.code() != "" {
		t.Errorf("small body: HTTP %d %s, want 200 and no error", r.Status, r.code())
	}
	big := `{ store { name } }` + strings.Repeat(" ", 4096)
	if r := small.do(token, big, nil); r.Status != http.StatusRequestEntityTooLarge || r.code() != "BAD_REQUEST" {
		t.Errorf("4 KiB body with a 2 KiB limit: HTTP %d %s, want 413 BAD_REQUEST", r.Status, r.code())
	}
}

// TestDevTokenOnlyInDevMode: GraphiQL never carries the dev token unless
// the server runs in development mode.
func TestDevTokenOnlyInDevMode(t *testing.T) {
	db := testdb.MustOpenDB(t)
	for _, dev := range []bool{false, true} {
		srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, DevToken: "dev-tok-123", DevMode: dev}))
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		buf := new(strings.Builder)
		_, _ = bufio.NewReader(resp.Body).WriteTo(buf)
		resp.Body.Close()
		srv.Close()
		if got := strings.Contains(buf.String(), "dev-tok-123"); got != dev {
			t.Errorf("GraphiQL page with DevMode %v has the token = %v, want %v", dev, got, dev)
		}
	}
}

// lockFixture is an API whose pool has a short lock_timeout, a store with
// one stocked item, and a second store.
type lockFixture struct {
	e                 *env
	dsn               string
	token, other      string
	itemID            int64
	variant, location string
}

func newLockFixture(t *testing.T, opts database.Options, requestTimeout time.Duration) *lockFixture {
	t.Helper()
	// One by one: each write that waits for the locked row holds a
	// connection while it waits, as writes to different locked rows do,
	// which the pool tests need; coalesced writes to one row wait in the
	// row's queue and hold none (TestHotItemWaitersHoldNoConnections).
	return lockFixtureWith(t, opts, api.Config{RequestTimeout: requestTimeout, OneByOne: true})
}

// lockFixtureWith is newLockFixture serving with cfg (its DB set here).
func lockFixtureWith(t *testing.T, opts database.Options, cfg api.Config) *lockFixture {
	t.Helper()
	dsn := testdb.MustCreate(t)
	db, err := database.OpenWith(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	cfg.DB = db
	srv := httptest.NewServer(api.NewHandler(cfg))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, srv: srv}
	f := &lockFixture{e: e, dsn: dsn, token: e.seedStore("locked", 1, 1, 1)}
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: "other", Products: 1, Variants: 1, Locations: 1})
	if err != nil {
		t.Fatal(err)
	}
	f.other = e.token(res.Store.ID, auth.ReadInventory)
	var item struct{ ID, VariantID, LocationID int64 }
	db.Raw(`SELECT i.id, i.variant_id, i.location_id FROM inventory_items i JOIN stores s ON s.id = i.store_id
		WHERE s.handle = 'locked' ORDER BY i.id LIMIT 1`).Scan(&item)
	if item.ID == 0 {
		t.Fatal("the seeded store has no inventory item")
	}
	f.itemID, f.variant, f.location = item.ID, relay.ID(relay.KindVariant, item.VariantID), relay.ID(relay.KindLocation, item.LocationID)
	return f
}

// state is the item's on hand and the store's ledger length.
func (f *lockFixture) state() (onHand, movements int64) {
	f.e.db.Raw(`SELECT on_hand FROM inventory_items WHERE id = ?`, f.itemID).Scan(&onHand)
	f.e.db.Raw(`SELECT count(*) FROM inventory_movements`).Scan(&movements)
	return onHand, movements
}

// holdLock locks the item's row in another transaction until the test
// calls the returned function.
func (f *lockFixture) holdLock() (release func()) {
	f.e.t.Helper()
	tx := f.e.db.Begin()
	if err := tx.Exec(`SELECT 1 FROM inventory_items WHERE id = ? FOR UPDATE`, f.itemID).Error; err != nil {
		f.e.t.Fatal(err)
	}
	return func() { tx.Rollback() }
}

func (f *lockFixture) adjust() (response, time.Duration) {
	start := time.Now()
	r := f.e.do(f.token, `mutation($v: ID!, $l: ID!) { adjustInventoryRelative(input: {reason: "received",
		items: [{variantId: $v, locationId: $l, quantity: 5}]}) { items { onHand } } }`, map[string]any{"v": f.variant, "l": f.location})
	return r, time.Since(start)
}

// TestLockTimeout: an adjustment of a row another transaction holds
// fails with LOCK_TIMEOUT after lock_timeout, writes nothing, and a read
// from another store's token meanwhile answers at once.
func TestLockTimeout(t *testing.T) {
	f := newLockFixture(t, database.Options{LockTimeout: 300 * time.Millisecond, StatementTimeout: 10 * time.Second}, 0)
	onHand, movements := f.state()
	release := f.holdLock()
	defer release()
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		r := f.e.do(f.other, `{ store { name products(first: 5) { nodes { name } } } }`, nil)
		if took := time.Since(start); r.code() != "" || took > 2*time.Second {
			t.Errorf("read from another store while the row is locked: %s after %v, want an answer at once", r.code(), took)
		}
	}()
	r, took := f.adjust()
	<-done
	if r.code() != "LOCK_TIMEOUT" || took > 3*time.Second {
		t.Errorf("adjustInventoryRelative of a locked item = %s after %v (%+v), want LOCK_TIMEOUT after about 300ms", r.code(), took, r.Errors)
	}
	release()
	if gotOnHand, gotMovements := f.state(); gotOnHand != onHand || gotMovements != movements {
		t.Errorf("after LOCK_TIMEOUT: on hand, movements = %d, %d, want %d, %d (unchanged)", gotOnHand, gotMovements, onHand, movements)
	}
	if r, _ := f.adjust(); r.code() != "" {
		t.Errorf("adjustInventoryRelative once the lock is released = %s, want success", r.code())
	}
}

// TestRequestDeadline: a mutation still waiting when its request's
// deadline passes is stopped in PostgreSQL and answers TIMEOUT, with
// nothing written.
func TestRequestDeadline(t *testing.T) {
	f := newLockFixture(t, database.Options{}, 400*time.Millisecond)
	onHand, movements := f.state()
	release := f.holdLock()
	r, took := f.adjust()
	release()
	if r.code() != "TIMEOUT" || took > 3*time.Second {
		t.Errorf("adjustInventoryRelative past its deadline = %s after %v (%+v), want TIMEOUT after about 400ms", r.code(), took, r.Errors)
	}
	if gotOnHand, gotMovements := f.state(); gotOnHand != onHand || gotMovements != movements {
		t.Errorf("after TIMEOUT: on hand, movements = %d, %d, want %d, %d (unchanged)", gotOnHand, gotMovements, onHand, movements)
	}
}

// TestStatementTimeout: a statement past statement_timeout is TIMEOUT.
func TestStatementTimeout(t *testing.T) {
	f := newLockFixture(t, database.Options{StatementTimeout: 300 * time.Millisecond}, 0)
	release := f.holdLock() // no lock_timeout: the statement waits until statement_timeout
	r, took := f.adjust()
	release()
	if r.code() != "TIMEOUT" || took > 3*time.Second {
		t.Errorf("adjustInventoryRelative past statement_timeout = %s after %v (%+v), want TIMEOUT", r.code(), took, r.Errors)
	}
}

// TestDatabaseUnavailable: with PostgreSQL unreachable, requests answer
// UNAVAILABLE with HTTP 503 and Retry-After, not INTERNAL.
func TestDatabaseUnavailable(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("down", 1, 1, 1)
	proxy := newTCPProxy(t, e.db)
	db, err := database.Open(context.Background(), proxy.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db}))
	t.Cleanup(srv.Close)
	down := &env{t: t, db: db, srv: srv}
	if r := down.do(token, `{ store { name } }`, nil); r.code() != "" {
		t.Fatalf("through the proxy: %s, want an answer", r.code())
	}
	proxy.stop()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query": "{ store { name } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("with the database down: HTTP %d, Retry-After %q, want 503 and a Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if r := down.do(token, `{ store { name } }`, nil); r.code() != "UNAVAILABLE" {
		t.Errorf("with the database down: code %s (%+v), want UNAVAILABLE", r.code(), r.Errors)
	}
}

// TestSubscriptionOutlivesServerTimeouts: a subscription keeps
// delivering long after the HTTP server's read, write and idle timeouts,
// which end at the websocket upgrade (net/http clears the connection's
// deadlines when it is taken over).
func TestSubscriptionOutlivesServerTimeouts(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("long", 1, 1, 1)
	hub := events.NewHub(le.db.DB, events.HubOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx, le.url) }()
	srv := httptest.NewUnstartedServer(api.NewHandler(api.Config{DB: le.db, Events: hub}))
	const short = 200 * time.Millisecond
	srv.Config.ReadHeaderTimeout, srv.Config.ReadTimeout, srv.Config.WriteTimeout, srv.Config.IdleTimeout = short, short, short, short
	srv.Start()
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); cancel(); <-done })

	loc, v := f.locations[0], f.variants[0]
	c := dialWS(t, ctx, srv, "graphql-transport-ws", nil)
	c.init(f.token)
	c.subscribe("1", changedQuery, map[string]any{"after": le.horizon(f.token),
		"f": map[string]any{"types": []string{"STOCK_CHANGED"}, "variantIds": []string{v}}})
	for i := range 2 {
		time.Sleep(5 * short)
		le.bump(le.srv, f.token, loc, 1, v)
		if got := c.events("1", "inventoryChanged", 1); len(got) != 1 {
			t.Fatalf("event %d, %v after the subscription started: got %d events, want 1", i+1, time.Duration(i+1)*5*short, len(got))
		}
	}
}
