package webhooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"stockgraph/internal/catalog"
	"stockgraph/internal/events"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/throttle"
	"stockgraph/internal/webhooks"
	"stockgraph/models"
)

// BenchmarkDeliveries measures deliveries per second to a receiver on
// loopback that answers 204 at once: b.N events, committed beforehand on
// 100 items, fanned out and sent by one worker with the default senders
// and no per-store pace.
// Run with `make bench` or:
//
//	go test -run '^$' -bench Deliveries -benchtime 5000x ./internal/webhooks/
func BenchmarkDeliveries(b *testing.B) {
	db := testdb.MustOpenDB(b).DB
	s, _, err := catalog.EnsureStore(db, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	ctx := context.Background()
	if _, err := webhooks.Create(ctx, db, webhooks.Guard{AllowPrivate: true}, s.ID,
		webhooks.Input{URL: recv.URL, Topics: []string{"store/inventory/stock_changed"}}); err != nil {
		b.Fatal(err)
	}
	items := 1000
	if v := os.Getenv("ITEMS"); v != "" {
		items, _ = strconv.Atoi(v)
	}
	snap := models.StockSnapshot{Quantities: map[models.QuantityState]int{models.StateOnHand: 1}, Availability: "IN_STOCK"}
	for i := 0; i < b.N; i += 100 {
		var evs []models.StockEvent
		for j := i; j < min(b.N, i+100); j++ {
			evs = append(evs, models.StockEvent{Type: models.EventStockChanged, ItemID: int64(j % items), VariantID: 1,
				ProductID: 1, LocationID: 1, OperationID: uuid.NewString(), Before: snap, After: snap})
		}
		if err := events.Append(ctx, db, s.ID, evs); err != nil {
			b.Fatal(err)
		}
	}
	cfg := webhooks.DefaultConfig()
	cfg.Guard.AllowPrivate, cfg.Poll = true, 10*time.Millisecond
	// The sender's own speed: the store's pace (20 a second by default)
	// is out of the way. TestStoresArePacedApart measures the pace.
	cfg.Throttle = throttle.Config{Size: 1e9, Rate: 1e9}
	if v := os.Getenv("SENDERS"); v != "" {
		cfg.Senders, _ = strconv.Atoi(v)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	go func() { webhooks.NewWorker(db, cfg).Run(wctx); close(done) }()
	for deadline := time.Now().Add(5 * time.Minute); n.Load() < int64(b.N); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d of %d in 5 minutes", n.Load(), b.N)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}
