package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/pressly/goose/v3"

	"stockgraph/dbmigrate"
	"stockgraph/internal/api"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
	"stockgraph/internal/metrics"
	"stockgraph/internal/testsupport/testdb"
)

// syncBuffer is a log destination that tests read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log lines written so far, decoded.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %.300s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// observed is a server with metrics and a JSON log.
type observed struct {
	*env
	logs    *syncBuffer
	metrics *metrics.Metrics
	sockets *api.Websockets
}

func newObserved(t *testing.T, public bool) *observed {
	t.Helper()
	db := testdb.MustOpenDB(t)
	o := &observed{logs: &syncBuffer{}, metrics: metrics.New(), sockets: api.NewWebsockets()}
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, Logger: api.NewLogger(o.logs), Metrics: o.metrics,
		PublicMetrics: public, Websockets: o.sockets}))
	t.Cleanup(srv.Close)
	o.env = &env{t: t, db: db, srv: srv}
	return o
}

// raw sends a request and returns the response with its body.
func (e *env) raw(method, path, body string, header map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestMetricsAfterTraffic: after queries, errors and a refusal, the
// public /metrics (when configured) exposes requests, operations by name
// and errors by code.
func TestMetricsAfterTraffic(t *testing.T) {
	o := newObserved(t, true)
	token := o.seedStore("m", 1, 1, 1)
	o.mustData(token, "query StoreName { store { name } }", nil, nil)
	if r := o.do(token, `{ node(id: "nope") { id } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("bad id answered %q, want BAD_USER_INPUT", r.code())
	}
	if r := o.do("", "{ store { name } }", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token answered HTTP %d, want 401", r.Status)
	}
	resp, body := o.raw("GET", "/metrics", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = HTTP %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{
		`stockgraph_http_requests_total{path="/graphql",status="200"} 2`,
		`stockgraph_http_requests_total{path="/graphql",status="401"} 1`,
		`stockgraph_graphql_operations_total{operation="StoreName",outcome="ok",type="query"} 1`,
		`stockgraph_graphql_operations_total{operation="_anonymous",outcome="error",type="query"} 1`,
		`stockgraph_graphql_operation_duration_seconds_count{operation="StoreName",type="query"} 1`,
		`stockgraph_graphql_errors_total{code="BAD_USER_INPUT"} 1`,
		`stockgraph_graphql_errors_total{code="UNAUTHENTICATED"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics holds %q = false, want true", want)
		}
	}
}

// TestMetricsNotPublicByDefault: without PublicMetrics, /metrics is not
// served on the public handler, and pprof never is.
func TestMetricsNotPublicByDefault(t *testing.T) {
	o := newObserved(t, false)
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/cmdline"} {
		resp, body := o.raw("GET", path, "", nil)
		if resp.StatusCode == http.StatusOK && (strings.Contains(body, "go_goroutines") || strings.Contains(body, "goroutine")) {
			t.Errorf("public GET %s = HTTP 200 with %.80q, want it not served", path, body)
		}
	}
}

// TestAdminHandler serves pprof, /metrics and the health checks.
func TestAdminHandler(t *testing.T) {
	db := testdb.MustOpenDB(t)
	admin := httptest.NewServer(api.AdminHandler(api.Config{DB: db, Metrics: metrics.New()}))
	defer admin.Close()
	for path, want := range map[string]string{
		"/debug/pprof/":                     "goroutine",
		"/debug/pprof/goroutine?debug=1":    "goroutine profile",
		"/metrics":                          "go_goroutines",
		"/healthz":                          `"ok"`,
		"/readyz":                           `"ready"`,
		"/debug/pprof/cmdline":              "",
		"/debug/pprof/symbol":               "",
		"/debug/pprof/heap?debug=1":         "heap profile",
		"/debug/pprof/threadcreate?debug=1": "threadcreate",
	} {
		resp, err := http.Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("admin GET %s = HTTP %d %.80q, want 200 with %q", path, resp.StatusCode, body, want)
		}
	}
}

