package api_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"stockgraph/internal/api"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// tcpProxy forwards connections to the test database's server until
// stopped, and again once restarted, on the same address: PostgreSQL
// going away and coming back, as the server sees it.
type tcpProxy struct {
	url, addr, target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newTCPProxy(t *testing.T, db *database.DB) *tcpProxy {
	t.Helper()
	var dbName string
	db.Raw(`SELECT current_database()`).Scan(&dbName)
	cfg, err := pgconn.ParseConfig(testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{target: net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))}
	if err := p.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	p.addr = p.ln.Addr().String()
	p.url = fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", cfg.User, p.addr, dbName)
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.serve(ln)
	return nil
}

func (p *tcpProxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // stopped meanwhile
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = copyAndClose(up, c) }()
		go func() { _, _ = copyAndClose(c, up) }()
	}
}

func copyAndClose(dst, src net.Conn) (int64, error) {
	defer dst.Close()
	return bufio.NewReader(src).WriteTo(dst)
}

// stop refuses new connections and cuts the open ones.
func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// restart accepts connections again, on the same address.
func (p *tcpProxy) restart(t *testing.T) {
	t.Helper()
	if err := p.listen(p.addr); err != nil {
		t.Fatalf("restart the proxy on %s: %v", p.addr, err)
	}
}

// otherWriter is the lock fixture's second store, with a token of every
// scope and its one item.
type otherWriter struct {
	f                 *lockFixture
	token             string
	storeID, itemID   int64
	variant, location string
}

func (f *lockFixture) otherWriter() *otherWriter {
	f.e.t.Helper()
	var row struct{ StoreID, ItemID, VariantID, LocationID int64 }
	f.e.db.Raw(`SELECT s.id AS store_id, i.id AS item_id, i.variant_id, i.location_id FROM inventory_items i
		JOIN stores s ON s.id = i.store_id WHERE s.handle = 'other' ORDER BY i.id LIMIT 1`).Scan(&row)
	if row.ItemID == 0 {
		f.e.t.Fatal("the other store has no inventory item")
	}
	return &otherWriter{f: f, token: f.e.token(row.StoreID, auth.AllScopes...), storeID: row.StoreID, itemID: row.ItemID,
		variant: relay.ID(relay.KindVariant, row.VariantID), location: relay.ID(relay.KindLocation, row.LocationID)}
}

const (
	otherRead   = `{ store { products(first: 2) { nodes { name variants(first: 2) { nodes { sku } } } } } }`
	otherAdjust = `mutation($v: ID!, $l: ID!) { adjustInventoryRelative(input: {reason: "received",
		items: [{variantId: $v, locationId: $l, quantity: 5}]}) { items { onHand } } }`
)

func (o *otherWriter) read() response { return o.f.e.do(o.token, otherRead, nil) }

func (o *otherWriter) adjust() response {
	return o.f.e.do(o.token, otherAdjust, map[string]any{"v": o.variant, "l": o.location})
}

func (o *otherWriter) onHand() (n int64) {
	o.f.e.db.Raw(`SELECT on_hand FROM inventory_items WHERE id = ?`, o.itemID).Scan(&n)
	return n
}

// waitForLockWaiters waits until n backends of the fixture's database
// wait for a lock, looking through a connection of its own.
func (f *lockFixture) waitForLockWaiters(n int) {
	f.e.t.Helper()
	admin, err := sql.Open("pgx", f.dsn)
	if err != nil {
		f.e.t.Fatal(err)
	}
	defer admin.Close()
	var got int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&got)
		if err != nil {
			f.e.t.Fatal(err)
		}
		if got == n {
			return
		}
	}
	f.e.t.Fatalf("%d backends wait for a lock, want %d", got, n)
}

// pauseAfterFirstQuery runs pause once, in the first request of the
// store's token, right after its first GORM query that has handed its
// connection back. It reports whether it ran.
func (f *lockFixture) pauseAfterFirstQuery(storeID int64, pause func()) *atomic.Bool {
	f.e.t.Helper()
	var armed, paused atomic.Bool
	armed.Store(true)
	err := f.e.db.Callback().Query().After("gorm:query").Register("test:pause", func(tx *gorm.DB) {
		p := auth.FromContext(tx.Statement.Context)
		if p == nil || p.StoreID != storeID || !armed.CompareAndSwap(true, false) {
			return
		}
		pause()
		paused.Store(true)
	})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return &paused
}

