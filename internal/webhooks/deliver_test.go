package webhooks_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"stockgraph/internal/page"
	"stockgraph/internal/webhooks"
)

// deliveries returns every delivery of a webhook, newest first.
func (e *env) deliveries(hook int64, status *webhooks.DeliveryStatus) []webhooks.Delivery {
	e.t.Helper()
	p, err := webhooks.Deliveries(context.Background(), e.db, e.store, hook, status, page.Window{Limit: page.MaxSize})
	if err != nil {
		e.t.Fatalf("Deliveries: %v", err)
	}
	return p.Items
}

func (e *env) get(id int64) webhooks.Webhook {
	e.t.Helper()
	w, err := webhooks.Get(context.Background(), e.db, e.store, id)
	if err != nil {
		e.t.Fatalf("Get(%d): %v", id, err)
	}
	return w
}

// TestDeliversEveryEventSignedInItemOrder writes events for a few items
// from several goroutines while a worker delivers them: the receiver gets
// each exactly once, with a valid signature, each item's in event order.
func TestDeliversEveryEventSignedInItemOrder(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusNoContent))
	hook := e.hook(r)
	e.run(fast())
	const writers, perWriter = 4, 15
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				e.write(int64(1+(w+i)%3), int64(4+i%2)) // items 1-5, shared between writers
			}
		}()
	}
	wg.Wait()
	const want = writers * perWriter * 2
	eventually(t, "every delivery", func() bool { return len(r.succeeded()) >= want })
	got := r.all()
	if len(got) != want || r.bad != 0 {
		t.Fatalf("receiver got %d requests, %d with a bad signature, want %d, 0", len(got), r.bad, want)
	}
	checkItemOrder(t, got)
	ids := map[string]bool{}
	for _, g := range got {
		if ids[g.MsgID] || g.Topic != "store/inventory/stock_changed" {
			t.Fatalf("request %+v: repeated webhook-id or wrong type, want each once with the topic", g)
		}
		ids[g.MsgID] = true
	}
	// The receiver answers before the worker records the answer.
	succeeded := webhooks.Succeeded
	eventually(t, "every delivery recorded SUCCEEDED", func() bool { return len(e.deliveries(hook.ID, &succeeded)) == want })
}

// TestRetriesThenSucceeds answers 500 twice, then 200: the delivery is
// tried three times with the same webhook-id, and records the attempts.
func TestRetriesThenSucceeds(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	hook := e.hook(r)
	e.run(fast())
	e.write(1)
	eventually(t, "a success", func() bool { return len(r.succeeded()) == 1 })
	got := r.all()
	if len(got) != 3 || got[0].MsgID != got[2].MsgID || got[1].MsgID != got[2].MsgID {
		t.Fatalf("requests = %+v, want 3 with one webhook-id", got)
	}
	eventually(t, "the delivery recorded", func() bool {
		ds := e.deliveries(hook.ID, nil)
		return len(ds) == 1 && ds[0].Status == webhooks.Succeeded
	})
	checkRetried(t, e, e.deliveries(hook.ID, nil)[0])
	if w := e.get(hook.ID); w.FailingSince != nil || w.Status != webhooks.Active {
		t.Errorf("webhook after a success = failing since %v, %s, want nil, ACTIVE", w.FailingSince, w.Status)
	}
}

// checkRetried checks the record of a delivery answered 500, 500, 200.
func checkRetried(t *testing.T, e *env, d webhooks.Delivery) {
	t.Helper()
	if d.Attempts != 3 || d.LastStatusCode == nil || *d.LastStatusCode != 200 || d.LastResponse != "answer 200" || d.DeliveredAt == nil {
		t.Errorf("delivery = attempts %d, status %v, response %q, want 3, 200, \"answer 200\"", d.Attempts, d.LastStatusCode, d.LastResponse)
	}
	as, err := webhooks.Attempts(context.Background(), e.db, e.store, d.ID, 10)
	if err != nil || len(as) != 3 || *as[2].StatusCode != 500 || *as[0].StatusCode != 200 {
		t.Errorf("Attempts = %+v, %v, want 3, latest (200) first", as, err)
	}
}