// TestRequestIDs: a well-formed incoming id is kept, anything else is
// replaced; the id is in the response header and in every error's
// extensions.requestId.
func TestRequestIDs(t *testing.T) {
	o := newObserved(t, false)
	token := o.seedStore("r", 1, 1, 1)
	tests := []struct {
		name, incoming string
		keep           bool
	}{
		{"none", "", false},
		{"well-formed", "abc-DEF_123", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"a space", "abc def", false},
		{"a quote", `abc"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, auth := range []string{"", "Bearer " + token} {
				header := map[string]string{"Authorization": auth}
				if tt.incoming != "" {
					header["X-Request-Id"] = tt.incoming
				}
				resp, body := o.raw("POST", "/graphql", `{"query": "{ node(id: \"nope\") { id } }"}`, header)
				id := resp.Header.Get("X-Request-Id")
				if tt.keep && id != tt.incoming || !tt.keep && (id == "" || id == tt.incoming || len(id) > api.MaxRequestID) {
					t.Fatalf("X-Request-Id for incoming %q = %q, want kept %v", tt.incoming, id, tt.keep)
				}
				var r response
				if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Errors) == 0 {
					t.Fatalf("response = %s, want errors", body)
				}
				for _, e := range r.Errors {
					if e.Extensions["requestId"] != id {
						t.Errorf("extensions.requestId = %v, want %q (HTTP %d)", e.Extensions["requestId"], id, resp.StatusCode)
					}
				}
			}
		})
	}
}

// TestRequestLogLine: each request writes one JSON line with its id,
// operation, token id, status, duration and error codes, and never the
// token.
func TestRequestLogLine(t *testing.T) {
	o := newObserved(t, false)
	token := o.seedStore("l", 1, 1, 1)
	p, err := auth.Authenticate(context.Background(), o.db.DB, token)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := o.raw("POST", "/graphql", `{"query": "query Named { node(id: \"nope\") { id } }"}`,
		map[string]string{"Authorization": "Bearer " + token, "X-Request-Id": "req-1"})
	resp.Body.Close()
	var line map[string]any
	for _, l := range o.logs.lines(t) {
		if l["msg"] == "request" && l["requestId"] == "req-1" {
			if line != nil {
				t.Fatalf("two request lines for one request: %v and %v", line, l)
			}
			line = l
		}
	}
	if line == nil {
		t.Fatalf("no request line for req-1 in %v", o.logs.lines(t))
	}
	want := map[string]any{"path": "/graphql", "status": float64(200), "operation": "Named", "type": "query",
		"tokenId": float64(p.TokenID), "errorCodes": "BAD_USER_INPUT", "method": "POST"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log line[%q] = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["durationMs"].(float64); !ok {
		t.Errorf("log line[durationMs] = %v, want a number", line["durationMs"])
	}
	if o.logs.buf.Len() > 0 && strings.Contains(o.logs.buf.String(), token) {
		t.Errorf("the log holds the token")
	}
}

// TestHugeMalformedInputLogsBounded: 5 MB of malformed or oversized
// input, of every kind a client can send, writes no log line of 1 KB or
// more (the "malformed 5 MB body logged whole").
func TestHugeMalformedInputLogsBounded(t *testing.T) {
	o := newObserved(t, false)
	token := o.seedStore("h", 1, 1, 1)
	big := strings.Repeat("x", 5<<20)
	bodies := map[string]string{
		"malformed JSON":        `{"query": "` + big,
		"unparsable query":      `{"query": "` + big + `"}`,
		"huge operation name":   `{"query": "{ store { id } }", "operationName": "` + big + `"}`,
		"huge variable":         `{"query": "query($n: Int) { store { id } }", "variables": {"n": "` + big + `"}}`,
		"huge ID":               `{"query": "{ node(id: \"` + big + `\") { id } }"}`,
		"not JSON at all":       big,
		"huge operation itself": `{"query": "query ` + strings.Repeat("A", 5<<20) + ` { store { id } }"}`,
	}
	for name, body := range bodies {
		for _, authorization := range []string{"", "Bearer " + token, "Bearer " + big[:4000]} {
			resp, _ := o.raw("POST", "/graphql", body, map[string]string{"Authorization": authorization, "X-Request-Id": big[:1000]})
			resp.Body.Close()
			_ = name
		}
	}
	// And an error whose text carries the input, logged directly.
	api.NewLogger(o.logs).Error("internal error", "err", errors.New(big), "panic", []byte(big), "value", struct{ S string }{big})
	o.logs.mu.Lock()
	all := o.logs.buf.String()
	o.logs.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(all), "\n")
	if len(lines) < len(bodies)*3 {
		t.Fatalf("log lines = %d, want at least %d (one per request)", len(lines), len(bodies)*3)
	}
	for _, line := range lines {
		if len(line) >= 1024 {
			t.Errorf("log line of %d bytes, want under 1024: %.200s", len(line), line)
		}
	}
}

// TestHealthz answers 200 without the database, even when its pool is closed.
func TestHealthz(t *testing.T) {
	o := newObserved(t, false)
	if err := o.db.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body := o.raw("GET", "/healthz", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Errorf("GET /healthz with the pool closed = HTTP %d %s, want 200 ok", resp.StatusCode, body)
	}
}

// TestReadyz: ready on a migrated database; 503 with a JSON reason with
// the pool closed or a migration pending.
func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		break_     func(t *testing.T, o *observed)
		status     int
		wantReason string
	}{
		{"ready", func(*testing.T, *observed) {}, http.StatusOK, ""},
		{"pool closed", func(t *testing.T, o *observed) {
			if err := o.db.Close(); err != nil {
				t.Fatal(err)
			}
		}, http.StatusServiceUnavailable, "database unreachable"},
		{"a migration pending", func(t *testing.T, o *observed) {
			sqlDB, _ := o.db.DB.DB()
			provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, dbmigrate.Files())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := provider.Down(t.Context()); err != nil {
				t.Fatalf("migrate one down: %v", err)
			}
		}, http.StatusServiceUnavailable, "1 migrations pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newObserved(t, false)
			tt.break_(t, o)
			resp, body := o.raw("GET", "/readyz", "", nil)
			var got struct{ Status, Reason string }
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("GET /readyz = %s, not JSON: %v", body, err)
			}
			if resp.StatusCode != tt.status || !strings.Contains(got.Reason, tt.wantReason) || (tt.wantReason == "") != (got.Reason == "") {
				t.Errorf("GET /readyz = HTTP %d %s, want %d with reason %q", resp.StatusCode, body, tt.status, tt.wantReason)
			}
		})
	}
}

