package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"stockgraph/internal/catalog"
	"stockgraph/internal/events"
	"stockgraph/internal/throttle"
	"stockgraph/internal/webhooks"
	"stockgraph/models"
)

// arrivals records when each request reached a receiver, by webhook-id.
type arrivals struct {
	mu  sync.Mutex
	at  []time.Time
	ids map[string]int
}

func newArrivals(t *testing.T) (*arrivals, *httptest.Server) {
	a := &arrivals{ids: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.at = append(a.at, time.Now())
		a.ids[r.Header.Get("webhook-id")]++
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return a, srv
}

func (a *arrivals) times() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.at)
}

// writeTo commits one STOCK_CHANGED event per item of a store, in one
// transaction.
func (e *env) writeTo(store int64, items ...int64) {
	e.t.Helper()
	snap := models.StockSnapshot{Quantities: map[models.QuantityState]int{models.StateOnHand: 1}, Availability: "IN_STOCK"}
	var evs []models.StockEvent
	for _, item := range items {
		evs = append(evs, models.StockEvent{Type: models.EventStockChanged, ItemID: item, VariantID: item * 10,
			ProductID: 1, LocationID: 1, OperationID: uuid.NewString(), Before: snap, After: snap})
	}
	if err := events.Append(context.Background(), e.db, store, evs); err != nil {
		e.t.Fatalf("Append: %v", err)
	}
}

// TestStoresArePacedApart: a store that floods its webhook with 60 events
// gets a burst of its bucket (10) and then its rate (20 a second), each
// delivery attempted once, while another store's one delivery, written
// after the flood, goes out early instead of after it.
func TestStoresArePacedApart(t *testing.T) {
	e := newEnv(t)
	quiet, _, err := catalog.EnsureStore(e.db, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	flood, floodSrv := newArrivals(t)
	calm, calmSrv := newArrivals(t)
	ctx := context.Background()
	guard := webhooks.Guard{AllowPrivate: true}
	topics := []string{"store/inventory/stock_changed"}
	floodHook, err := webhooks.Create(ctx, e.db, guard, e.store, webhooks.Input{URL: floodSrv.URL, Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webhooks.Create(ctx, e.db, guard, quiet.ID, webhooks.Input{URL: calmSrv.URL, Topics: topics}); err != nil {
		t.Fatal(err)
	}
	cfg := fast()
	cfg.Throttle = throttle.Config{Size: 10, Rate: 20}
	var putBack atomic.Int64
	cfg.OnThrottled = func() { putBack.Add(1) }
	const n = 60
	items := make([]int64, n)
	for i := range items {
		items[i] = int64(i + 1) // one item each: no delivery waits for another
	}
	e.writeTo(e.store, items...)
	e.writeTo(quiet.ID, 1)
	start := time.Now()
	e.run(cfg)
	eventually(t, "every delivery of both stores", func() bool { return len(flood.times()) >= n && len(calm.times()) >= 1 })
	got, calmAt := flood.times(), calm.times()[0]
	before := 0
	for _, at := range got {
		if at.Before(calmAt) {
			before++
		}
	}
	t.Logf("flood: %d deliveries, the first %v after the start, the 10th %v, the last %v; %.1f a second after the burst; %d put back",
		n, got[0].Sub(start).Round(time.Millisecond), got[9].Sub(start).Round(time.Millisecond), got[n-1].Sub(start).Round(time.Millisecond),
		float64(n-10)/got[n-1].Sub(got[9]).Seconds(), putBack.Load())
	t.Logf("quiet store: its delivery %v after the start, after %d of the flood's", calmAt.Sub(start).Round(time.Millisecond), before)
	// The bucket, full when the worker starts, cannot pay 60 attempts in
	// less than (60 - 10) / 20 s from then; slowness only makes it longer.
	if span := got[n-1].Sub(start); span < 2500*time.Millisecond {
		t.Errorf("the flood's 60 deliveries were done %v after the start, want at least 2.5 s: a burst of 10, then 20 a second", span)
	}
	if before >= 40 {
		t.Errorf("the quiet store's delivery came after %d of the flood's 60, want it early, not behind the flood", before)
	}
	// A sender claims from a store only while its bucket holds a point for
	// every claim in flight (4 senders, a bucket of 10): none is put back.
	if putBack.Load() != 0 {
		t.Errorf("%d deliveries put back, want 0: the senders claimed more than the bucket could pay", putBack.Load())
	}
	for id, k := range flood.ids {
		if k != 1 {
			t.Errorf("delivery %s received %d times, want once", id, k)
		}
	}
	eventually(t, "the flood's deliveries recorded", func() bool {
		succeeded := webhooks.Succeeded
		return len(e.deliveries(floodHook.ID, &succeeded)) == n
	})
	for _, d := range e.deliveries(floodHook.ID, nil) {
		if d.Attempts != 1 {
			t.Errorf("delivery %d: %d attempts, want 1 (a put back is no attempt)", d.ID, d.Attempts)
		}
	}
}
