// Package changes owns the store's change position: a value that moves
// whenever a transaction that changed any of the store's data commits, and
// only then, so that a reader holding two equal positions knows the store's
// data did not change in between (conditional reads answer 304 on it).
//
// Every transaction that writes a store's tables leaves one row (store_id,
// its xid) in store_changes, from statement triggers (migration 00010).
// A sequence or a max(id) would not do: IDs are handed out in one order
// and committed in another, so a reader comparing them misses a row that
// commits late. Position reads, in ONE statement and so in one snapshot S:
//
//	top(S)     = the greatest xid among the store's store_changes rows S sees
//	pending(S) = the transactions S counts as running (pg_snapshot_xip) below top(S)
//
// Why equal positions mean equal data. Let S1 be taken before S2. What
// S1 sees, S2 sees too. Let T be a change S2 sees and S1 does not. Either
// T started after S1 was taken (T ≥ xmax(S1) > top(S1), as top(S1) is
// a transaction S1 sees), or T was running when S1 was taken (T in
// xip(S1)). When T > top(S1), top(S2) ≥ T > top(S1): top moved. When T <
// top(S1), T is in pending(S1) and not in pending(S2), since S2 sees T
// committed: pending changed. So equal positions see the same changes,
// and with them the same data. A change that rolls back takes its row
// with it, and moves nothing.
//
// The API reads the position before it runs the query, so a response may
// hold changes newer than its position says (the next request runs the
// query again), never fewer.
//
// Read it on the primary, as everything here is: a hot standby's
// snapshots keep the running transactions elsewhere than pg_snapshot_xip
// shows, and pending would miss them there.
//
// Prune keeps the table small without moving any position.
package changes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Position is a store's change position, as text: top, then ":" and the
// pending transactions when there are some ("1234" or "1234:1200,1201").
// Positions of one store are equal exactly when the data is; "0" is a
// store that has not changed since migration 00010.
type Position string

// Read returns the store's change position, in one statement on db
// (a transaction's or the pool's).
func Read(ctx context.Context, db *gorm.DB, storeID int64) (Position, error) {
	var row struct {
		Top     string
		Pending string
	}
	// The index (store_id, xid) finds top in one probe; pg_current_snapshot
	// is the statement's own snapshot, the one its scan sees rows by.
	err := db.WithContext(ctx).Raw(`
		SELECT coalesce(t.top::text, '0') AS top,
		       coalesce((SELECT string_agg(x::text, ',' ORDER BY x) FROM pg_snapshot_xip(pg_current_snapshot()) x
		                 WHERE x < t.top), '') AS pending
		FROM (SELECT max(xid) AS top FROM store_changes WHERE store_id = ?) t`, storeID).Scan(&row).Error
	if err != nil {
		return "", fmt.Errorf("read the store's change position: %w", err)
	}
	if row.Pending == "" {
		return Position(row.Top), nil
	}
	return Position(row.Top + ":" + row.Pending), nil
}

// Top is the position's greatest change (tests and logs).
func (p Position) Top() string {
	top, _, _ := strings.Cut(string(p), ":")
	return top
}

// Prune deletes, for every store, the rows below its newest settled row
// (one whose transaction is older than every transaction still running)
// and returns how many it deleted. No position moves: top is the newest
// row, which stays, and pending depends on the snapshot only. Readers with
// older snapshots still see the deleted rows (MVCC). What stays per store
// is its newest settled row and the rows of transactions since.
func Prune(ctx context.Context, db *gorm.DB) (int64, error) {
	res := db.WithContext(ctx).Exec(`
		DELETE FROM store_changes c
		USING (SELECT store_id, max(xid) AS keep FROM store_changes
		       WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) GROUP BY store_id) s
		WHERE c.store_id = s.store_id AND c.xid < s.keep`)
	if res.Error != nil {
		return 0, fmt.Errorf("prune store_changes: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// RunPruner prunes every interval until ctx ends, each run bounded by the
// interval; a failure is logged and the next run tries again. Several
// servers may run it on one database: each run deletes what is settled.
func RunPruner(ctx context.Context, db *gorm.DB, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		run, cancel := context.WithTimeout(ctx, interval)
		if _, err := Prune(run, db); err != nil && !errors.Is(ctx.Err(), context.Canceled) {
			logger.Error("prune store_changes", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Settle waits until the store's position lists no pending transaction,
// polling every 10 ms until ctx ends. From then on only a change to the
// store moves it: every transaction below its top has ended. A position
// read right after a change may still move as older transactions of the
// cluster, any database's, end; tests and benchmarks that compare
// positions (or ETags) settle first.
func Settle(ctx context.Context, db *gorm.DB, storeID int64) error {
	for {
		p, err := Read(ctx, db, storeID)
		if err != nil {
			return err
		}
		if !strings.Contains(string(p), ":") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the change position of store %d did not settle: %w", storeID, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