// TestFailsAfterScheduleThenDisables lets the receiver always answer 500:
// each delivery fails after the schedule's attempts, and the webhook is
// disabled after the configured failing time, with a reason; resuming it
// clears that.
func TestFailsAfterScheduleThenDisables(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusInternalServerError))
	hook := e.hook(r)
	cfg := fast()
	cfg.DisableAfter = 300 * cfg.Schedule[0] // longer than one delivery's schedule (70 ms)
	e.run(cfg)
	e.write(1)
	failed := webhooks.Failed
	eventually(t, "a failed delivery", func() bool { return len(e.deliveries(hook.ID, &failed)) == 1 })
	d := e.deliveries(hook.ID, nil)[0]
	if want := len(cfg.Schedule) + 1; d.Attempts != want || d.LastError != "HTTP 500" {
		t.Errorf("failed delivery: attempts %d, error %q, want %d, \"HTTP 500\"", d.Attempts, d.LastError, want)
	}
	if w := e.get(hook.ID); w.Status != webhooks.Active || w.FailingSince == nil || w.ConsecutiveFailures != 1 {
		t.Errorf("webhook after one failure = %s, since %v, %d failures, want ACTIVE, set, 1", w.Status, w.FailingSince, w.ConsecutiveFailures)
	}
	for w := e.get(hook.ID); w.Status == webhooks.Active; w = e.get(hook.ID) {
		e.write(1)
		eventually(t, "the failure", func() bool {
			return len(e.deliveries(hook.ID, &failed)) == len(e.deliveries(hook.ID, nil)) || e.get(hook.ID).Status != webhooks.Active
		})
	}
	w := e.get(hook.ID)
	if reason := w.DisabledReason; w.Status != webhooks.Disabled || !strings.Contains(reason, r.srv.URL+"/hook has failed") {
		t.Fatalf("webhook = %s, %q, want DISABLED with a reason naming its URL", w.Status, reason)
	}
	w, err := webhooks.Resume(context.Background(), e.db, e.store, hook.ID)
	if err != nil || w.Status != webhooks.Active || w.DisabledReason != "" || w.FailingSince != nil {
		t.Errorf("Resume = %s, %q, %v, %v, want ACTIVE, no reason, not failing", w.Status, w.DisabledReason, w.FailingSince, err)
	}
}

// TestDisablesAfterConsecutiveFailures uses the count limit instead.
func TestDisablesAfterConsecutiveFailures(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusBadGateway))
	hook := e.hook(r)
	cfg := fast()
	cfg.DisableAfterFailures = 2
	e.run(cfg)
	e.write(1, 2, 3)
	eventually(t, "the webhook disabled", func() bool { return e.get(hook.ID).Status == webhooks.Disabled })
	// The third delivery may have been under way when the second failed.
	if w := e.get(hook.ID); w.ConsecutiveFailures < 2 || !strings.Contains(w.DisabledReason, "last 2 deliveries") {
		t.Errorf("webhook = %d failures, %q, want 2 or more and a reason naming 2", w.ConsecutiveFailures, w.DisabledReason)
	}
}

// TestRedeliverKeepsWebhookID redelivers a delivered message: the
// receiver gets it again with the same webhook-id and the same body.
func TestRedeliverKeepsWebhookID(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusOK))
	hook := e.hook(r)
	e.run(fast())
	e.write(7)
	eventually(t, "the delivery", func() bool { return len(r.succeeded()) == 1 })
	eventually(t, "the delivery recorded", func() bool { return e.deliveries(hook.ID, nil)[0].Status == webhooks.Succeeded })
	d := e.deliveries(hook.ID, nil)[0]
	again, err := webhooks.Redeliver(context.Background(), e.db, e.store, d.ID)
	if err != nil || again.Status != webhooks.Pending {
		t.Fatalf("Redeliver = %s, %v, want PENDING", again.Status, err)
	}
	eventually(t, "the redelivery", func() bool { return len(r.succeeded()) == 2 })
	got := r.all()
	if got[1].MsgID != got[0].MsgID || got[1].MsgID != d.MessageID || got[1].Event != got[0].Event {
		t.Errorf("redelivery = %+v, want webhook-id %s and event %d again", got[1], d.MessageID, got[0].Event)
	}
	if _, err := webhooks.Redeliver(context.Background(), e.db, e.store+1, d.ID); err == nil {
		t.Errorf("Redeliver(another store's delivery) = nil error, want NOT_FOUND")
	}
}

