package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// dialGraphQLWS opens a graphql-transport-ws connection to the API.
func (e *env) dialGraphQLWS(ctx context.Context, header http.Header) (*websocket.Conn, *http.Response, error) {
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/graphql"
	return websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
}

type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func TestWebsocketAuthenticatesInConnectionInit(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("ws", 1, 1, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	conn, _, err := e.dialGraphQLWS(ctx, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	send := func(m any) {
		if err := wsjson.Write(ctx, conn, m); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	read := func() wsMessage {
		var m wsMessage
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatalf("read: %v", err)
		}
		return m
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("after connection_init got %q, want connection_ack", m.Type)
	}
	send(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": "{ store { handle } }"}})
	m := read()
	if m.Type != "next" || !strings.Contains(string(m.Payload), `"handle":"ws"`) {
		t.Fatalf("query over websocket got %s %s, want next with the store's handle", m.Type, m.Payload)
	}
}

func TestWebsocketRejectsMissingToken(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := e.dialGraphQLWS(ctx, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{}}); err != nil {
		t.Fatalf("write: %v", err)
	}
	var m wsMessage
	if err := wsjson.Read(ctx, conn, &m); err == nil {
		t.Fatalf("connection without a token got %q, want it closed", m.Type)
	}
}

func TestWebsocketRefusesOtherOrigins(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, resp, err := e.dialGraphQLWS(ctx, http.Header{"Origin": {"https://evil.example"}})
	if err == nil {
		t.Fatalf("upgrade from another origin succeeded, want it refused")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("upgrade from another origin: response %v, want HTTP 403", resp)
	}
}
