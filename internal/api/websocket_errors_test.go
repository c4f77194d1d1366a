package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/throttle"
)

// TestWebsocketInitRefusalCarriesTheCode checks that a refused
// connection_init closes with 4403 and a reason that starts with the
// presented error's code.
func TestWebsocketInitRefusalCarriesTheCode(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, header := range []string{"", "Bearer sgt_unknown", "Basic dXNlcjpwYXNz"} {
		payload := map[string]any{}
		if header != "" {
			payload["Authorization"] = header
		}
		conn, m, err := e.wsInitWith(ctx, payload)
		var closed websocket.CloseError
		if !errors.As(err, &closed) {
			t.Fatalf("connection_init with %q: read %v (%q), want the connection closed", header, err, m.Type)
		}
		if closed.Code != 4403 || !strings.HasPrefix(closed.Reason, "UNAUTHENTICATED: ") {
			t.Errorf("connection_init with %q: closed %d %q, want 4403 \"UNAUTHENTICATED: ...\"", header, closed.Code, closed.Reason)
		}
		conn.CloseNow()
	}
}

// TestWebsocketReauthenticationErrorHasACode checks that an operation on
// a connection whose token was revoked since connection_init gets an
// error with extensions.code UNAUTHENTICATED, through the presenter.
func TestWebsocketReauthenticationErrorHasACode(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("wsreauth", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := e.dialGraphQLWS(ctx, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		t.Fatalf("write: %v", err)
	}
	var m wsMessage
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %v %q, want connection_ack", err, m.Type)
	}
	if err := auth.RevokeToken(t.Context(), e.db.DB, token); err != nil {
		t.Fatal(err)
	}
	// The token's lookup is cached for a second (auth.Cache): operations
	// succeed until it lapses, then the next one is refused.
	for i := 1; m.Type != "error"; i++ {
		if err := wsjson.Write(ctx, conn, map[string]any{"type": "subscribe", "id": strconv.Itoa(i), "payload": map[string]any{"query": "{ store { handle } }"}}); err != nil {
			t.Fatalf("write: %v", err)
		}
		for m.Type = ""; m.Type != "next" && m.Type != "error"; {
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatalf("read: %v", err)
			}
		}
		if m.Type == "next" && bytes.Contains(m.Payload, []byte(`"errors"`)) {
			break
		}
	}
	var payload struct{ Errors []gqlError }
	if m.Type == "error" {
		_ = json.Unmarshal(m.Payload, &payload.Errors)
	} else {
		_ = json.Unmarshal(m.Payload, &payload)
	}
	if len(payload.Errors) == 0 || payload.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("operation after revocation: %s %s, want an error with extensions.code UNAUTHENTICATED", m.Type, m.Payload)
	}
}

// TestWebsocketInitRefusalsSpendTheAddressBudget: a refused
// connection_init costs the client address a point of the same budget as
// a refused request over HTTP; once it is spent, connection_init closes
// with 4429 "THROTTLED: ...", and the address's HTTP requests without a
// valid token get THROTTLED too.
func TestWebsocketInitRefusalsSpendTheAddressBudget(t *testing.T) {
	db := testdb.MustOpenDB(t)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, AddressThrottle: throttle.Config{Size: 2, Rate: 0.01}}))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, srv: srv}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for i, want := range []websocket.StatusCode{4403, 4403, 4429, 4429} {
		payload := map[string]any{"Authorization": "Bearer sgt_unknown"}
		if i%2 == 1 {
			payload = map[string]any{} // no token at all costs the same
		}
		conn, m, err := e.wsInitWith(ctx, payload)
		var closed websocket.CloseError
		if !errors.As(err, &closed) {
			t.Fatalf("connection_init %d: read %v (%q), want the connection closed", i+1, err, m.Type)
		}
		t.Logf("connection_init %d: closed %d %q", i+1, closed.Code, closed.Reason)
		prefix := map[websocket.StatusCode]string{4403: "UNAUTHENTICATED: ", 4429: "THROTTLED: "}[want]
		if closed.Code != want || !strings.HasPrefix(closed.Reason, prefix) {
			t.Errorf("connection_init %d: closed %d %q, want %d %q...", i+1, closed.Code, closed.Reason, want, prefix)
		}
		conn.CloseNow()
	}
	resp, r := postRaw(t, srv.URL, "Bearer sgt_unknown", `{ store { id } }`)
	if resp.StatusCode != http.StatusTooManyRequests || r.code() != "THROTTLED" {
		t.Errorf("HTTP request without a valid token after the websockets spent the budget: HTTP %d, code %q, want 429 THROTTLED", resp.StatusCode, r.code())
	}
}