// TestTwoWorkersDeliverOnce runs two workers, as two replicas would, on
// one database: every delivery reaches the receiver once.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusOK))
	e.hook(r)
	e.run(fast())
	e.run(fast())
	for i := range 60 {
		e.write(int64(i%6), int64(10+i))
	}
	eventually(t, "every delivery", func() bool { return len(r.succeeded()) >= 120 })
	seen := map[string]int{}
	for _, g := range r.all() {
		seen[g.MsgID]++
	}
	if got := len(r.all()); got != 120 || len(seen) != 120 {
		t.Errorf("two workers sent %d requests with %d webhook-ids, want 120 of 120", got, len(seen))
	}
	checkItemOrder(t, r.all())
}

// TestTopicsAndFiltersChooseEvents gives a webhook a topic and a variant
// filter: only matching events are delivered.
func TestTopicsAndFiltersChooseEvents(t *testing.T) {
	e := newEnv(t)
	all := newReceiver(t, always(http.StatusOK))
	one := newReceiver(t, always(http.StatusOK))
	lows := newReceiver(t, always(http.StatusOK))
	e.hook(all)
	w := e.create(webhooks.Input{URL: one.srv.URL, Topics: []string{"store/inventory/stock_changed"}, Filter: &webhooks.Filter{VariantIDs: []int64{20}}})
	one.secret = w.Secret
	w = e.create(webhooks.Input{URL: lows.srv.URL, Topics: []string{"store/inventory/low_stock"}})
	lows.secret = w.Secret
	e.run(fast())
	e.write(1, 2, 3) // variants 10, 20, 30
	eventually(t, "the deliveries", func() bool { return len(all.succeeded()) == 3 && len(one.succeeded()) == 1 })
	if got := one.succeeded()[0].Item; got != 2 {
		t.Errorf("filtered webhook got item %d, want 2 (variant 20)", got)
	}
	if n := len(lows.all()); n != 0 {
		t.Errorf("low_stock webhook got %d requests for STOCK_CHANGED events, want 0", n)
	}
}

// TestRetryHoldsBackTheItem fails an item's first delivery twice: the
// item's later events wait until it has succeeded, while other items'
// go on.
func TestRetryHoldsBackTheItem(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusOK))
	r.answerFor = func(g received, itemRequests int) int {
		if g.Item == 1 && itemRequests <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	e.hook(r)
	cfg := fast()
	cfg.Schedule = []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}
	e.write(1)
	e.write(1, 2)
	e.write(1, 3)
	e.run(cfg)
	eventually(t, "every delivery", func() bool { return len(r.succeeded()) == 5 })
	var item1 []received
	for _, g := range r.all() {
		if g.Item == 1 {
			item1 = append(item1, g)
		}
	}
	checkItemOrder(t, r.all())
	if len(item1) != 5 || item1[0].MsgID != item1[2].MsgID || item1[3].MsgID == item1[2].MsgID {
		t.Errorf("item 1's requests = %+v, want its first event 3 times (two 503s), then the other two", item1)
	}
}

// TestDoorbellWakesTheWorker polls once a minute: only the events
// doorbell (LISTEN) can make the delivery happen within the test. The
// second event commits while an older transaction runs, which holds it
// back; that transaction ends without ringing, so the worker must come
// back by itself for the event.
func TestDoorbellWakesTheWorker(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusOK))
	e.hook(r)
	cfg := fast()
	cfg.Poll = time.Minute
	w := e.run(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Listen(ctx, e.dsn); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "LISTEN", func() bool {
		var n int
		e.db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&n)
		return n == 1
	})
	e.write(1)
	eventually(t, "the delivery rung in", func() bool { return len(r.succeeded()) == 1 })

	older := e.db.Begin()
	if err := older.Exec(`SELECT pg_current_xact_id()`).Error; err != nil {
		t.Fatal(err)
	}
	e.write(2)
	time.Sleep(150 * time.Millisecond) // the worker finds the event held back
	if err := older.Commit().Error; err != nil {
		t.Fatal(err)
	}
	eventually(t, "the held-back delivery", func() bool { return len(r.succeeded()) == 2 })
}
