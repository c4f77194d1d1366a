package api_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"stockgraph/internal/api"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/testsupport/testdb"
)

// The tests here speak graphql-transport-ws (and the legacy graphql-ws)
// with raw JSON messages over github.com/coder/websocket: an independent
// client, not gqlgen's.

// liveEnv is a database with one or more API servers ("replicas"), each
// with its own hub and LISTEN connection.
type liveEnv struct {
	*env
	url  string
	hubs map[*httptest.Server]*events.Hub
}

func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	url := testdb.MustCreate(t)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	le := &liveEnv{env: &env{t: t, db: db}, url: url, hubs: map[*httptest.Server]*events.Hub{}}
	le.srv = le.replica(api.Config{}, events.HubOptions{})
	return le
}

// replica starts another API server on the same database, with its own
// hub listening on its own connection; listener wraps its TCP listener.
func (le *liveEnv) replica(cfg api.Config, hub events.HubOptions, wrap ...func(net.Listener) net.Listener) *httptest.Server {
	le.t.Helper()
	h := events.NewHub(le.db.DB, hub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx, le.url) }()
	cfg.DB, cfg.Events = le.db, h
	srv := httptest.NewUnstartedServer(api.NewHandler(cfg))
	for _, w := range wrap {
		srv.Listener = w(srv.Listener)
	}
	srv.Start()
	le.hubs[srv] = h
	le.t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); cancel(); <-done })
	return srv
}

// wsClient is one websocket connection speaking raw protocol messages.
type wsClient struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
	// proto is "graphql-transport-ws" or the legacy "graphql-ws".
	proto string
}

func dialWS(t *testing.T, ctx context.Context, srv *httptest.Server, proto string, opts *websocket.DialOptions) *wsClient {
	t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	opts.Subprotocols = []string{proto}
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", proto, err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &wsClient{t: t, ctx: ctx, conn: conn, proto: proto}
}

func (c *wsClient) send(m map[string]any) {
	c.t.Helper()
	if err := wsjson.Write(c.ctx, c.conn, m); err != nil {
		c.t.Fatalf("write %v: %v", m["type"], err)
	}
}

// read returns the next message that is not a keep-alive, answering
// graphql-transport-ws pings as the protocol requires.
func (c *wsClient) read() wsMessage {
	c.t.Helper()
	for {
		var m wsMessage
		if err := wsjson.Read(c.ctx, c.conn, &m); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		switch m.Type {
		case "ka", "pong":
			continue
		case "ping":
			c.send(map[string]any{"type": "pong"})
			continue
		}
		return m
	}
}

// init sends connection_init with the token and expects connection_ack.
func (c *wsClient) init(token string) {
	c.t.Helper()
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if m := c.read(); m.Type != "connection_ack" {
		c.t.Fatalf("after connection_init got %s %s, want connection_ack", m.Type, m.Payload)
	}
}

// subscribe starts an operation: subscribe (graphql-transport-ws) or start
// (graphql-ws).
func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	typ := "subscribe"
	if c.proto == "graphql-ws" {
		typ = "start"
	}
	c.send(map[string]any{"type": typ, "id": id, "payload": map[string]any{"query": query, "variables": vars}})
}

// streamEvent is one event as the tests select it.
type streamEvent struct {
	Cursor    string
	Type      string
	VariantID string
	After     struct{ OnHand int }
}

// event reads the next message of operation id and decodes its event; a
// message that is not an event fails the test.
func (c *wsClient) event(id, field string) streamEvent {
	c.t.Helper()
	m := c.read()
	want := "next"
	if c.proto == "graphql-ws" {
		want = "data"
	}
	if m.Type != want || m.ID != id {
		c.t.Fatalf("got %s (id %q) %s, want %s of %q", m.Type, m.ID, m.Payload, want, id)
	}
	var p struct {
		Data   map[string]streamEvent
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("event payload %s: %v %+v", m.Payload, err, p.Errors)
	}
	return p.Data[field]
}

// events reads n events of operation id.
func (c *wsClient) events(id, field string, n int) []streamEvent {
	c.t.Helper()
	out := make([]streamEvent, n)
	for i := range out {
		out[i] = c.event(id, field)
	}
	return out
}

// subsFixture is a seeded store: its token, variants and locations.
type subsFixture struct {
	token     string
	variants  []string
	products  []string
	locations []string
}

func (e *env) subsFixture(handle string, products, variants, locations int) subsFixture {
	e.t.Helper()
	f := subsFixture{token: e.seedStore(handle, products, variants, locations)}
	var out struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID string } }
			Products  struct {
				Nodes []struct {
					ID       string
					Variants struct{ Nodes []struct{ ID string } }
				}
			}
		}
	}
	e.mustData(f.token, `{ store { locations(first: 100) { nodes { id } }
		products(first: 100) { nodes { id variants(first: 100) { nodes { id } } } } } }`, nil, &out)
	for _, l := range out.Store.Locations.Nodes {
		f.locations = append(f.locations, l.ID)
	}
	for _, p := range out.Store.Products.Nodes {
		f.products = append(f.products, p.ID)
		for _, v := range p.Variants.Nodes {
			f.variants = append(f.variants, v.ID)
		}
	}
	return f
}

