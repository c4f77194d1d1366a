package bulk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/wake"
)

// Config sets a worker's times; tests shrink them.
type Config struct {
	// Poll is how often the worker looks for work when not kicked (Kick
	// only reaches this process's workers; other replicas' operations are
	// found within Poll).
	Poll time.Duration
	// Lease is how long a claim holds without being renewed: how long an
	// operation whose worker died waits before another resumes it.
	Lease time.Duration
	// BatchSize is an import's rows per transaction (transfer's default when 0).
	BatchSize int
	Logger    *slog.Logger
	// AfterBatch, when set, hears each import batch that committed.
	AfterBatch func(op Operation, done int64)
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{Poll: time.Second, Lease: 30 * time.Second}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Poll <= 0 {
		c.Poll = d.Poll
	}
	if c.Lease <= 0 {
		c.Lease = d.Lease
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Worker runs bulk operations. Any number of workers, in one process or
// several, may run on one database; each runs one operation at a time.
type Worker struct {
	db  *gorm.DB
	cfg Config
}

// NewWorker returns a worker; Run starts it.
func NewWorker(db *gorm.DB, cfg Config) *Worker {
	return &Worker{db: db, cfg: cfg.withDefaults()}
}

// Run claims and runs operations until ctx ends, and deletes expired
// operations' files meanwhile.
func (w *Worker) Run(ctx context.Context) {
	timer := time.NewTimer(w.cfg.Poll)
	defer timer.Stop()
	var pruned time.Time
	for ctx.Err() == nil {
		kicked := kicks.Wait()
		busy, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.ErrorContext(ctx, "bulk operations", "err", err)
		}
		if busy {
			continue
		}
		if time.Since(pruned) > time.Minute {
			pruned = time.Now()
			if err := Prune(ctx, w.db); err != nil && ctx.Err() == nil {
				w.cfg.Logger.ErrorContext(ctx, "bulk operations: prune", "err", err)
			}
		}
		timer.Reset(w.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-kicked:
		case <-timer.C:
		}
	}
}

// claimSQL leases the oldest operation that is waiting, or whose worker's
// lease ran out, for a new attempt.
const claimSQL = `
WITH next AS (
  SELECT store_id, id FROM bulk_operations
  WHERE status = 'CREATED' OR (status = 'RUNNING' AND lease_expires_at < now())
  ORDER BY created_at, id
  LIMIT 1
  FOR UPDATE SKIP LOCKED
)
UPDATE bulk_operations o
SET status = 'RUNNING', lease_owner = ?, lease_expires_at = now() + ? * interval '1 millisecond',
    started_at = coalesce(o.started_at, now()), attempts = o.attempts + 1
FROM next
WHERE o.store_id = next.store_id AND o.id = next.id
RETURNING o.*`

// RunOnce claims one operation and runs it; busy says it found one.
func (w *Worker) RunOnce(ctx context.Context) (busy bool, err error) {
	var ops []Operation
	if err := w.db.WithContext(ctx).Raw(claimSQL, newOwner(), w.cfg.Lease.Milliseconds()).Scan(&ops).Error; err != nil {
		return false, fmt.Errorf("claim a bulk operation: %w", err)
	}
	if len(ops) == 0 {
		return false, nil
	}
	return true, w.run(ctx, ops[0])
}

func newOwner() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errLost: the operation was canceled, or its lease taken by another
// attempt; this attempt stops without writing.
var errLost = errors.New("the bulk operation was canceled or its lease was lost")

// run runs one attempt, renewing the lease while it runs.
func (w *Worker) run(ctx context.Context, op Operation) error {
	if op.Attempts > MaxAttempts {
		return w.finish(ctx, op, Failed, CodeInterrupted,
			fmt.Sprintf("the operation was interrupted %d times; start it again", op.Attempts-1))
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopRenewing := w.renew(ctx, op, cancel)
	var err error
	if op.Kind == Export {
		err = w.export(ctx, op)
	} else {
		err = w.importFile(ctx, op)
	}
	stopRenewing()
	switch cause := context.Cause(ctx); {
	case err == nil:
		return nil
	case errors.Is(cause, errLost), errors.Is(err, errLost):
		return nil
	case ctx.Err() != nil:
		return nil // shutting down: the lease runs out and another worker resumes
	}
	return w.fail(ctx, op, err)
}

// renew extends the lease every third of it until stop; when the
// operation is no longer this attempt's, it cancels the work.
func (w *Worker) renew(ctx context.Context, op Operation, cancel context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(w.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			res := w.db.WithContext(ctx).Exec(`UPDATE bulk_operations SET lease_expires_at = now() + ? * interval '1 millisecond'
				WHERE store_id = ? AND id = ? AND lease_owner = ? AND status = 'RUNNING'`, w.cfg.Lease.Milliseconds(), op.StoreID, op.ID, op.LeaseOwner)
			if res.Error == nil && res.RowsAffected == 0 {
				cancel(errLost)
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// finish ends the attempt's operation with a final status.
func (w *Worker) finish(ctx context.Context, op Operation, status Status, code, message string) error {
	err := w.db.WithContext(ctx).Exec(`UPDATE bulk_operations
		SET status = ?, error_code = ?, error_message = ?, finished_at = now(), expires_at = now() + ? * interval '1 second',
		    total = CASE WHEN ? THEN done ELSE total END, lease_owner = '', lease_expires_at = NULL
		WHERE store_id = ? AND id = ? AND lease_owner = ? AND status = 'RUNNING'`,
		status, code, message, Retention.Seconds(), status == Completed, op.StoreID, op.ID, op.LeaseOwner).Error
	if err != nil {
		return fmt.Errorf("finish bulk operation %d: %w", op.ID, err)
	}
	changed.Ring()
	return nil
}

// fail ends an attempt that the database or the file store stopped: the
// operation waits for its next attempt (a few seconds more each time),
// which resumes it, until MaxAttempts.
func (w *Worker) fail(ctx context.Context, op Operation, cause error) error {
	backoff := time.Duration(op.Attempts) * 5 * time.Second
	err := w.db.WithContext(ctx).Exec(`UPDATE bulk_operations SET lease_expires_at = now() + ? * interval '1 millisecond'
		WHERE store_id = ? AND id = ? AND lease_owner = ? AND status = 'RUNNING'`, backoff.Milliseconds(), op.StoreID, op.ID, op.LeaseOwner).Error
	if err != nil {
		return errors.Join(cause, err)
	}
	return fmt.Errorf("bulk operation %d, attempt %d (retried in %s): %w", op.ID, op.Attempts, backoff, cause)
}

// Prune deletes the files of operations past their expiry.
func Prune(ctx context.Context, db *gorm.DB) error {
	err := db.WithContext(ctx).Exec(`DELETE FROM bulk_operation_files f USING bulk_operations o
		WHERE o.id = f.operation_id AND o.expires_at < now()`).Error
	if err != nil {
		return fmt.Errorf("delete expired bulk operation files: %w", err)
	}
	return nil
}

var (
	// kicks wakes this process's workers when an operation is created.
	kicks = wake.New()
	// changed wakes this process's watchers when an operation moved on.
	changed = wake.New()
)

// Kick wakes this process's workers: an operation was created.
func Kick() { kicks.Ring() }
