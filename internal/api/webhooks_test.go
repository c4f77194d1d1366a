package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/webhooks"
)

// hookEnv is the API with loopback webhooks allowed, a worker, and a
// receiver that keeps what it gets.
type hookEnv struct {
	*env
	mu   sync.Mutex
	got  []hookRequest
	recv *httptest.Server
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func newHookEnv(t *testing.T) *hookEnv {
	t.Helper()
	db := testdb.MustOpenDB(t)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, WebhookGuard: webhooks.Guard{AllowPrivate: true}}))
	t.Cleanup(srv.Close)
	h := &hookEnv{env: &env{t: t, db: db, srv: srv}}
	h.recv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, hookRequest{r.Header.Clone(), body})
		h.mu.Unlock()
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(h.recv.Close)
	cfg := webhooks.Config{Guard: webhooks.Guard{AllowPrivate: true}, Poll: 10 * time.Millisecond, Names: api.WebhookNames{}}
	worker := webhooks.NewWorker(db.DB, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { worker.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func (h *hookEnv) received() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

const webhookFields = `id url topics status disabledReason filter { variantIds locationIds }`

// TestWebhooksThroughTheAPI creates a webhook, makes a stock change, and
// follows its delivery through webhookDeliveries and redeliverWebhook,
// then pauses, resumes, changes and deletes the webhook.
func TestWebhooksThroughTheAPI(t *testing.T) {
	h := newHookEnv(t)
	token := h.seedStore("hooks", 2, 2, 2)
	var created struct {
		CreateWebhook struct {
			Webhook struct {
				ID     string
				Status string
				Topics []string
			}
			Secret string
		}
	}
	h.mustData(token, `mutation($url: String!) { createWebhook(input: { url: $url, topics: ["store/inventory/stock_changed"] }) {
		webhook { `+webhookFields+` } secret } }`, map[string]any{"url": h.recv.URL + "/hook"}, &created)
	hook := created.CreateWebhook
	if !strings.HasPrefix(hook.Secret, "whsec_") || hook.Webhook.Status != "ACTIVE" || len(hook.Webhook.Topics) != 1 {
		t.Fatalf("createWebhook = %+v, want a whsec_ secret, ACTIVE and its topic", hook)
	}
	var loc struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID, Type string } }
		}
	}
	h.mustData(token, `{ store { locations { nodes { id type } } } }`, nil, &loc)
	h.mustData(token, `mutation($loc: ID!) { adjustInventoryRelative(input: { reason: "count",
		items: [{ locationId: $loc, sku: "P00001-01", quantity: 3 }] }) { items { onHand } } }`,
		map[string]any{"loc": loc.Store.Locations.Nodes[0].ID}, nil)
	waitFor(t, "the delivery", func() bool { return len(h.received()) == 1 })
	first := h.received()[0]
	var body struct {
		Type string
		Data struct {
			VariantID  string
			LocationID string
			Cursor     string
			After      struct{ Quantities map[string]int }
		}
	}
	if err := json.Unmarshal(first.body, &body); err != nil || body.Type != "store/inventory/stock_changed" ||
		body.Data.LocationID != loc.Store.Locations.Nodes[0].ID || body.Data.VariantID == "" || body.Data.Cursor == "" {
		t.Fatalf("body = %s (%v), want the topic, the location's and variant's global IDs and a cursor", first.body, err)
	}
	sig, err := webhooks.Signature(hook.Secret, first.header.Get("webhook-id"), atoi(t, first.header.Get("webhook-timestamp")), first.body)
	if err != nil || sig != first.header.Get("webhook-signature") {
		t.Errorf("webhook-signature = %q, want %q (%v)", first.header.Get("webhook-signature"), sig, err)
	}
	checkDeliveries(t, h, token, hook.Webhook.ID, first.header.Get("webhook-id"))
	checkLifecycle(t, h, token, hook.Webhook.ID)
}

