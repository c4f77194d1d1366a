package database_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// openPool opens a fresh database's pool of size conns with acquire as
// its acquire timeout.
func openPool(t *testing.T, conns int, acquire time.Duration) *database.DB {
	t.Helper()
	db, err := database.OpenWith(context.Background(), testdb.MustCreate(t), database.Options{MaxConns: conns, AcquireTimeout: acquire})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// holdAll takes every connection of db's pool in open transactions until
// the returned function ends them.
func holdAll(t *testing.T, db *database.DB, conns int) (release func()) {
	t.Helper()
	var held []*gorm.DB
	for range conns {
		tx := db.Begin()
		if tx.Error != nil {
			t.Fatal(tx.Error)
		}
		held = append(held, tx)
	}
	if got := db.PoolStat().AcquiredConns(); got != int32(conns) {
		t.Fatalf("PoolStat().AcquiredConns() = %d with %d transactions open, want %d", got, conns, conns)
	}
	return func() {
		for _, tx := range held {
			tx.Rollback()
		}
	}
}

// poolUses are the ways code reaches the pool: each must wait for a
// connection no longer than the acquire timeout.
var poolUses = []struct {
	name string
	run  func(ctx context.Context, db *gorm.DB) error
}{
	{"Exec", func(ctx context.Context, db *gorm.DB) error { return db.WithContext(ctx).Exec(`SELECT 1`).Error }},
	{"Scan", func(ctx context.Context, db *gorm.DB) error {
		var n int
		return db.WithContext(ctx).Raw(`SELECT 1`).Scan(&n).Error
	}},
	{"Row", func(ctx context.Context, db *gorm.DB) error {
		var n int
		return db.WithContext(ctx).Raw(`SELECT 1`).Row().Scan(&n)
	}},
	{"Rows", func(ctx context.Context, db *gorm.DB) error {
		rows, err := db.WithContext(ctx).Raw(`SELECT 1`).Rows()
		if err == nil {
			rows.Close()
		}
		return err
	}},
	{"Tx", func(ctx context.Context, db *gorm.DB) error {
		return database.Tx(ctx, db, func(tx *gorm.DB) error { return tx.Exec(`SELECT 1`).Error })
	}},
}

// TestPoolExhausted: with every connection held, each way of reaching
// the pool fails with ErrPoolExhausted once the acquire timeout has
// passed, not at the caller's far deadline, and however many wait at
// once (database/sql queues none of them in front of pgxpool); a caller
// whose own deadline comes first gets context.DeadlineExceeded. Once a
// connection is free, everything works again.
func TestPoolExhausted(t *testing.T) {
	const conns, acquire = 2, 200 * time.Millisecond
	db := openPool(t, conns, acquire)
	release := holdAll(t, db, conns)
	defer release()
	// The far deadline only keeps a broken pool from hanging the test.
	far, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, use := range poolUses {
		before := db.AcquireTimeouts()
		var wg sync.WaitGroup
		errs := make([]error, 5)
		start := time.Now()
		for i := range errs {
			wg.Go(func() { errs[i] = use.run(far, db.DB) })
		}
		wg.Wait()
		took := time.Since(start)
		for i, err := range errs {
			if !errors.Is(err, database.ErrPoolExhausted) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s (waiter %d) with the pool exhausted = %v after %v, want ErrPoolExhausted (not DeadlineExceeded)", use.name, i, err, took)
			}
		}
		if took < acquire {
			t.Errorf("%s failed after %v, want it to wait the acquire timeout (%v) first", use.name, took, acquire)
		}
		if got := db.AcquireTimeouts() - before; got != int64(len(errs)) {
			t.Errorf("%s: AcquireTimeouts() grew by %d, want %d", use.name, got, len(errs))
		}
		short, cancelShort := context.WithTimeout(t.Context(), acquire/4)
		err := use.run(short, db.DB)
		cancelShort()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, database.ErrPoolExhausted) {
			t.Errorf("%s with a deadline before the acquire timeout = %v, want context.DeadlineExceeded", use.name, err)
		}
	}
	release()
	for _, use := range poolUses {
		if err := use.run(far, db.DB); err != nil {
			t.Errorf("%s once connections are free = %v, want success", use.name, err)
		}
	}
	if got := db.PoolStat().AcquiredConns(); got != 0 {
		t.Errorf("PoolStat().AcquiredConns() = %d after all work ended, want 0", got)
	}
}
