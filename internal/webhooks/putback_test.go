package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"stockgraph/internal/catalog"
	"stockgraph/internal/events"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/throttle"
	"stockgraph/models"
)

// TestPutBack: a delivery claimed when its store's bucket can no longer
// pay (another sender spent the last point after this one looked) is put
// back as it was, with no attempt counted and nothing sent; once the
// bucket restores, it is sent, with one attempt.
func TestPutBack(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	ctx := context.Background()
	store, _, err := catalog.EnsureStore(db, "putback")
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sent.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	hook, err := Create(ctx, db, Guard{AllowPrivate: true}, store.ID, Input{URL: recv.URL, Topics: []string{"store/inventory/stock_changed"}})
	if err != nil {
		t.Fatal(err)
	}
	snap := models.StockSnapshot{Quantities: map[models.QuantityState]int{models.StateOnHand: 1}, Availability: "IN_STOCK"}
	if err := events.Append(ctx, db, store.ID, []models.StockEvent{{Type: models.EventStockChanged, ItemID: 1, VariantID: 1,
		ProductID: 1, LocationID: 1, OperationID: uuid.NewString(), Before: snap, After: snap}}); err != nil {
		t.Fatal(err)
	}
	var throttled atomic.Int64
	w := NewWorker(db, Config{Guard: Guard{AllowPrivate: true}, Throttle: throttle.Config{Size: 1, Rate: 0.001},
		OnThrottled: func() { throttled.Add(1) }})
	if _, err := w.fanOutAll(ctx); err != nil {
		t.Fatal(err)
	}
	var before Delivery
	if err := db.Where("store_id = ? AND webhook_id = ?", store.ID, hook.ID).Take(&before).Error; err != nil {
		t.Fatal(err)
	}
	// The bucket's clock: the last point is spent at t0; the claim's look
	// at the buckets sees it an hour later (restored), its Take at t0
	// again, as when another sender took the point in between.
	t0 := time.Unix(1_000_000, 0)
	clock := []time.Time{t0, t0.Add(time.Hour), t0}
	w.stores.Now = func() time.Time {
		now := clock[0]
		if len(clock) > 1 {
			clock = clock[1:]
		}
		return now
	}
	w.stores.Take(storeKey(store.ID), 1)
	ds, busy, err := w.claim(ctx)
	var after Delivery
	db.Where("store_id = ? AND id = ?", store.ID, before.ID).Take(&after)
	if err != nil || len(ds) != 0 || !busy || throttled.Load() != 1 || sent.Load() != 0 {
		t.Fatalf("claim() = %d deliveries, busy %v, %v; %d put back, %d sent; want none, busy, one put back, none sent",
			len(ds), busy, err, throttled.Load(), sent.Load())
	}
	if after.Status != Pending || after.Attempts != 0 || after.RoundAttempts != 0 || after.LastAttemptAt != nil ||
		!after.NextAttemptAt.Equal(before.NextAttemptAt) {
		t.Errorf("put back: %s, attempts %d/%d, last attempt %v, due %v; want PENDING, 0/0, none, due %v as before",
			after.Status, after.Attempts, after.RoundAttempts, after.LastAttemptAt, after.NextAttemptAt, before.NextAttemptAt)
	}
	clock = []time.Time{t0.Add(time.Hour)} // restored
	if busy, err := w.sendDue(ctx); err != nil || !busy || sent.Load() != 1 {
		t.Fatalf("sendDue() after the bucket restored = %v, %v, %d sent; want the delivery sent", busy, err, sent.Load())
	}
	db.Where("store_id = ? AND id = ?", store.ID, before.ID).Take(&after)
	if after.Status != Succeeded || after.Attempts != 1 {
		t.Errorf("delivery after sending = %s with %d attempts, want SUCCEEDED with 1", after.Status, after.Attempts)
	}
}