// checkDeliveries reads the delivery back and redelivers it.
func checkDeliveries(t *testing.T, h *hookEnv, token, hookID, msgID string) {
	t.Helper()
	var ds struct {
		WebhookDeliveries struct {
			Nodes []struct {
				ID, MessageID, Status, Topic string
				Attempts, LastStatusCode     int
				LastLatencyMs                *int
				LastResponse                 string
				AttemptLog                   []struct{ StatusCode int }
			}
		}
	}
	query := `query($id: ID!) { webhookDeliveries(webhookId: $id) { nodes { id messageId status topic attempts
		lastStatusCode lastLatencyMs lastResponse attemptLog { statusCode } } } }`
	waitFor(t, "SUCCEEDED", func() bool {
		h.mustData(token, query, map[string]any{"id": hookID}, &ds)
		return len(ds.WebhookDeliveries.Nodes) == 1 && ds.WebhookDeliveries.Nodes[0].Status == "SUCCEEDED"
	})
	d := ds.WebhookDeliveries.Nodes[0]
	if d.MessageID != msgID || d.Attempts != 1 || d.LastStatusCode != 200 || d.LastLatencyMs == nil ||
		d.LastResponse != `{"ok":true}` || len(d.AttemptLog) != 1 {
		t.Errorf("webhookDeliveries = %+v, want webhook-id %s, 1 attempt answered 200 with its response", d, msgID)
	}
	h.mustData(token, `mutation($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { delivery { status } } }`,
		map[string]any{"id": d.ID}, nil)
	waitFor(t, "the redelivery", func() bool { return len(h.received()) == 2 })
	if got := h.received()[1].header.Get("webhook-id"); got != msgID {
		t.Errorf("redelivery webhook-id = %q, want %q", got, msgID)
	}
}

// checkLifecycle pauses, resumes, updates and deletes the webhook, and
// checks the errors clients get.
func checkLifecycle(t *testing.T, h *hookEnv, token, hookID string) {
	t.Helper()
	for _, step := range []struct{ mutation, want string }{
		{"pauseWebhook", "PAUSED"}, {"resumeWebhook", "ACTIVE"},
	} {
		var out map[string]struct{ Webhook struct{ Status string } }
		h.mustData(token, `mutation($id: ID!) { `+step.mutation+`(input: { id: $id }) { webhook { status } } }`, map[string]any{"id": hookID}, &out)
		if got := out[step.mutation].Webhook.Status; got != step.want {
			t.Errorf("%s = %s, want %s", step.mutation, got, step.want)
		}
	}
	r := h.do(token, `mutation($id: ID!) { updateWebhook(input: { id: $id, topics: ["store/product/updated"] }) { webhook { id } } }`, map[string]any{"id": hookID})
	if r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "input.topics[0]" || !strings.Contains(r.Errors[0].Message, h.recv.URL) {
		t.Errorf("updateWebhook(unknown topic) = %+v, want BAD_USER_INPUT on input.topics[0] naming the webhook's URL", r.Errors)
	}
	r = h.do(token, `mutation($id: ID!) { updateWebhook(input: { id: $id, url: "http://10.0.0.1/x" }) { webhook { id } } }`, map[string]any{"id": hookID})
	if r.code() != "" {
		t.Errorf("updateWebhook(private URL) with private allowed = %+v, want no error", r.Errors)
	}
	h.mustData(token, `mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`, map[string]any{"id": hookID}, nil)
	if r := h.do(token, `query($id: ID!) { webhook(id: $id) { id } }`, map[string]any{"id": hookID}); r.code() != "NOT_FOUND" {
		t.Errorf("webhook(deleted) = %+v, want NOT_FOUND", r.Errors)
	}
}

// TestWebhookErrors checks the scope and the SSRF refusal through the API.
func TestWebhookErrors(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("hooks", 1, 1, 1)
	var store struct{ Store struct{ EntityID int64 } }
	e.mustData(token, `{ store { entityId } }`, nil, &store)
	readOnly := e.token(store.Store.EntityID, auth.ReadInventory, auth.WriteInventory)
	create := `mutation($url: String!) { createWebhook(input: { url: $url, topics: ["store/inventory/low_stock"] }) { secret } }`
	if r := e.do(readOnly, create, map[string]any{"url": "https://93.184.215.14/"}); r.code() != "FORBIDDEN" {
		t.Errorf("createWebhook without manage_webhooks = %+v, want FORBIDDEN", r.Errors)
	}
	if r := e.do(readOnly, `{ webhooks { nodes { id } } }`, nil); r.code() != "FORBIDDEN" {
		t.Errorf("webhooks without manage_webhooks = %+v, want FORBIDDEN", r.Errors)
	}
	for _, url := range []string{"http://127.0.0.1:8080/", "http://localhost/", "http://169.254.169.254/"} {
		r := e.do(token, create, map[string]any{"url": url})
		if r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "input.url" || !strings.Contains(r.Errors[0].Message, url) {
			t.Errorf("createWebhook(%s) = %+v, want BAD_USER_INPUT on input.url naming the URL", url, r.Errors)
		}
	}
	var topics struct{ WebhookTopics []string }
	e.mustData(token, `{ webhookTopics }`, nil, &topics)
	if len(topics.WebhookTopics) != len(webhooks.Topics()) {
		t.Errorf("webhookTopics = %v, want %v", topics.WebhookTopics, webhooks.Topics())
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return n
}
