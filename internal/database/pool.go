package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrPoolExhausted is the error of a statement or transaction that found
// no free connection within Options.AcquireTimeout: every connection was
// busy with other work (or a new one could not be opened in time). It
// does not wrap context.DeadlineExceeded, so that it is not taken for
// the caller's own deadline: the API answers it UNAVAILABLE, not TIMEOUT.
var ErrPoolExhausted = errors.New("no database connection came free in time")

// acquirer is database/sql's connector: each database/sql connection is
// one pgxpool connection acquired for one statement or transaction, and
// released when database/sql closes it. It bounds the acquire by timeout.
type acquirer struct {
	driver.Connector
	pool     *pgxpool.Pool
	timeout  time.Duration
	timeouts atomic.Int64
}

// Connect acquires a connection within a.timeout (when set). ctx's own
// end, should it come first, gives ctx's error.
func (a *acquirer) Connect(ctx context.Context) (driver.Conn, error) {
	if a.timeout <= 0 {
		return a.Connector.Connect(ctx)
	}
	acquire, cancel := context.WithTimeoutCause(ctx, a.timeout, ErrPoolExhausted)
	defer cancel()
	conn, err := a.Connector.Connect(acquire)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(acquire), ErrPoolExhausted) {
		a.timeouts.Add(1)
		return nil, fmt.Errorf("%w: waited %s for one of the pool's %d connections", ErrPoolExhausted, a.timeout, a.pool.Config().MaxConns)
	}
	return conn, err
}

// PoolStat is a snapshot of the pool: its size, the connections taken
// and idle, and the acquires that had to wait for one.
func (db *DB) PoolStat() *pgxpool.Stat { return db.pool.Stat() }

// AcquireTimeouts returns how many statements and transactions have
// failed with ErrPoolExhausted so far.
func (db *DB) AcquireTimeouts() int64 { return db.acquirer.timeouts.Load() }