// bump adds delta on hand to each variant at the location, in one mutation
// (one transaction), through the given server.
func (e *env) bump(srv *httptest.Server, token, location string, delta int, variants ...string) {
	e.t.Helper()
	items := make([]map[string]any, len(variants))
	for i, v := range variants {
		items[i] = map[string]any{"locationId": location, "variantId": v, "quantity": delta}
	}
	saved := e.srv
	e.srv = srv
	defer func() { e.srv = saved }()
	e.mustData(token, `mutation($in: AdjustInventoryInput!) { adjustInventoryRelative(input: $in) { items { onHand } } }`,
		map[string]any{"in": map[string]any{"reason": "test", "items": items}}, nil)
}

// horizon is stockEvents' endCursor with nothing to read: where a client
// that has seen nothing yet starts, so that no later change is missed
// however long the subscription takes to start.
func (e *env) horizon(token string) string {
	e.t.Helper()
	var out struct {
		StockEvents struct{ PageInfo struct{ EndCursor string } }
	}
	e.mustData(token, `{ stockEvents(first: 0) { pageInfo { endCursor } } }`, nil, &out)
	if out.StockEvents.PageInfo.EndCursor == "" {
		e.t.Fatal("stockEvents(first: 0) has no endCursor")
	}
	return out.StockEvents.PageInfo.EndCursor
}

const changedQuery = `subscription($after: String, $f: StockEventFilter) {
	inventoryChanged(after: $after, filter: $f) { cursor type variantId after { onHand } } }`

// onHands lists the events' on-hand levels after the change.
func onHands(evs []streamEvent) []int {
	out := make([]int, len(evs))
	for i, e := range evs {
		out[i] = e.After.OnHand
	}
	return out
}

