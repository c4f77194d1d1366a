package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/idempotency"
	"stockgraph/internal/testsupport/testdb"
)

type request struct {
	SKU      string
	Quantity int
}

type result struct {
	Count int
	Note  string
}

// newStores returns a database with two stores.
func newStores(t *testing.T) (*gorm.DB, int64, int64) {
	t.Helper()
	db := testdb.MustOpenDB(t)
	var ids [2]int64
	for i, handle := range []string{"first", "second"} {
		s, _, err := catalog.EnsureStore(db.DB, handle)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = s.ID
	}
	return db.DB, ids[0], ids[1]
}

// runner counts how often its function ran and returns the count.
type runner struct{ calls atomic.Int64 }

func (r *runner) fn() (result, error) {
	n := r.calls.Add(1)
	return result{Count: int(n), Note: "ran"}, nil
}

func run(ctx context.Context, db *gorm.DB, store int64, key, op string, req request, fn func() (result, error)) (res result, replayed bool, err error) {
	err = database.RetryTx(ctx, db, 5, func(tx *gorm.DB) error {
		var err error
		res, replayed, err = idempotency.Run(ctx, tx, store, key, op, req, fn)
		return err
	})
	return res, replayed, err
}

func TestRunStoresAndReplays(t *testing.T) {
	db, store, other := newStores(t)
	ctx := context.Background()
	var r runner
	req := request{SKU: "A", Quantity: 2}

	res, replayed, err := run(ctx, db, store, "k", "op", req, r.fn)
	if err != nil || replayed || res.Count != 1 {
		t.Fatalf("Run(k) = %+v, %v, %v, want count 1, fresh", res, replayed, err)
	}
	res, replayed, err = run(ctx, db, store, "k", "op", req, r.fn)
	if err != nil || !replayed || res != (result{Count: 1, Note: "ran"}) || r.calls.Load() != 1 {
		t.Errorf("Run(k again) = %+v, %v, %v with %d calls, want the stored count 1, replayed, 1 call", res, replayed, err, r.calls.Load())
	}
	_, _, err = run(ctx, db, store, "k", "op", request{SKU: "A", Quantity: 3}, r.fn)
	if apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
		t.Errorf("Run(k, other request) error = %v, want IDEMPOTENCY_KEY_REUSED", err)
	}
	_, _, err = run(ctx, db, store, "k", "other op", req, r.fn)
	if apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
		t.Errorf("Run(k, other operation) error = %v, want IDEMPOTENCY_KEY_REUSED", err)
	}
	// Keys belong to a store.
	res, replayed, err = run(ctx, db, other, "k", "op", req, r.fn)
	if err != nil || replayed || res.Count != 2 {
		t.Errorf("Run(k in another store) = %+v, %v, %v, want a fresh run", res, replayed, err)
	}
	// No key: runs every time.
	for range 2 {
		if _, replayed, err := run(ctx, db, store, "", "op", req, r.fn); err != nil || replayed {
			t.Errorf("Run(no key) = replayed %v, %v, want a fresh run", replayed, err)
		}
	}
	if got := r.calls.Load(); got != 4 {
		t.Errorf("calls = %d, want 4", got)
	}
	// Too long a key is refused before anything runs.
	_, _, err = run(ctx, db, store, strings.Repeat("x", idempotency.MaxKeyLength+1), "op", req, r.fn)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "idempotencyKey" {
		t.Errorf("Run(256-character key) error = %v, want BAD_USER_INPUT on idempotencyKey", err)
	}
	if _, _, err := run(ctx, db, store, strings.Repeat("x", idempotency.MaxKeyLength), "op", req, r.fn); err != nil {
		t.Errorf("Run(255-character key) error = %v, want success", err)
	}
	if got := r.calls.Load(); got != 5 {
		t.Errorf("calls = %d, want 5", got)
	}
}

func TestRunDoesNotStoreFailures(t *testing.T) {
	db, store, _ := newStores(t)
	ctx := context.Background()
	boom := apperr.New(apperr.NegativeStock, "not enough")
	_, _, err := run(ctx, db, store, "k", "op", request{}, func() (result, error) { return result{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run(failing) error = %v, want %v", err, boom)
	}
	var r runner
	if res, replayed, err := run(ctx, db, store, "k", "op", request{}, r.fn); err != nil || replayed || res.Count != 1 {
		t.Errorf("Run(k after a failure) = %+v, %v, %v, want a fresh run", res, replayed, err)
	}
	// A transaction rolled back after Run stores nothing either.
	rollback := errors.New("rollback")
	err = database.Tx(ctx, db, func(tx *gorm.DB) error {
		if _, _, err := idempotency.Run(ctx, tx, store, "k2", "op", request{}, r.fn); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("Tx error = %v, want rollback", err)
	}
	if _, replayed, err := run(ctx, db, store, "k2", "op", request{}, r.fn); err != nil || replayed {
		t.Errorf("Run(k2 after a rollback) = replayed %v, %v, want a fresh run", replayed, err)
	}
}

// TestRunConcurrentSameKey: the second of two transactions with one key
// waits for the first, finds its key taken and asks for a retry; on the
// retry it gets the first's result.
func TestRunConcurrentSameKey(t *testing.T) {
	db, store, _ := newStores(t)
	ctx := context.Background()
	var r runner
	req := request{SKU: "A", Quantity: 1}

	first := db.Begin()
	defer first.Rollback()
	if _, _, err := idempotency.Run(ctx, first, store, "k", "op", req, r.fn); err != nil {
		t.Fatalf("Run(first) error = %v", err)
	}
	type outcome struct {
		res      result
		replayed bool
		err      error
		attempts int
	}
	done := make(chan outcome)
	go func() {
		var o outcome
		o.err = database.RetryTx(ctx, db, 5, func(tx *gorm.DB) error {
			o.attempts++
			var err error
			o.res, o.replayed, err = idempotency.Run(ctx, tx, store, "k", "op", req, r.fn)
			if o.attempts == 1 && !errors.Is(err, database.ErrRetry) {
				t.Errorf("Run(second, while the first is open) error = %v, want ErrRetry", err)
			}
			return err
		})
		done <- o
	}()
	// Let the second reach the first's uncommitted key, then commit.
	waitForLockWait(t, db)
	if err := first.Commit().Error; err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.err != nil || !o.replayed || o.res.Count != 1 || o.attempts != 2 {
		t.Errorf("Run(second) = %+v, replayed %v, %v after %d attempts, want the first's count 1, replayed, after 2", o.res, o.replayed, o.err, o.attempts)
	}
}

func waitForLockWait(t *testing.T, db *gorm.DB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no backend waits for a lock after 10 s")
		}
	}
}
