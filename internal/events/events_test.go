package events_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/catalog"
	"stockgraph/internal/events"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

func newStore(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	s, _, err := catalog.EnsureStore(db, "events")
	if err != nil {
		t.Fatalf("EnsureStore: %v", err)
	}
	return s.ID
}

// event is a STOCK_CHANGED event whose item ID tags it for the test.
func event(tag int64) models.StockEvent {
	snap := models.StockSnapshot{Quantities: map[models.QuantityState]int{models.StateOnHand: int(tag)}, Availability: "IN_STOCK"}
	return models.StockEvent{Type: models.EventStockChanged, ItemID: tag, VariantID: 1, ProductID: 1, LocationID: 1,
		OperationID: uuid.NewString(), Before: snap, After: snap}
}

func appendIn(t *testing.T, tx *gorm.DB, store int64, tags ...int64) {
	t.Helper()
	var evs []models.StockEvent
	for _, tag := range tags {
		evs = append(evs, event(tag))
	}
	if err := events.Append(context.Background(), tx, store, evs); err != nil {
		t.Fatalf("Append(%v): %v", tags, err)
	}
}

// reader follows a store's events the way subscriptions do: from its
// position, resuming from the last event or the horizon.
type reader struct {
	db    *gorm.DB
	store int64
	at    events.Position
}

func (r *reader) next(t *testing.T) []int64 {
	t.Helper()
	var tags []int64
	for {
		evs, horizon, err := events.Read(context.Background(), r.db, r.store, events.Filter{}, r.at, 100)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		for _, e := range evs {
			tags = append(tags, e.ItemID)
			r.at = events.Of(e)
		}
		if len(evs) < 100 {
			if r.at.Less(horizon) {
				r.at = horizon
			}
			return tags
		}
	}
}

// until reads until it has read n events or 10 seconds pass: transactions
// of other tests on the same server hold the horizon back for a moment.
func (r *reader) until(t *testing.T, n int) []int64 {
	t.Helper()
	var tags []int64
	for deadline := time.Now().Add(10 * time.Second); len(tags) < n && time.Now().Before(deadline); {
		tags = append(tags, r.next(t)...)
		if len(tags) < n {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return tags
}

// TestLateCommitIsNotSkipped commits transactions out of order: the one
// that took its xid and its event ID first commits last. A reader that
// resumed from `id > cursor` would skip its event; this one must not, and
// must see each event once.
func TestLateCommitIsNotSkipped(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	store := newStore(t, db)
	r := &reader{db: db, store: store}

	early := db.Begin()
	defer early.Rollback()
	appendIn(t, early, store, 1) // the lower xid and the lower event ID
	late := db.Begin()
	appendIn(t, late, store, 2)
	if err := late.Commit().Error; err != nil {
		t.Fatal(err)
	}
	// Event 2 is committed but its xid is above the running early
	// transaction's: not final yet, so not passed.
	if got := r.next(t); len(got) != 0 {
		t.Fatalf("read while an older transaction runs = %v, want nothing yet", got)
	}
	appendIn(t, early, store, 3)
	if err := early.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if got, want := r.until(t, 3), []int64{1, 3, 2}; !slices.Equal(got, want) {
		t.Fatalf("read after both commits = %v, want %v (by xid, then ID)", got, want)
	}
	if got := r.next(t); len(got) != 0 {
		t.Fatalf("read again = %v, want nothing new", got)
	}
}

// TestRolledBackEventsNeverAppear checks a rolled-back transaction's events
// are not read, and do not hold the horizon back once it ends.
func TestRolledBackEventsNeverAppear(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	store := newStore(t, db)
	r := &reader{db: db, store: store}
	tx := db.Begin()
	appendIn(t, tx, store, 1)
	tx.Rollback()
	appendIn(t, db, store, 2)
	if got := r.until(t, 1); !slices.Equal(got, []int64{2}) {
		t.Fatalf("read = %v, want [2]", got)
	}
}

// TestConcurrentWritersReadOnceInOrder is a property test: writers commit
// events at random moments, with random pauses inside their transactions,
// while a reader follows; at the end the reader has read every committed
// event exactly once and no rolled-back one.
func TestConcurrentWritersReadOnceInOrder(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	store := newStore(t, db)
	const writers, perWriter = 6, 25
	var (
		mu        sync.Mutex
		committed []int64
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range perWriter {
				tag := int64(w*1000 + i + 1)
				tx := db.Begin()
				if err := events.Append(context.Background(), tx, store, []models.StockEvent{event(tag)}); err != nil {
					t.Errorf("Append: %v", err)
					tx.Rollback()
					return
				}
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				if rng.IntN(10) == 0 {
					tx.Rollback()
					continue
				}
				if err := tx.Commit().Error; err != nil {
					t.Errorf("Commit: %v", err)
					return
				}
				mu.Lock()
				committed = append(committed, tag)
				mu.Unlock()
			}
		}()
	}
	r := &reader{db: db, store: store}
	var read []int64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(2 * time.Millisecond):
		}
		read = append(read, r.next(t)...)
	}
	read = append(read, r.until(t, len(committed)-len(read))...)
	seen := map[int64]int{}
	for _, tag := range read {
		seen[tag]++
	}
	for tag, n := range seen {
		if n != 1 {
			t.Errorf("event %d read %d times, want once", tag, n)
		}
	}
	slices.Sort(committed)
	got := slices.Sorted(func(yield func(int64) bool) {
		for tag := range seen {
			if !yield(tag) {
				return
			}
		}
	})
	if !slices.Equal(got, committed) {
		t.Errorf("read %d events, committed %d; missing or extra: %v", len(got), len(committed), diff(got, committed))
	}
}

