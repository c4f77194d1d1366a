package inventory_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// deadlockCounter reads pg_stat_database.deadlocks of one database over
// its own connection. PostgreSQL counts a deadlock in the aborted
// backend's pending statistics and publishes them later, at the latest
// when the backend exits; so the workload runs on a pool of its own,
// closed before the count is read, and the count waits for its backends
// to be gone.
type deadlockCounter struct {
	t   *testing.T
	dsn string
	sql *sql.DB
}

func newDeadlockCounter(t *testing.T, dsn string) deadlockCounter {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return deadlockCounter{t: t, dsn: dsn, sql: db}
}

// count returns the deadlocks so far, once no other backend is connected
// to the database.
func (c deadlockCounter) count() int64 {
	c.t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var others int
		if err := c.sql.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&others); err != nil {
			c.t.Fatalf("count backends: %v", err)
		}
		if others == 0 {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d other backends still connected after 10 s", others)
		}
	}
	if _, err := c.sql.ExecContext(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
		c.t.Fatal(err)
	}
	var n int64
	if err := c.sql.QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		c.t.Fatalf("read deadlocks: %v", err)
	}
	return n
}

// deadlockFixture seeds a store of one product with three variants at two
// locations, each item with 1,000 on hand, and returns its URL. The
// fixture's pool is closed: the workload gets one of its own, and the
// checks another (checkPool) once the deadlocks are counted.
func deadlockFixture(t *testing.T) (fixture, string) {
	t.Helper()
	dsn := testdb.MustCreate(t)
	db := openPool(t, dsn)
	defer db.Close()
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: "locks", Products: 1, Variants: 3, Locations: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{db: db.DB, actor: inventory.Actor{Store: res.Store}}
	db.Raw(`SELECT id FROM variants ORDER BY id`).Scan(&f.variants)
	db.Raw(`SELECT id FROM locations WHERE type IN ('STORE', 'WAREHOUSE') ORDER BY id`).Scan(&f.physical)
	for _, l := range f.physical {
		f.setOnHand(t, l, map[int64]int{f.variants[0]: 1000, f.variants[1]: 1000, f.variants[2]: 1000})
	}
	return f, dsn
}

func openPool(t *testing.T, dsn string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", database.Redact(dsn), err)
	}
	return db
}

// checkPool opens a pool for the checks after the workload.
func checkPool(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	db := openPool(t, dsn)
	t.Cleanup(func() { _ = db.Close() })
	return db.DB
}

// runOpposed runs each of the requests 50 times, all at once, on a fresh
// pool, and reports every failure.
func runOpposed(t *testing.T, f fixture, dsn string, requests ...func(ctx context.Context, f fixture) error) {
	t.Helper()
	db := openPool(t, dsn)
	f.db = db.DB
	var wg sync.WaitGroup
	errs := make(chan error, 50*len(requests))
	start := make(chan struct{})
	for g, req := range requests {
		wg.Go(func() {
			<-start
			for i := range 50 {
				if err := req(context.Background(), f); err != nil {
					errs <- fmt.Errorf("request %d, round %d: %w", g, i, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("opposed request error = %v, want none", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpposedAdjustmentsDoNotDeadlock: requests that list the same items
// in opposite orders lock them in one order, so PostgreSQL never has to
// break a deadlock (which RetryTx would otherwise hide).
func TestOpposedAdjustmentsDoNotDeadlock(t *testing.T) {
	f, dsn := deadlockFixture(t)
	counter := newDeadlockCounter(t, dsn)
	before := counter.count()
	v, l := f.variants, f.physical[0]
	adjust := func(order []int64, q int) func(ctx context.Context, f fixture) error {
		return func(ctx context.Context, f fixture) error {
			a := inventory.Adjustment{Mode: inventory.Relative, Reason: "opposed"}
			for _, id := range order {
				a.Lines = append(a.Lines, inventory.AdjustLine{LocationID: l, Variant: ref(id), Quantity: ptr(q)})
			}
			_, err := inventory.Adjust(ctx, f.db, f.actor, a)
			return err
		}
	}
	runOpposed(t, f, dsn,
		adjust([]int64{v[0], v[1], v[2]}, 1),
		adjust([]int64{v[2], v[1], v[0]}, -1),
		adjust([]int64{v[1], v[2], v[0]}, 2),
	)
	if after := counter.count(); after != before {
		t.Errorf("pg_stat_database.deadlocks after opposed adjustments = %d, want %d (unchanged)", after, before)
	}
	f.db = checkPool(t, dsn)
	if got, want := f.item(t, v[0], l).OnHand, 1000+50*(1-1+2); got != want {
		t.Errorf("onHand of variant %d after opposed adjustments = %d, want %d", v[0], got, want)
	}
	f.mustBeConsistent(t)
}

// TestOpposedMovesDoNotDeadlock: moves A→B and B→A of the same variants,
// their lines in opposite orders, at the same time.
func TestOpposedMovesDoNotDeadlock(t *testing.T) {
	f, dsn := deadlockFixture(t)
	counter := newDeadlockCounter(t, dsn)
	before := counter.count()
	v, a, b := f.variants, f.physical[0], f.physical[1]
	move := func(from, to int64, order []int64) func(ctx context.Context, f fixture) error {
		return func(ctx context.Context, f fixture) error {
			m := inventory.Move{Reason: "opposed"}
			for _, id := range order {
				m.Lines = append(m.Lines, inventory.MoveLine{Variant: ref(id), FromLocationID: from, ToLocationID: to, Quantity: 1})
			}
			_, err := inventory.MoveStock(ctx, f.db, f.actor, m)
			return err
		}
	}
	runOpposed(t, f, dsn,
		move(a, b, []int64{v[0], v[1], v[2]}),
		move(b, a, []int64{v[2], v[1], v[0]}),
		move(a, b, []int64{v[1], v[0]}),
		move(b, a, []int64{v[0], v[1]}),
	)
	if after := counter.count(); after != before {
		t.Errorf("pg_stat_database.deadlocks after opposed moves = %d, want %d (unchanged)", after, before)
	}
	f.db = checkPool(t, dsn)
	for _, id := range v {
		if got := f.item(t, id, a).OnHand + f.item(t, id, b).OnHand; got != 2000 {
			t.Errorf("onHand of variant %d at both locations = %d, want 2000", id, got)
		}
	}
	f.mustBeConsistent(t)
}