// refusedForNow checks that r is UNAVAILABLE with HTTP 503 and a
// Retry-After, answered after the acquire timeout and well before the
// request's deadline.
func refusedForNow(t *testing.T, what string, r response, took, acquire time.Duration) {
	t.Helper()
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.code() != "UNAVAILABLE" {
		t.Errorf("%s with the pool exhausted: HTTP %d %s, Retry-After %q (%+v), want 503 UNAVAILABLE with a Retry-After",
			what, r.Status, r.code(), r.Header.Get("Retry-After"), r.Errors)
	}
	if took < acquire || took > 10*time.Second {
		t.Errorf("%s answered after %v, want after the acquire timeout (%v), long before the request's deadline (30s)", what, took, acquire)
	}
}

// TestPoolExhausted: with a pool of 3, a transaction holding a row and
// two writers waiting for it hold every connection. Another store's read
// and adjustment answer UNAVAILABLE (HTTP 503, Retry-After) after the
// acquire timeout, whether their first statement (the token's lookup)
// or a later one (a read's second query) finds no connection; nothing of
// theirs is written. Once the row is released, the waiting writes commit
// and everything answers again.
func TestPoolExhausted(t *testing.T) {
	const acquire = 300 * time.Millisecond
	f := newLockFixture(t, database.Options{MaxConns: 3, AcquireTimeout: acquire}, 0)
	o := f.otherWriter()
	onHand, movements := f.state()
	otherOnHand := o.onHand()
	release := f.holdLock()
	defer release()
	writes := make(chan response, 2)
	write := func() { go func() { r, _ := f.adjust(); writes <- r }() }
	write()
	f.waitForLockWaiters(1)

	paused := f.pauseAfterFirstQuery(o.storeID, func() { write(); f.waitForLockWaiters(2) })
	start := time.Now()
	r := o.read()
	if !paused.Load() {
		t.Fatalf("the read sent no query after its token's lookup (%+v); the test proves nothing", r.Errors)
	}
	refusedForNow(t, "a read whose second query finds no connection", r, time.Since(start), acquire)
	for _, req := range []struct {
		name string
		do   func() response
	}{{"a read", o.read}, {"an adjustment", o.adjust}} {
		start := time.Now()
		refusedForNow(t, req.name, req.do(), time.Since(start), acquire)
	}

	release()
	for range 2 {
		if r := <-writes; r.code() != "" {
			t.Errorf("a write that waited for the row = %s (%+v), want success once it is released", r.code(), r.Errors)
		}
	}
	if gotOnHand, gotMovements := f.state(); gotOnHand != onHand+10 || gotMovements != movements+2 {
		t.Errorf("after the waiting writes: on hand, movements = %d, %d, want %d, %d", gotOnHand, gotMovements, onHand+10, movements+2)
	}
	if got := o.onHand(); got != otherOnHand {
		t.Errorf("the refused adjustment left on hand %d, want %d (nothing written)", got, otherOnHand)
	}
	if r := o.read(); r.code() != "" {
		t.Errorf("a read once connections are free = %s (%+v), want an answer", r.code(), r.Errors)
	}
	if r := o.adjust(); r.code() != "" || o.onHand() != otherOnHand+5 {
		t.Errorf("an adjustment once connections are free = %s (%+v), on hand %d, want success and %d", r.code(), r.Errors, o.onHand(), otherOnHand+5)
	}
}

