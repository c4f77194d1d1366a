package changes_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/changes"
	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

func newStore(t *testing.T, db *database.DB, handle string) int64 {
	t.Helper()
	var id int64
	if err := db.Raw(`INSERT INTO stores (handle, name) VALUES (?, ?) RETURNING id`, handle, handle).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func mustRead(t *testing.T, db *gorm.DB, storeID int64) changes.Position {
	t.Helper()
	p, err := changes.Read(context.Background(), db, storeID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func addProduct(tx *gorm.DB, storeID int64, name string) error {
	return tx.Exec(`INSERT INTO products (store_id, name) VALUES (?, ?)`, storeID, name).Error
}

// TestPositionMoves: a committed change moves its store's position and not
// the top of another store's; a rolled back one moves no top; a change that commits
// late, below a newer committed one, still moves it (pending).
func TestPositionMoves(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	a, b := newStore(t, db, "a"), newStore(t, db, "b")
	p0, other0 := mustRead(t, db.DB, a), mustRead(t, db.DB, b)
	if err := addProduct(db.DB, a, "one"); err != nil {
		t.Fatal(err)
	}
	p1 := mustRead(t, db.DB, a)
	if p1 == p0 {
		t.Errorf("Read after a committed insert = %q, the same as before", p1)
	}
	// Only top is compared: pending lists every transaction of the
	// cluster still running below top, other tests' too.
	if other := mustRead(t, db.DB, b); other.Top() != other0.Top() {
		t.Errorf("Read(other store) after a change to store a = %q, want top %s unchanged", other, other0.Top())
	}
	_ = database.Tx(ctx, db.DB, func(tx *gorm.DB) error {
		_ = addProduct(tx, a, "rolled back")
		return fmt.Errorf("roll back")
	})
	if p := mustRead(t, db.DB, a); p.Top() != p1.Top() {
		t.Errorf("Read after a rolled back insert = %q, want top %s unchanged", p, p1.Top())
	}
	// The late one: it takes its xid first, the other commits first.
	late := db.Begin()
	defer late.Rollback()
	if err := addProduct(late, a, "late"); err != nil {
		t.Fatal(err)
	}
	if err := addProduct(db.DB, a, "early"); err != nil {
		t.Fatal(err)
	}
	p2 := mustRead(t, db.DB, a)
	if err := late.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if p3 := mustRead(t, db.DB, a); p3 == p2 || p3.Top() != p2.Top() {
		t.Errorf("Read after the late commit = %q, want the same top as %q and another position", p3, p2)
	}
}

// TestPruneKeepsPositions: pruning keeps every store's position and leaves
// one row per store once its writers are done.
func TestPruneKeepsPositions(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	stores := []int64{newStore(t, db, "a"), newStore(t, db, "b")}
	for i := range 50 {
		for _, s := range stores {
			if err := addProduct(db.DB, s, fmt.Sprint("p", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	settle(t, db.DB, stores)
	before := map[int64]changes.Position{}
	for _, s := range stores {
		before[s] = mustRead(t, db.DB, s)
	}
	n, err := changes.Prune(ctx, db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("Prune deleted %d rows, want the 100 older than each store's newest at least", n)
	}
	for _, s := range stores {
		if p := mustRead(t, db.DB, s); p != before[s] {
			t.Errorf("Read(store %d) after Prune = %q, want %q", s, p, before[s])
		}
	}
	var rows int64
	db.Raw(`SELECT count(*) FROM store_changes WHERE store_id IN ?`, stores).Scan(&rows)
	if rows != int64(len(stores)) {
		t.Errorf("store_changes rows after Prune = %d, want %d (one per store)", rows, len(stores))
	}
}

// settle waits until every transaction of the cluster that began before
// the stores' last change has ended (other tests' too), so that Prune may
// take everything below it.
func settle(t *testing.T, db *gorm.DB, stores []int64) {
	t.Helper()
	for range 600 {
		var settled bool
		err := db.Raw(`SELECT pg_snapshot_xmin(pg_current_snapshot()) > max(xid) FROM store_changes WHERE store_id IN ?`, stores).
			Scan(&settled).Error
		if err != nil {
			t.Fatal(err)
		}
		if settled {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the stores' last changes did not settle within a minute: a transaction of the cluster stays open")
}

// TestEqualPositionsEqualData is the package's promise as a property:
// writers change two stores, holding their transactions open for random
// times so that they commit in another order than they began, and some
// roll back; a pruner runs alongside; readers read, each in ONE
// repeatable-read snapshot, the position and a digest of the store's
// data. Whenever two readings have equal positions, their digests must be
// equal.
func TestEqualPositionsEqualData(t *testing.T) {
	db := testdb.MustOpenDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, other := newStore(t, db, "watched"), newStore(t, db, "other")
	var writers, readers sync.WaitGroup
	for w := range 6 {
		writers.Go(func() { write(ctx, t, db.DB, []int64{store, other}[w%2], w, 40) })
	}
	done := make(chan struct{})
	readers.Go(func() { prune(ctx, t, db.DB, done) })
	var mu sync.Mutex
	seen := map[changes.Position]string{}
	readings, distinct := 0, 0
	for range 3 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				p, digest := reading(ctx, t, db.DB, store)
				mu.Lock()
				readings++
				if d, ok := seen[p]; !ok {
					seen[p], distinct = digest, distinct+1
				} else if d != digest {
					t.Errorf("position %q read with data %s and with %s", p, d, digest)
				}
				mu.Unlock()
			}
		})
	}
	writers.Wait()
	close(done)
	readers.Wait()
	t.Logf("%d readings, %d distinct positions", readings, distinct)
	if distinct < 10 {
		t.Errorf("distinct positions read = %d, want 10 at least: did the writers and readers overlap?", distinct)
	}
}

// write runs n transactions on the store: each inserts or updates a
// product, sleeps up to 20 ms holding its transaction open, and commits,
// or rolls back one time in five.
func write(ctx context.Context, t *testing.T, db *gorm.DB, storeID int64, w, n int) {
	for i := range n {
		tx := db.WithContext(ctx).Begin()
		var err error
		if i%3 == 0 {
			err = addProduct(tx, storeID, fmt.Sprintf("w%d-%d", w, i))
		} else {
			err = tx.Exec(`UPDATE products SET description = ? WHERE store_id = ? AND id = (
				SELECT min(id) FROM products WHERE store_id = ? AND name LIKE ?)`, fmt.Sprint(i), storeID, storeID, fmt.Sprintf("w%d-%%", w)).Error
		}
		if err != nil {
			tx.Rollback()
			t.Error(err)
			return
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		if rand.IntN(5) == 0 {
			tx.Rollback()
		} else if err := tx.Commit().Error; err != nil {
			t.Error(err)
			return
		}
	}
}

// prune prunes every few milliseconds until done.
func prune(ctx context.Context, t *testing.T, db *gorm.DB, done chan struct{}) {
	for {
		if _, err := changes.Prune(ctx, db); err != nil {
			t.Error(err)
			return
		}
		select {
		case <-done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// reading reads the store's position and a digest of its products in one
// repeatable-read snapshot.
func reading(ctx context.Context, t *testing.T, db *gorm.DB, storeID int64) (changes.Position, string) {
	var p changes.Position
	var digest string
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if p, err = changes.Read(ctx, tx, storeID); err != nil {
			return err
		}
		return tx.Raw(`SELECT md5(coalesce(string_agg(id || '/' || name || '/' || description, ',' ORDER BY id), ''))
			FROM products WHERE store_id = ?`, storeID).Scan(&digest).Error
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		t.Error(err)
	}
	return p, digest
}

// TestRunPruner: the server's loop prunes by itself and stops with its
// context.
func TestRunPruner(t *testing.T) {
	db := testdb.MustOpenDB(t)
	store := newStore(t, db, "pruned")
	for i := range 20 {
		if err := addProduct(db.DB, store, fmt.Sprint("p", i)); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, db.DB, []int64{store})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { changes.RunPruner(ctx, db.DB, 10*time.Millisecond, slog.New(slog.DiscardHandler)); close(done) }()
	var rows int64
	for range 600 {
		db.Raw(`SELECT count(*) FROM store_changes WHERE store_id = ?`, store).Scan(&rows)
		if rows == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if rows != 1 {
		t.Errorf("store_changes rows with the pruner running = %d, want 1", rows)
	}
}
