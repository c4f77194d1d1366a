package events_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// openWithURL opens a fresh database and returns its URL too, for the
// hub's listener.
func openWithURL(t *testing.T) (*gorm.DB, string) {
	t.Helper()
	url := testdb.MustCreate(t)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db.DB, url
}

// startHub runs a hub with its listener until the test ends.
func startHub(t *testing.T, db *gorm.DB, url string, opts events.HubOptions) *events.Hub {
	t.Helper()
	hub := events.NewHub(db, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx, url) }()
	t.Cleanup(func() { cancel(); <-done })
	return hub
}

// collect reads a subscription's events into a list until it ends.
type collector struct {
	mu   sync.Mutex
	tags []int64
	done chan struct{}
}

func collect(sub *events.Subscription) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for e := range sub.C {
			c.mu.Lock()
			c.tags = append(c.tags, e.ItemID)
			c.mu.Unlock()
		}
	}()
	return c
}

// waitFor waits until the collector holds n events or 10 seconds pass
// (other tests' transactions hold the horizon back for a while), and
// returns what it holds.
func (c *collector) waitFor(n int) []int64 {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		got := len(c.tags)
		c.mu.Unlock()
		if got >= n {
			break
		}
	}
	// A little longer, to catch a duplicate arriving late.
	time.Sleep(50 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.tags)
}

// allEvents reads the store's final events in order, waiting until there
// are n.
func allEvents(t *testing.T, db *gorm.DB, store int64, n int) []models.StockEvent {
	t.Helper()
	var evs []models.StockEvent
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var err error
		evs, _, err = events.Read(context.Background(), db, store, events.Filter{}, events.Position{}, 100000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) >= n {
			break
		}
	}
	return evs
}

