package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/events"
)

// fullEvent is an event with the fields filters look at.
type fullEvent struct {
	Cursor, Type, VariantID, ProductID string
	Location                           struct{ ID string }
}

const fullQuery = `subscription($after: String, $f: StockEventFilter) {
	inventoryChanged(after: $after, filter: $f) { cursor type variantId productId location { id } } }`

// readFull reads n events of operation id as fullEvents.
func (c *wsClient) readFull(id string, n int) []fullEvent {
	c.t.Helper()
	out := make([]fullEvent, 0, n)
	for range n {
		m := c.read()
		if m.Type != "next" || m.ID != id {
			c.t.Fatalf("got %s (id %q) %s, want next of %q", m.Type, m.ID, m.Payload, id)
		}
		var p struct {
			Data struct{ InventoryChanged fullEvent }
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, p.Data.InventoryChanged)
	}
	return out
}

// quiet checks that nothing arrives on the connection for a moment.
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, d)
	defer cancel()
	if _, data, err := c.conn.Read(ctx); err == nil {
		c.t.Fatalf("received %s, want nothing", data)
	}
}

// TestSubscriptionFiltersAndStoreIsolation: each filter field narrows the
// stream to the events the unfiltered stockEvents list says match it, and
// another store's token receives nothing of this store.
func TestSubscriptionFiltersAndStoreIsolation(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("filters", 2, 2, 2)
	other := le.subsFixture("other", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	after := le.horizon(f.token)
	tests := []struct {
		name   string
		filter map[string]any
		match  func(fullEvent) bool
	}{
		{"variantIds", map[string]any{"variantIds": []string{f.variants[1]}}, func(e fullEvent) bool { return e.VariantID == f.variants[1] }},
		{"productIds", map[string]any{"productIds": []string{f.products[1]}}, func(e fullEvent) bool { return e.ProductID == f.products[1] }},
		{"locationIds", map[string]any{"locationIds": []string{f.locations[0]}}, func(e fullEvent) bool { return e.Location.ID == f.locations[0] }},
		{"types", map[string]any{"types": []string{"STOCK_CHANGED"}}, func(e fullEvent) bool { return e.Type == "STOCK_CHANGED" }},
		{"all", nil, func(fullEvent) bool { return true }},
	}
	clients := make([]*wsClient, len(tests))
	for i, tt := range tests {
		clients[i] = dialWS(t, ctx, le.srv, "graphql-transport-ws", nil)
		clients[i].init(f.token)
		clients[i].subscribe("s", fullQuery, map[string]any{"after": after, "f": tt.filter})
	}
	outsider := dialWS(t, ctx, le.srv, "graphql-transport-ws", nil)
	outsider.init(other.token)
	outsider.subscribe("o", fullQuery, map[string]any{"after": le.horizon(other.token)})

	le.bump(le.srv, f.token, f.locations[0], 3, f.variants...)
	le.bump(le.srv, f.token, f.locations[1], -1, f.variants[0], f.variants[3])
	var all struct {
		StockEvents struct{ Nodes []fullEvent }
	}
	for deadline := time.Now().Add(10 * time.Second); len(all.StockEvents.Nodes) < 6 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		le.mustData(f.token, `query($a: String) { stockEvents(after: $a) { nodes { cursor type variantId productId location { id } } } }`,
			map[string]any{"a": after}, &all)
	}
	for i, tt := range tests {
		var want []fullEvent
		for _, e := range all.StockEvents.Nodes {
			if tt.match(e) {
				want = append(want, e)
			}
		}
		if len(want) == 0 {
			t.Fatalf("%s: no event matches; the test needs some", tt.name)
		}
		got := clients[i].readFull("s", len(want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: received %+v, want %+v", tt.name, got, want)
		}
		clients[i].quiet(100 * time.Millisecond)
	}
	// The other store's subscriber receives its own store's change, and
	// nothing of the first store's.
	le.bump(le.srv, other.token, other.locations[0], 1, other.variants[0])
	if got := outsider.readFull("o", 1)[0]; got.VariantID != other.variants[0] {
		t.Errorf("other store's subscriber received %+v, want only its own variant %s", got, other.variants[0])
	}
	outsider.quiet(200 * time.Millisecond)
}

// TestBackorderLimitReachedSubscription receives BACKORDER_LIMIT_REACHED
// only, while inventoryChanged sees the other events of the same change.
func TestBackorderLimitReachedSubscription(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("backorders", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	loc, v := f.locations[0], f.variants[0]
	le.mustData(f.token, `mutation { updateInventoryConfiguration(input: {backordersEnabled: true}) { configuration { backordersEnabled } } }`, nil, nil)
	le.mustData(f.token, `mutation($l: ID!, $v: ID!) { updateInventorySettings(input: {locationId: $l, settings: [{variantId: $v, backorderLimit: 1000}]}) { items { id } } }`,
		map[string]any{"l": loc, "v": v}, nil)
	after := le.horizon(f.token)
	limit := dialWS(t, ctx, le.srv, "graphql-transport-ws", nil)
	limit.init(f.token)
	limit.subscribe("b", `subscription($a: String) { backorderLimitReached(after: $a) { type variantId } }`, map[string]any{"a": after})
	all := dialWS(t, ctx, le.srv, "graphql-transport-ws", nil)
	all.init(f.token)
	all.subscribe("a", fullQuery, map[string]any{"after": after})

	le.mustData(f.token, `mutation($l: ID!, $v: ID!) { adjustInventoryAbsolute(input: {reason: "orders", items: [{locationId: $l, variantId: $v, qtyBackordered: 1000}]}) { items { id } } }`,
		map[string]any{"l": loc, "v": v}, nil)
	m := limit.read()
	if m.Type != "next" || !strings.Contains(string(m.Payload), `"type":"BACKORDER_LIMIT_REACHED"`) {
		t.Fatalf("backorderLimitReached got %s %s, want BACKORDER_LIMIT_REACHED", m.Type, m.Payload)
	}
	// inventoryChanged has the settings change too when it committed
	// above the horizon (an older transaction elsewhere was running), and
	// then the adjustment's STOCK_CHANGED and BACKORDER_LIMIT_REACHED.
	var types []string
	for len(types) < 5 && !slices.Contains(types, "BACKORDER_LIMIT_REACHED") {
		types = append(types, all.readFull("a", 1)[0].Type)
	}
	if !slices.Contains(types, "STOCK_CHANGED") || !slices.Contains(types, "BACKORDER_LIMIT_REACHED") {
		t.Errorf("inventoryChanged types = %v, want STOCK_CHANGED and BACKORDER_LIMIT_REACHED among them", types)
	}
	limit.quiet(200 * time.Millisecond)
}

// TestSlowSubscriberIsDropped: a subscriber that stops reading is dropped
// with SUBSCRIBER_TOO_SLOW and the cursor of the last event it was sent,
// while a subscriber of the same store receives everything; resuming from
// that cursor gets exactly the rest. Small socket buffers make "stops
// reading" reach the server quickly.
func TestSlowSubscriberIsDropped(t *testing.T) {
	le := newLiveEnv(t)
	srv := le.replica(api.Config{}, events.HubOptions{Buffer: 16, Grace: time.Second}, smallWriteBuffers)
	f := le.subsFixture("slow", 1, 60, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	after := le.horizon(f.token)
	filter := map[string]any{"types": []string{"STOCK_CHANGED"}}
	slow := dialWS(t, ctx, srv, "graphql-transport-ws", &websocket.DialOptions{HTTPClient: smallReadBuffers()})
	slow.init(f.token)
	slow.subscribe("s", fullQuery, map[string]any{"after": after, "f": filter})
	fast := dialWS(t, ctx, srv, "graphql-transport-ws", nil)
	fast.init(f.token)
	fast.subscribe("f", fullQuery, map[string]any{"after": after, "f": filter})
	// Catching up, a subscriber is waited for (it holds back only itself);
	// the test is about the shared feed, so both must have joined it.
	le.waitLive(srv, f.token, 2)

	const rounds = 8
	for range rounds {
		le.bump(le.srv, f.token, f.locations[0], 1, f.variants...)
	}
	total := rounds * len(f.variants)
	everything := fast.readFull("f", total)
	// The slow subscriber reads nothing until the feed has dropped it: on
	// a busy machine the feed may run late, and a subscriber that started
	// reading before its Grace was up would rightly be kept.
	le.waitLiveAtMost(srv, f.token, 1)

	var kept []fullEvent
	var ended wsMessage
	for {
		m := slow.read()
		if m.Type != "next" {
			ended = m
			break
		}
		var p struct {
			Data struct{ InventoryChanged fullEvent }
		}
		_ = json.Unmarshal(m.Payload, &p)
		kept = append(kept, p.Data.InventoryChanged)
	}
	if len(kept) >= total || !slices.Equal(kept, everything[:len(kept)]) {
		t.Fatalf("slow subscriber received %d events before it ended, want a proper prefix of the %d", len(kept), total)
	}
	var errs []gqlError
	_ = json.Unmarshal(ended.Payload, &errs)
	if ended.Type != "error" || len(errs) != 1 || errs[0].Extensions["code"] != "SUBSCRIBER_TOO_SLOW" {
		t.Fatalf("slow subscriber ended with %s %s, want error SUBSCRIBER_TOO_SLOW", ended.Type, ended.Payload)
	}
	cursor, _ := errs[0].Extensions["cursor"].(string)
	if want := after; len(kept) > 0 {
		want = kept[len(kept)-1].Cursor
		if cursor != want {
			t.Fatalf("extensions.cursor = %q, want the last event's %q", cursor, want)
		}
	}
	resumed := dialWS(t, ctx, srv, "graphql-transport-ws", nil)
	resumed.init(f.token)
	resumed.subscribe("r", fullQuery, map[string]any{"after": cursor, "f": filter})
	if rest := resumed.readFull("r", total-len(kept)); !slices.Equal(rest, everything[len(kept):]) {
		t.Fatalf("resuming from extensions.cursor got %d events, want the %d it missed", len(rest), total-len(kept))
	}
}

// smallWriteBuffers shrinks the server's socket send buffers.
func smallWriteBuffers(ln net.Listener) net.Listener { return smallListener{ln} }

type smallListener struct{ net.Listener }

func (l smallListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(2048)
	}
	return c, err
}

// smallReadBuffers is an HTTP client whose sockets have small receive
// buffers, set before connecting so that the window stays small.
func smallReadBuffers() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		cerr := rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return errors.Join(cerr, err)
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestRevokedTokenEndsSubscription: revoking the token ends its open
// subscriptions with UNAUTHENTICATED within the re-check interval.
func TestRevokedTokenEndsSubscription(t *testing.T) {
	le := newLiveEnv(t)
	srv := le.replica(api.Config{ReauthorizeEvery: 100 * time.Millisecond}, events.HubOptions{})
	f := le.subsFixture("revoke", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := dialWS(t, ctx, srv, "graphql-transport-ws", nil)
	c.init(f.token)
	c.subscribe("1", changedQuery, nil)
	// Revoke only once the subscription runs: revoked before, it is
	// refused at its start with a result rather than ended by the re-check.
	le.waitLive(srv, f.token, 1)
	if err := auth.RevokeToken(ctx, le.db.DB, f.token); err != nil {
		t.Fatal(err)
	}
	m := c.read()
	var errs []gqlError
	_ = json.Unmarshal(m.Payload, &errs)
	if m.Type != "error" || len(errs) != 1 || errs[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("after revoking got %s %s, want error UNAUTHENTICATED", m.Type, m.Payload)
	}
}

// TestStockEventsQueryAndNode: stockEvents pages forward, node(id:) loads
// an event, and bad cursors and sizes are BAD_USER_INPUT naming the field.
func TestStockEventsQueryAndNode(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("query", 1, 3, 1)
	after := le.horizon(f.token)
	le.bump(le.srv, f.token, f.locations[0], 1, f.variants...)
	type page struct {
		StockEvents struct {
			Nodes    []struct{ ID, Cursor, Type string }
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	q := `query($a: String, $n: Int) { stockEvents(after: $a, first: $n, filter: {types: [STOCK_CHANGED]}) {
		nodes { id cursor type } pageInfo { hasNextPage endCursor } } }`
	var p1, p2, p3 page
	for deadline := time.Now().Add(10 * time.Second); len(p1.StockEvents.Nodes) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		le.mustData(f.token, q, map[string]any{"a": after, "n": 2}, &p1)
	}
	if len(p1.StockEvents.Nodes) != 2 || !p1.StockEvents.PageInfo.HasNextPage || p1.StockEvents.PageInfo.EndCursor != p1.StockEvents.Nodes[1].Cursor {
		t.Fatalf("first page = %+v, want 2 events, a next page, endCursor the last event's", p1.StockEvents)
	}
	le.mustData(f.token, q, map[string]any{"a": p1.StockEvents.PageInfo.EndCursor, "n": 2}, &p2)
	if len(p2.StockEvents.Nodes) != 1 || p2.StockEvents.PageInfo.HasNextPage {
		t.Fatalf("second page = %+v, want the third event and no next page", p2.StockEvents)
	}
	le.mustData(f.token, q, map[string]any{"a": p2.StockEvents.PageInfo.EndCursor, "n": 2}, &p3)
	if len(p3.StockEvents.Nodes) != 0 || p3.StockEvents.PageInfo.EndCursor == "" {
		t.Fatalf("empty page = %+v, want no events and the horizon's endCursor", p3.StockEvents)
	}
	var node struct {
		Node struct {
			ID, Type string
			Actor    *string
		}
	}
	id := p1.StockEvents.Nodes[0].ID
	le.mustData(f.token, `query($id: ID!) { node(id: $id) { id ... on StockEvent { type actor } } }`, map[string]any{"id": id}, &node)
	// The token that made the change is named by the name it was created with.
	if node.Node.ID != id || node.Node.Type != "STOCK_CHANGED" || node.Node.Actor == nil || *node.Node.Actor != "test" {
		t.Errorf("node(%s) = %+v, want the event, made by the token named test", id, node.Node)
	}
	for _, bad := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"a": "nonsense"}, "after"},
		{map[string]any{"a": p1.StockEvents.Nodes[0].ID}, "after"},
		{map[string]any{"n": 251}, "first"},
	} {
		r := le.do(f.token, q, bad.vars)
		if r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != bad.field {
			t.Errorf("stockEvents(%v) errors = %+v, want BAD_USER_INPUT on %s", bad.vars, r.Errors, bad.field)
		}
	}
}

// waitLiveAtMost waits until at most n of the store's subscribers are on
// the shared feed of srv's hub.
func (le *liveEnv) waitLiveAtMost(srv *httptest.Server, token string, n int) {
	le.t.Helper()
	var out struct{ Store struct{ EntityID int64 } }
	le.mustData(token, `{ store { entityId } }`, nil, &out)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if le.hubs[srv].Live(out.Store.EntityID) <= n {
			return
		}
	}
	le.t.Fatalf("%d subscribers live after 30s, want at most %d", le.hubs[srv].Live(out.Store.EntityID), n)
}

// waitLive waits until the server's hub has n subscribers of the token's
// store on its shared feed.
func (le *liveEnv) waitLive(srv *httptest.Server, token string, n int) {
	le.t.Helper()
	var out struct{ Store struct{ EntityID int64 } }
	le.mustData(token, `{ store { entityId } }`, nil, &out)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if le.hubs[srv].Live(out.Store.EntityID) >= n {
			return
		}
	}
	le.t.Fatalf("%d subscribers live after 10s, want %d", le.hubs[srv].Live(out.Store.EntityID), n)
}