// TestWebsocketsGoingAway: shutting down closes open websockets with
// 1001 and refuses new ones with 503.
func TestWebsocketsGoingAway(t *testing.T) {
	o := newObserved(t, false)
	token := o.seedStore("w", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := o.dialGraphQLWS(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var m wsMessage
	_ = wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v %v", m, err)
	}
	if n := o.sockets.Open(); n != 1 {
		t.Fatalf("open websockets = %d, want 1", n)
	}
	went := make(chan struct{})
	go func() { o.sockets.GoingAway(ctx); close(went) }()
	err = wsjson.Read(ctx, conn, &m)
	if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
		t.Errorf("read after GoingAway: close status %d (%v), want 1001", got, err)
	}
	<-went
	_, resp, err := o.dialGraphQLWS(ctx, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("dial while shutting down: %v (response %v), want HTTP 503 with Retry-After", err, resp)
	}
}

// TestWebsocketOperationLogged: each operation on a websocket has a log
// line with the connection's request id and the token's id.
func TestWebsocketOperationLogged(t *testing.T) {
	o := newObserved(t, false)
	token := o.seedStore("wl", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := o.dialGraphQLWS(ctx, http.Header{"X-Request-Id": {"ws-1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var m wsMessage
	_ = wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	_ = wsjson.Read(ctx, conn, &m)
	_ = wsjson.Write(ctx, conn, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": "query Q { store { handle } }"}})
	for m.Type != "complete" {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range o.logs.lines(t) {
		if l["msg"] == "websocket operation" && l["requestId"] == "ws-1" && l["operation"] == "Q" && l["tokenId"] != nil {
			return
		}
	}
	t.Errorf("no websocket operation line for ws-1 in %v", o.logs.lines(t))
}

// TestAbandonedRequestIsCancelled: a client that gives up while its
// change waits for a locked row is no fault of ours: its request is
// logged and counted as CANCELLED (HTTP 499 in the log), never as
// INTERNAL, and nothing is logged at ERROR.
func TestAbandonedRequestIsCancelled(t *testing.T) {
	o := newObserved(t, false)
	token := o.seedStore("gone", 1, 1, 1)
	var item struct{ ID, VariantID, LocationID int64 }
	o.db.Raw(`SELECT id, variant_id, location_id FROM inventory_items ORDER BY id LIMIT 1`).Scan(&item)
	tx := o.db.Begin()
	if err := tx.Exec(`SELECT 1 FROM inventory_items WHERE id = ? FOR UPDATE`, item.ID).Error; err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	body, _ := json.Marshal(map[string]any{"query": `mutation($v: ID!, $l: ID!) { adjustInventoryRelative(input: {reason: "received",
		items: [{variantId: $v, locationId: $l, quantity: 1}]}) { items { onHand } } }`,
		"variables": map[string]any{"v": relay.ID(relay.KindVariant, item.VariantID), "l": relay.ID(relay.KindLocation, item.LocationID)}})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", "gone-1")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the change was answered (HTTP %d) while its row was locked", resp.StatusCode)
	}
	var line map[string]any
	for deadline := time.Now().Add(10 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, l := range o.logs.lines(t) {
			if l["msg"] == "request" && l["requestId"] == "gone-1" {
				line = l
			}
		}
	}
	if line == nil || line["errorCodes"] != "CANCELLED" || line["status"] != float64(499) {
		t.Fatalf("request line of the abandoned change = %v, want errorCodes CANCELLED and status 499", line)
	}
	for _, l := range o.logs.lines(t) {
		if l["level"] == "ERROR" {
			t.Errorf("an abandoned request logged at ERROR: %v", l)
		}
	}
}