// TestHubSubscribersJoiningMidStream is the hub's no-gap, no-duplicate
// property: writers commit events in random order (some roll back) while
// subscribers join at random moments, some from an earlier event's
// position (they catch up on their own, then join the shared feed), some
// from now, some with a filter. Each must receive exactly the store's
// events after its start that match its filter, in order, once each.
func TestHubSubscribersJoiningMidStream(t *testing.T) {
	db, url := openWithURL(t)
	store := newStore(t, db)
	hub := startHub(t, db, url, events.HubOptions{Buffer: 10000, Batch: 7})
	const writers, perWriter, subscribers = 4, 40, 12

	var committed sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for w := range writers {
		committed.Add(1)
		go func() {
			defer committed.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for i := range perWriter {
				tx := db.Begin()
				e := event(int64(w*1000 + i + 1))
				e.VariantID = int64(w + 1)
				if err := events.Append(context.Background(), tx, store, []models.StockEvent{e}); err != nil {
					t.Errorf("Append: %v", err)
					tx.Rollback()
					return
				}
				time.Sleep(time.Duration(rng.IntN(4000)) * time.Microsecond)
				if rng.IntN(8) == 0 {
					tx.Rollback()
					continue
				}
				if err := tx.Commit().Error; err != nil {
					t.Errorf("commit: %v", err)
					return
				}
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}

	type joined struct {
		sub    *events.Subscription
		filter events.Filter
		got    *collector
	}
	var subs []joined
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range subscribers {
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		var after *events.Position
		if i%2 == 0 {
			// From an event some way back, or from the beginning.
			evs, _, err := events.Read(context.Background(), db, store, events.Filter{}, events.Position{}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			p := events.Position{}
			if len(evs) > 0 {
				p = events.Of(evs[rng.IntN(len(evs))])
			}
			after = &p
		}
		f := events.Filter{}
		if i%3 == 0 {
			f.VariantIDs = []int64{2} // writer 1's events only
		}
		sub, err := hub.Subscribe(t.Context(), store, f, after, events.SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, joined{sub, f, collect(sub)})
	}
	committed.Wait()
	all := allEvents(t, db, store, n)
	if len(all) != n {
		t.Fatalf("events in the table = %d, committed %d", len(all), n)
	}
	for i, s := range subs {
		var want []int64
		for _, e := range all {
			if s.sub.Start.Less(events.Of(e)) && s.filter.Match(e) {
				want = append(want, e.ItemID)
			}
		}
		if got := s.got.waitFor(len(want)); !slices.Equal(got, want) {
			t.Errorf("subscriber %d (from %v) received %d events, want %d:\n got %v\nwant %v", i, s.sub.Start, len(got), len(want), got, want)
		}
	}
}

// TestHubDropsSlowSubscriber: a subscriber that never reads is dropped
// with ErrTooSlow after its buffer's worth of events, while another on the
// same store receives everything.
func TestHubDropsSlowSubscriber(t *testing.T) {
	db, url := openWithURL(t)
	store := newStore(t, db)
	const buffer = 4
	hub := startHub(t, db, url, events.HubOptions{Buffer: buffer, Grace: 10 * time.Millisecond})
	slow, err := hub.Subscribe(t.Context(), store, events.Filter{}, nil, events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := hub.Subscribe(t.Context(), store, events.Filter{}, nil, events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(fast)
	<-slow.Live()
	<-fast.Live()
	var want []int64
	for i := range 3 * buffer {
		appendIn(t, db, store, int64(i+1))
		want = append(want, int64(i+1))
	}
	if tags := got.waitFor(len(want)); !slices.Equal(tags, want) {
		t.Fatalf("fast subscriber received %v, want %v", tags, want)
	}
	var kept []int64
	for timeout := time.After(10 * time.Second); ; {
		var e *models.StockEvent
		var ok bool
		select {
		case e, ok = <-slow.C:
		case <-timeout:
			t.Fatalf("slow subscriber still open after 10s with %v, want it dropped", kept)
		}
		if !ok {
			break
		}
		kept = append(kept, e.ItemID)
	}
	if !errors.Is(slow.Err(), events.ErrTooSlow) {
		t.Errorf("slow subscriber's Err() = %v, want ErrTooSlow", slow.Err())
	}
	if !slices.Equal(kept, want[:len(kept)]) || len(kept) > buffer {
		t.Errorf("slow subscriber kept %v, want a prefix of %v of at most %d", kept, want, buffer)
	}
	if hub.Dropped() != 1 {
		t.Errorf("Dropped() = %d, want 1", hub.Dropped())
	}
}

// TestHubListenerRestart kills the hub's LISTEN connection in the middle of
// a stream. With the slow poll set to an hour, only the doorbell and the
// reading every feed does on reconnecting can deliver: every event still
// arrives, once.
func TestHubListenerRestart(t *testing.T) {
	db, url := openWithURL(t)
	store := newStore(t, db)
	hub := startHub(t, db, url, events.HubOptions{Poll: time.Hour})
	sub, err := hub.Subscribe(t.Context(), store, events.Filter{}, nil, events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(sub)
	first := listenerPID(t, db, 0)
	appendIn(t, db, store, 1, 2)
	if tags := got.waitFor(2); !slices.Equal(tags, []int64{1, 2}) {
		t.Fatalf("before the restart received %v, want [1 2]", tags)
	}
	if err := db.Exec("SELECT pg_terminate_backend(?)", first).Error; err != nil {
		t.Fatal(err)
	}
	appendIn(t, db, store, 3) // likely rings while nobody listens
	listenerPID(t, db, first)
	appendIn(t, db, store, 4)
	if tags := got.waitFor(4); !slices.Equal(tags, []int64{1, 2, 3, 4}) {
		t.Fatalf("after the restart received %v, want [1 2 3 4]", tags)
	}
}

// listenerPID waits for the hub's listener on this database, other than
// the backend not, and returns its PID.
func listenerPID(t *testing.T, db *gorm.DB, not int64) int64 {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var pid int64
		err := db.Raw(`SELECT coalesce(max(pid), 0) FROM pg_stat_activity
			WHERE application_name = ? AND datname = current_database() AND pid <> ? AND query ILIKE 'LISTEN%'`,
			events.ListenerName, not).Scan(&pid).Error
		if err != nil {
			t.Fatal(err)
		}
		if pid != 0 {
			return pid
		}
	}
	t.Fatalf("no listener connection (other than %d) within 10s", not)
	return 0
}

// TestFilterMatchAgreesWithRead: the feed filters in Go what Read filters
// in SQL; both must pick the same events.
func TestFilterMatchAgreesWithRead(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	store := newStore(t, db)
	var evs []models.StockEvent
	types := models.StockEventTypes
	for i := range 24 {
		e := event(int64(i + 1))
		e.VariantID, e.ProductID, e.LocationID, e.Type = int64(i%4+1), int64(i%3+1), int64(i%2+1), types[i%len(types)]
		evs = append(evs, e)
	}
	if err := events.Append(context.Background(), db, store, evs); err != nil {
		t.Fatal(err)
	}
	all := allEvents(t, db, store, len(evs))
	filters := []events.Filter{
		{}, {VariantIDs: []int64{1, 3}}, {ProductIDs: []int64{2}}, {LocationIDs: []int64{2}},
		{Types: []models.StockEventType{models.EventLowStock, models.EventBackorderLimitReached}},
		{VariantIDs: []int64{2}, LocationIDs: []int64{2}}, {VariantIDs: []int64{}},
	}
	for _, f := range filters {
		read, _, err := events.Read(context.Background(), db, store, f, events.Position{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var matched []int64
		for _, e := range all {
			if f.Match(e) {
				matched = append(matched, e.ItemID)
			}
		}
		var viaSQL []int64
		for _, e := range read {
			viaSQL = append(viaSQL, e.ItemID)
		}
		if !slices.Equal(matched, viaSQL) {
			t.Errorf("Match(%+v) = %v, Read = %v", f, matched, viaSQL)
		}
	}
}

// TestHubDoorbellRingsOthers checks the hub shares its listener: its
// Doorbell rings on connecting and on each notification, also for a
// store no subscriber follows (the webhook worker reads every store).
func TestHubDoorbellRingsOthers(t *testing.T) {
	db, url := openWithURL(t)
	store := newStore(t, db)
	var rings atomic.Int64
	startHub(t, db, url, events.HubOptions{Poll: time.Hour, Doorbell: func() { rings.Add(1) }})
	listenerPID(t, db, 0)
	waitRings := func(want int64) int64 {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if n := rings.Load(); n >= want {
				return n
			}
		}
		t.Fatalf("doorbell rang %d times, want at least %d", rings.Load(), want)
		return 0
	}
	n := waitRings(1) // on connecting
	appendIn(t, db, store, 1)
	waitRings(n + 1)
}

// TestJoinAfterTheFeedMovedOn forces the window join's step 2 is for: a
// subscriber has caught up by itself, and before it joins, the feed reads
// and fans out new events (to a subscriber already live). Those events
// must still reach the joiner, once each: without the final catch-up
// under the feed's lock it would miss them.
func TestJoinAfterTheFeedMovedOn(t *testing.T) {
	db, url := openWithURL(t)
	store := newStore(t, db)
	hub := startHub(t, db, url, events.HubOptions{Poll: 10 * time.Millisecond})
	first, err := hub.Subscribe(t.Context(), store, events.Filter{}, nil, events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	live := collect(first)
	waitLive(t, hub, store, 1)
	appendIn(t, db, store, 1)
	if got := live.waitFor(1); !slices.Equal(got, []int64{1}) {
		t.Fatalf("first subscriber received %v, want [1]", got)
	}
	var once sync.Once
	events.SetCaughtUpHook(func() {
		once.Do(func() {
			// The joiner has read up to here; the feed now moves on.
			appendIn(t, db, store, 2, 3)
			live.waitFor(3)
		})
	})
	t.Cleanup(func() { events.SetCaughtUpHook(nil) })
	start := events.Position{}
	second, err := hub.Subscribe(t.Context(), store, events.Filter{}, &start, events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	joiner := collect(second)
	waitLive(t, hub, store, 2)
	appendIn(t, db, store, 4)
	if got := joiner.waitFor(4); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("the joiner received %v, want [1 2 3 4]: each event once, none missed while it joined", got)
	}
}

// waitLive waits until the store's feed has n live subscribers.
func waitLive(t *testing.T, hub *events.Hub, store int64, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); hub.Live(store) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d live subscribers after 10s, want %d", hub.Live(store), n)
		}
	}
}