func consecutive(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// TestSubscriptionResumesWithoutGapOrDuplicate subscribes, receives
// changes made over HTTP, disconnects, misses some changes, and resumes
// from the last cursor: it gets exactly the missed events, then live ones.
func TestSubscriptionResumesWithoutGapOrDuplicate(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("subs", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	loc, v := f.locations[0], f.variants[0]
	filter := map[string]any{"types": []string{"STOCK_CHANGED"}, "variantIds": []string{v}}
	var start struct {
		Store struct {
			Variant struct {
				Inventory struct{ Aggregated struct{ OnHand int } }
			}
		}
	}
	le.mustData(f.token, `query($v: ID!) { store { variant(id: $v) { inventory { aggregated { onHand } } } } }`, map[string]any{"v": v}, &start)
	base := start.Store.Variant.Inventory.Aggregated.OnHand

	c := dialWS(t, ctx, le.srv, "graphql-transport-ws", nil)
	c.init(f.token)
	c.subscribe("1", changedQuery, map[string]any{"after": le.horizon(f.token), "f": filter})
	for range 3 {
		le.bump(le.srv, f.token, loc, 1, v)
	}
	first := c.events("1", "inventoryChanged", 3)
	if got, want := onHands(first), consecutive(base+1, 3); !slices.Equal(got, want) {
		t.Fatalf("live events' onHand = %v, want %v", got, want)
	}
	c.conn.Close(websocket.StatusNormalClosure, "bye")

	for range 3 {
		le.bump(le.srv, f.token, loc, 1, v)
	}
	c = dialWS(t, ctx, le.srv, "graphql-transport-ws", nil)
	c.init(f.token)
	c.subscribe("2", changedQuery, map[string]any{"after": first[2].Cursor, "f": filter})
	missed := c.events("2", "inventoryChanged", 3)
	for range 2 {
		le.bump(le.srv, f.token, loc, 1, v)
	}
	live := c.events("2", "inventoryChanged", 2)
	all := slices.Concat(first, missed, live)
	if got, want := onHands(all), consecutive(base+1, 8); !slices.Equal(got, want) {
		t.Fatalf("events' onHand across the reconnect = %v, want %v (no gap, no duplicate)", got, want)
	}
	for i, e := range all {
		if e.Type != "STOCK_CHANGED" || e.VariantID != v || e.Cursor == "" || (i > 0 && e.Cursor == all[i-1].Cursor) {
			t.Errorf("event %d = %+v, want STOCK_CHANGED of %s with its own cursor", i, e, v)
		}
	}
	// The cursors page stockEvents too: after the third, the other five.
	var page struct {
		StockEvents struct{ Nodes []streamEvent }
	}
	le.mustData(f.token, `query($a: String, $f: StockEventFilter) { stockEvents(after: $a, filter: $f) { nodes { cursor type variantId after { onHand } } } }`,
		map[string]any{"a": first[2].Cursor, "f": filter}, &page)
	if got, want := onHands(page.StockEvents.Nodes), consecutive(base+4, 5); !slices.Equal(got, want) {
		t.Errorf("stockEvents(after: third cursor) onHand = %v, want %v", got, want)
	}
}

// TestLegacyGraphQLWSProtocol runs a subscription over the legacy
// subscriptions-transport-ws protocol: connection_init, start, data, stop.
func TestLegacyGraphQLWSProtocol(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("legacy", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := dialWS(t, ctx, le.srv, "graphql-ws", nil)
	if got := c.conn.Subprotocol(); got != "graphql-ws" {
		t.Fatalf("negotiated subprotocol = %q, want graphql-ws", got)
	}
	c.init(f.token)
	c.subscribe("a", changedQuery, map[string]any{"after": le.horizon(f.token), "f": map[string]any{"types": []string{"STOCK_CHANGED"}}})
	le.bump(le.srv, f.token, f.locations[0], 2, f.variants[0])
	if e := c.event("a", "inventoryChanged"); e.Type != "STOCK_CHANGED" || e.VariantID != f.variants[0] {
		t.Fatalf("legacy data = %+v, want STOCK_CHANGED of %s", e, f.variants[0])
	}
	c.send(map[string]any{"type": "stop", "id": "a"})
	if m := c.read(); m.Type != "complete" || m.ID != "a" {
		t.Fatalf("after stop got %s %q, want complete of a", m.Type, m.ID)
	}
}

// TestNoConnectionInitCloses4408: a connection that never sends
// connection_init is closed with 4408, in both protocols.
func TestNoConnectionInitCloses4408(t *testing.T) {
	le := newLiveEnv(t)
	srv := le.replica(api.Config{InitTimeout: 200 * time.Millisecond}, events.HubOptions{})
	for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		c := dialWS(t, ctx, srv, proto, nil)
		_, _, err := c.conn.Read(ctx)
		if got := websocket.CloseStatus(err); got != 4408 {
			t.Errorf("%s without connection_init: close status = %d (%v), want 4408", proto, got, err)
		}
		cancel()
	}
}

// TestTwoReplicas: a subscriber on one server receives changes made
// through another server on the same database, also after the listeners'
// connections are killed mid-stream. The slow poll is off (an hour), so
// only the doorbell and the reading done on reconnecting can deliver.
func TestTwoReplicas(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("replicas", 1, 1, 1)
	a := le.replica(api.Config{}, events.HubOptions{Poll: time.Hour})
	b := le.replica(api.Config{}, events.HubOptions{Poll: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	loc, v := f.locations[0], f.variants[0]
	filter := map[string]any{"types": []string{"STOCK_CHANGED"}}
	c := dialWS(t, ctx, b, "graphql-transport-ws", nil)
	c.init(f.token)
	c.subscribe("1", changedQuery, map[string]any{"after": le.horizon(f.token), "f": filter})

	le.bump(a, f.token, loc, 1, v)
	got := eventually(t, c, "1", 1)
	before := got[0].After.OnHand

	pids := le.listenerPIDs(3) // two replicas and the default server
	le.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(?)`, database.Int64s(pids))
	for range 3 {
		le.bump(a, f.token, loc, 1, v)
	}
	le.listenersBack(pids)
	le.bump(a, f.token, loc, 1, v)
	got = append(got, eventually(t, c, "1", 4)...)
	if want := consecutive(before, 5); !slices.Equal(onHands(got), want) {
		t.Fatalf("onHand received through the other replica = %v, want %v", onHands(got), want)
	}
}

// eventually reads n events, failing after a generous 5 seconds each: a
// bound on correctness, not a measure of speed.
func eventually(t *testing.T, c *wsClient, id string, n int) []streamEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second*time.Duration(n))
	defer cancel()
	saved := c.ctx
	c.ctx = ctx
	defer func() { c.ctx = saved }()
	return c.events(id, "inventoryChanged", n)
}

// listenerPIDs waits for n hub listeners on the test's database.
func (le *liveEnv) listenerPIDs(n int) []int64 {
	le.t.Helper()
	var pids []int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		pids = nil
		le.db.Raw(`SELECT pid FROM pg_stat_activity WHERE application_name = ? AND datname = current_database() ORDER BY pid`,
			events.ListenerName).Scan(&pids)
		if len(pids) >= n {
			return pids
		}
	}
	le.t.Fatalf("listeners = %v, want %d", pids, n)
	return nil
}

// listenersBack waits until as many listeners as before are connected
// again, none of them the old ones.
func (le *liveEnv) listenersBack(old []int64) {
	le.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var n int
		le.db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND datname = current_database()
			AND NOT pid = ANY(?) AND query ILIKE 'LISTEN%'`, events.ListenerName, database.Int64s(old)).Scan(&n)
		if n >= len(old) {
			return
		}
	}
	le.t.Fatal("the listeners did not reconnect within 10s")
}