func diff(a, b []int64) string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, fmt.Sprintf("+%d", x))
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, fmt.Sprintf("-%d", x))
		}
	}
	return fmt.Sprint(out)
}

// TestFilterAndByIDs reads with each filter field and loads by ID.
func TestFilterAndByIDs(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	store := newStore(t, db)
	low := event(7)
	low.Type, low.VariantID, low.ProductID, low.LocationID = models.EventLowStock, 2, 3, 4
	low.MovementIDs = models.Int64Array{10, 11}
	if err := events.Append(context.Background(), db, store, []models.StockEvent{event(1), low}); err != nil {
		t.Fatal(err)
	}
	// Wait until both are final: other tests' transactions may hold the
	// horizon back.
	if got := (&reader{db: db, store: store}).until(t, 2); len(got) != 2 {
		t.Fatalf("events read = %v, want 2", got)
	}
	tests := []struct {
		name string
		f    events.Filter
		want []int64
	}{
		{"all", events.Filter{}, []int64{1, 7}},
		{"variant", events.Filter{VariantIDs: []int64{2}}, []int64{7}},
		{"product", events.Filter{ProductIDs: []int64{1}}, []int64{1}},
		{"location", events.Filter{LocationIDs: []int64{4, 9}}, []int64{7}},
		{"type", events.Filter{Types: []models.StockEventType{models.EventStockChanged}}, []int64{1}},
		{"nothing", events.Filter{VariantIDs: []int64{}}, nil},
	}
	for _, tt := range tests {
		evs, _, err := events.Read(context.Background(), db, store, tt.f, events.Position{}, 10)
		if err != nil {
			t.Fatalf("%s: Read: %v", tt.name, err)
		}
		var got []int64
		for _, e := range evs {
			got = append(got, e.ItemID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Read(%s) items = %v, want %v", tt.name, got, tt.want)
		}
	}
	evs, _, _ := events.Read(context.Background(), db, store, events.Filter{VariantIDs: []int64{2}}, events.Position{}, 10)
	byID, err := events.ByIDs(context.Background(), db, store, []int64{evs[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	got := byID[evs[0].ID]
	if got.Type != models.EventLowStock || !slices.Equal(got.MovementIDs, models.Int64Array{10, 11}) || got.After.Quantity(models.StateOnHand) != 7 || got.Xid == 0 {
		t.Errorf("ByIDs = %+v, want the LOW_STOCK event with movements [10 11], on hand 7 and an xid", got)
	}
}