// postWithin posts an adjustment or a read that the client abandons when
// ctx ends; it returns the request's error, if any.
func postWithin(ctx context.Context, srv *httptest.Server, token, query string, vars map[string]any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// TestPoolReleasesConnections: after requests answered, refused for want
// of a connection, and abandoned by their clients while waiting for one
// or half-way through, every connection goes back to the pool: none is
// taken once the server is idle.
func TestPoolReleasesConnections(t *testing.T) {
	const acquire = 200 * time.Millisecond
	f := newLockFixture(t, database.Options{MaxConns: 3, AcquireTimeout: acquire}, 0)
	o := f.otherWriter()
	release := f.holdLock()
	var writers sync.WaitGroup
	for range 2 {
		// A writer whose token lookup and transaction both need a
		// connection can find none free for a moment on a busy machine
		// (UNAVAILABLE): it tries again until it waits on the lock.
		writers.Go(func() {
			for r, _ := f.adjust(); r.code() == "UNAVAILABLE"; r, _ = f.adjust() {
			}
		})
	}
	f.waitForLockWaiters(2)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			r := o.read()
			if i%2 == 1 {
				r = o.adjust()
			}
			if r.code() != "UNAVAILABLE" {
				t.Errorf("request %d with the pool exhausted = %s, want UNAVAILABLE", i, r.code())
			}
		})
	}
	for i := range 4 { // clients that give up while waiting for a connection
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), acquire/4)
			defer cancel()
			if err := postWithin(ctx, f.e.srv, o.token, otherRead, nil); err == nil {
				t.Errorf("abandoned request %d was answered, want the client to give up first", i)
			}
		})
	}
	wg.Wait()
	release()
	writers.Wait()
	for i := range 30 { // answered, and abandoned at any point
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(1+i%10)*5*time.Millisecond)
			defer cancel()
			if i%3 == 0 {
				ctx = t.Context()
			}
			vars := map[string]any{"v": o.variant, "l": o.location}
			_ = postWithin(ctx, f.e.srv, o.token, []string{otherRead, otherAdjust}[i%2], vars)
		})
	}
	wg.Wait()
	var taken int32
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if taken = f.e.db.PoolStat().AcquiredConns(); taken == 0 {
			break
		}
	}
	if taken != 0 {
		t.Errorf("PoolStat().AcquiredConns() = %d with the server idle, want 0", taken)
	}
	if got := f.e.db.AcquireTimeouts(); got < 6 {
		t.Errorf("AcquireTimeouts() = %d, want at least the 6 refused requests", got)
	}
}

// TestWebsocketDuringOutage: a connection_init that meets an exhausted
// pool, or PostgreSQL gone, closes the socket with 1013 (try again
// later) and a reason that starts "UNAVAILABLE: "; once PostgreSQL is
// back, connections are acknowledged and answer again.
func TestWebsocketDuringOutage(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("wsdown", 1, 1, 1)
	proxy := newTCPProxy(t, e.db)
	const conns = 2
	// Opening pings through the proxy within the acquire timeout, which a
	// busy machine can miss now and then: a few tries.
	var db *database.DB
	var err error
	for try := 0; try < 5 && (try == 0 || err != nil); try++ {
		db, err = database.OpenWith(context.Background(), proxy.url, database.Options{MaxConns: conns, AcquireTimeout: 300 * time.Millisecond})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// No token cache: every connection_init looks its token up and meets
	// the outage (a cached token is acknowledged, and its operations get
	// UNAVAILABLE instead).
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, TokenCacheTTL: -1}))
	t.Cleanup(srv.Close)
	ws := &env{t: t, db: db, srv: srv}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	ws.wsInitAnswers(ctx, token, "with the database up")
	var held []*gorm.DB
	for range conns {
		held = append(held, db.Begin())
	}
	ws.wsInitRefused(ctx, token, "with the pool exhausted")
	for _, tx := range held {
		tx.Rollback()
	}
	ws.wsInitAnswers(ctx, token, "once connections are free")
	proxy.stop()
	ws.wsInitRefused(ctx, token, "with PostgreSQL gone")
	proxy.restart(t)
	// Each connection the outage cut may refuse one more init (1013,
	// unexpected EOF) before the pool replaces it: at most conns of them.
	for range conns {
		if ws.wsInitMayBeRefused(ctx, token) {
			break
		}
	}
	ws.wsInitAnswers(ctx, token, "with PostgreSQL back")
}

