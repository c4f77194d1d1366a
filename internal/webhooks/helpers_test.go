package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/webhooks"
	"stockgraph/models"
)

// fast is a configuration that runs the whole retry schedule in
// milliseconds, with loopback receivers allowed.
func fast() webhooks.Config {
	return webhooks.Config{
		Guard:    webhooks.Guard{AllowPrivate: true},
		Schedule: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond},
		Timeout:  2 * time.Second, DisableAfter: time.Hour, Poll: 10 * time.Millisecond, Batch: 50, Senders: 4,
	}
}

// env is a database with a store.
type env struct {
	t     *testing.T
	dsn   string
	db    *gorm.DB
	store int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dsn := testdb.MustCreate(t)
	pool, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	db := pool.DB
	s, _, err := catalog.EnsureStore(db, "hooks")
	if err != nil {
		t.Fatalf("EnsureStore: %v", err)
	}
	return &env{t: t, dsn: dsn, db: db, store: s.ID}
}

// run starts a worker until the test ends.
func (e *env) run(cfg webhooks.Config) *webhooks.Worker {
	e.t.Helper()
	w := webhooks.NewWorker(e.db, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
	return w
}

func (e *env) create(in webhooks.Input) webhooks.Webhook {
	e.t.Helper()
	w, err := webhooks.Create(context.Background(), e.db, webhooks.Guard{AllowPrivate: true}, e.store, in)
	if err != nil {
		e.t.Fatalf("Create(%+v): %v", in, err)
	}
	return w
}

// write commits one STOCK_CHANGED event per item, in one transaction.
func (e *env) write(items ...int64) {
	e.t.Helper()
	var evs []models.StockEvent
	for _, item := range items {
		snap := models.StockSnapshot{Quantities: map[models.QuantityState]int{models.StateOnHand: 1}, Availability: "IN_STOCK"}
		evs = append(evs, models.StockEvent{Type: models.EventStockChanged, ItemID: item, VariantID: item * 10,
			ProductID: 1, LocationID: 1, OperationID: uuid.NewString(), Before: snap, After: snap})
	}
	if err := events.Append(context.Background(), e.db, e.store, evs); err != nil {
		e.t.Fatalf("Append: %v", err)
	}
}

// eventually waits up to 20 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// verify checks a Standard Webhooks signature the way a receiver would,
// written from the specification, not from the sender's code: the
// base64 HMAC-SHA256, keyed with the decoded secret, of "id.timestamp.body",
// among the space-separated "v1,<signature>" of the header, and a
// timestamp within five minutes.
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		v, b64, ok := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if ok && v == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// received is one request the receiver answered.
type received struct {
	MsgID  string
	Event  int64
	Item   int64
	Topic  string
	Status int
	At     events.Position
}

// position parses the body's "xid.id" position.
func position(s string) events.Position {
	x, id, _ := strings.Cut(s, ".")
	xid, _ := strconv.ParseUint(x, 10, 64)
	n, _ := strconv.ParseInt(id, 10, 64)
	return events.Position{Xid: xid, ID: n}
}

// receiver is a webhook endpoint on loopback that checks every signature
// and answers with what answer returns for the n-th request (from 1).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	answer func(n int) int
	// answerFor, when set, answers instead, from the request's event and
	// the item's requests so far.
	answerFor func(g received, itemRequests int) int
	mu        sync.Mutex
	got       []received
	bad       int
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{t: t, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var m struct {
		Type string `json:"type"`
		Data struct {
			EntityID              int64  `json:"entityId"`
			InventoryItemEntityID int64  `json:"inventoryItemEntityId"`
			Position              string `json:"position"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &m)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !verify(r.secret, req.Header, body) {
		r.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	g := received{MsgID: req.Header.Get("webhook-id"), Event: m.Data.EntityID,
		Item: m.Data.InventoryItemEntityID, Topic: m.Type, At: position(m.Data.Position)}
	g.Status = r.answer(len(r.got) + 1)
	if r.answerFor != nil {
		n := 1
		for _, o := range r.got {
			if o.Item == g.Item {
				n++
			}
		}
		g.Status = r.answerFor(g, n)
	}
	r.got = append(r.got, g)
	status := g.Status
	w.WriteHeader(status)
	_, _ = w.Write([]byte("answer " + strconv.Itoa(status)))
}

// succeeded returns the requests answered 2xx.
func (r *receiver) succeeded() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.Status < 300 {
			out = append(out, g)
		}
	}
	return out
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func always(status int) func(int) int { return func(int) int { return status } }

// hook creates a webhook for the receiver, of every STOCK_CHANGED event.
func (e *env) hook(r *receiver) webhooks.Webhook {
	e.t.Helper()
	w := e.create(webhooks.Input{URL: r.srv.URL + "/hook", Topics: []string{"store/inventory/stock_changed"}})
	r.secret = w.Secret
	return w
}

// checkItemOrder fails when an item's events reached the receiver out of
// event order, the order of positions (xid, id), which for one item is the
// order its changes committed in: no request, retries included, may
// carry an earlier event of an item than one before it.
func checkItemOrder(t *testing.T, got []received) {
	t.Helper()
	last := map[int64]events.Position{}
	for _, g := range got {
		if g.At.Less(last[g.Item]) {
			t.Errorf("item %d: event at %v sent after event at %v, want event order", g.Item, g.At, last[g.Item])
		}
		last[g.Item] = g.At
	}
}
