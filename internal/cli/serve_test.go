package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// TestServeShutsDownSubscriptions runs `serve`, opens a subscription and
// cancels the command's context, as SIGTERM does: the subscription ends
// with complete, the websocket closes with 1001 and the command returns
// nil.
func TestServeShutsDownSubscriptions(t *testing.T) {
	url, _, _, token := seededDatabase(t, "serve", 1)
	addr := freeAddr(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("LISTEN_ADDR", addr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	root := newTestRoot(&out)
	root.SetArgs([]string{"serve"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	waitHealthy(t, "http://"+addr+"/healthz")

	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	conn, _, err := websocket.Dial(wctx, "ws://"+addr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var m struct{ Type, ID string }
	_ = wsjson.Write(wctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if err := wsjson.Read(wctx, conn, &m); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v %v", m, err)
	}
	_ = wsjson.Write(wctx, conn, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": "subscription { inventoryChanged { cursor } }"}})
	time.Sleep(200 * time.Millisecond) // let the subscription start
	cancel()
	for m.Type != "complete" {
		if err := wsjson.Read(wctx, conn, &m); err != nil {
			t.Fatalf("after shutdown began: %v, want complete", err)
		}
	}
	// Then the connection closes with 1001: the server is going away.
	err = wsjson.Read(wctx, conn, &m)
	if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
		t.Errorf("after complete: close status %d (%v), want 1001", got, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v, want nil\n%s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve still running 15s after its context ended")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s not healthy within 15s", url)
}