// wsInitMayBeRefused sends a connection_init that must be acknowledged
// or refused with 1013; it reports whether it was acknowledged.
func (e *env) wsInitMayBeRefused(ctx context.Context, token string) bool {
	e.t.Helper()
	conn, m, err := e.wsInit(ctx, token)
	defer conn.CloseNow()
	var closed websocket.CloseError
	if err != nil && (!errors.As(err, &closed) || closed.Code != 1013) {
		e.t.Errorf("connection_init with PostgreSQL back: %v, want connection_ack or 1013", err)
	}
	return err == nil && m.Type == "connection_ack"
}

// wsInit opens a websocket and sends connection_init with token; it
// returns the first message, or the close error.
func (e *env) wsInit(ctx context.Context, token string) (*websocket.Conn, wsMessage, error) {
	return e.wsInitWith(ctx, map[string]any{"Authorization": "Bearer " + token})
}

// wsInitWith opens a websocket and sends connection_init with payload; it
// returns the first message, or the close error.
func (e *env) wsInitWith(ctx context.Context, payload map[string]any) (*websocket.Conn, wsMessage, error) {
	e.t.Helper()
	conn, _, err := e.dialGraphQLWS(ctx, nil)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": payload}); err != nil {
		e.t.Fatalf("write: %v", err)
	}
	var m wsMessage
	err = wsjson.Read(ctx, conn, &m)
	return conn, m, err
}

func (e *env) wsInitRefused(ctx context.Context, token, when string) {
	e.t.Helper()
	conn, m, err := e.wsInit(ctx, token)
	defer conn.CloseNow()
	var closed websocket.CloseError
	if !errors.As(err, &closed) || closed.Code != 1013 || !strings.HasPrefix(closed.Reason, "UNAVAILABLE: ") {
		e.t.Errorf("connection_init %s: %q, %v, want the socket closed with 1013 \"UNAVAILABLE: ...\"", when, m.Type, err)
	}
}

// wsInitAnswers checks that connection_init is acknowledged and a query
// on the socket answers.
func (e *env) wsInitAnswers(ctx context.Context, token, when string) {
	e.t.Helper()
	conn, m, err := e.wsInit(ctx, token)
	defer conn.CloseNow()
	if err != nil || m.Type != "connection_ack" {
		e.t.Errorf("connection_init %s: %q, %v, want connection_ack", when, m.Type, err)
		return
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": "{ store { handle } }"}}); err != nil {
		e.t.Fatalf("write: %v", err)
	}
	for m.Type != "next" && m.Type != "error" {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			e.t.Fatalf("read: %v", err)
		}
	}
	if m.Type != "next" || !strings.Contains(string(m.Payload), "wsdown") || strings.Contains(string(m.Payload), `"errors"`) {
		e.t.Errorf("a query on a socket opened %s: %s %s, want the store's handle", when, m.Type, m.Payload)
	}
}

// TestHotItemWaitersHoldNoConnections: with a pool of 3 and a transaction
// holding an item's row, eight adjustments of the item wait for it on one
// connection between them (the first's; the others queue behind it in
// the server), so another store's read still answers; once the row is
// released every adjustment is applied. One by one, the waiters would
// hold every connection (TestPoolExhausted).
func TestHotItemWaitersHoldNoConnections(t *testing.T) {
	f := lockFixtureWith(t, database.Options{MaxConns: 3, AcquireTimeout: 300 * time.Millisecond}, api.Config{})
	o := f.otherWriter()
	onHand, movements := f.state()
	release := f.holdLock()
	defer release()
	writes := make(chan response, 8)
	for range 8 {
		go func() { r, _ := f.adjust(); writes <- r }()
	}
	f.waitForLockWaiters(1)
	time.Sleep(300 * time.Millisecond) // the other seven reach the item's queue
	if r := o.read(); r.code() != "" {
		t.Errorf("another store's read while eight writes wait for a row = %s (%+v), want an answer", r.code(), r.Errors)
	}
	release()
	for range 8 {
		if r := <-writes; r.code() != "" {
			t.Errorf("a write that waited for the row = %s (%+v), want success once it is released", r.code(), r.Errors)
		}
	}
	if gotOnHand, gotMovements := f.state(); gotOnHand != onHand+40 || gotMovements != movements+8 {
		t.Errorf("after the waiting writes: on hand, movements = %d, %d, want %d, %d", gotOnHand, gotMovements, onHand+40, movements+8)
	}
}
