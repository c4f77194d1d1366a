// Package database opens the PostgreSQL connection pool that everything
// shares (pgxpool, with database/sql and GORM on top), bounds the wait for
// one of its connections, runs transactions, and counts the SQL statements
// a request issues (the API's batching is measured with it).
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB is the shared pool with its statement counter.
type DB struct {
	*gorm.DB
	pool       *pgxpool.Pool
	acquirer   *acquirer
	statements atomic.Int64
	// statementTime sums the statements' durations, in nanoseconds.
	statementTime atomic.Int64
}

// The server's limits (stockgraph serve; STOCKGRAPH_STATEMENT_TIMEOUT and
// STOCKGRAPH_LOCK_TIMEOUT). A statement or a lock wait beyond them fails
// (SQLSTATE 57014 or 55P03) and its transaction rolls back, so that one
// slow query or one held row cannot hold a connection, and with it the
// pool, for ever.
const (
	DefaultStatementTimeout = 10 * time.Second
	DefaultLockTimeout      = 5 * time.Second
)

// Options are the pool's limits; a zero value is no limit (PostgreSQL's
// own default), as migrations, imports and benchmarks want.
type Options struct {
	// StatementTimeout is PostgreSQL's statement_timeout on every connection.
	StatementTimeout time.Duration
	// LockTimeout is PostgreSQL's lock_timeout on every connection.
	LockTimeout time.Duration
	// MaxConns is the most connections the pool opens (DefaultMaxConns
	// when zero).
	MaxConns int
	// AcquireTimeout is how long any statement or transaction waits for
	// one of the pool's connections before it fails with ErrPoolExhausted.
	AcquireTimeout time.Duration
}

// DefaultMaxConns is the pool's size unless Options say otherwise.
const DefaultMaxConns = 40

// DefaultAcquireTimeout is the server's wait for a free connection
// (stockgraph serve; STOCKGRAPH_ACQUIRE_TIMEOUT).
const DefaultAcquireTimeout = 5 * time.Second

// Connections live at most an hour, so that a PostgreSQL fail-over or a
// rebalanced load balancer reaches every connection in time, and idle
// ones go after five minutes.
const (
	maxConnLifetime = time.Hour
	maxConnIdleTime = 5 * time.Minute
	// closeWait is how long Close waits for connections still in use.
	closeWait = 5 * time.Second
)

// Open connects to url with no limits (see OpenWith).
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenWith(ctx, dsn, Options{})
}

// OpenWith connects to url, checks the server answers within 10 seconds,
// and returns the pool, whose connections carry opts' timeouts. The error
// says what to fix when it does not.
func OpenWith(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("DATABASE_URL is empty: set it to postgres://user@host:port/dbname, or run `make run`, which starts a private PostgreSQL")
	}
	cfg, err := poolConfig(dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL %q is not a PostgreSQL URL: %w", Redact(dsn), err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	acq := &acquirer{Connector: stdlib.GetPoolConnector(pool), pool: pool, timeout: opts.AcquireTimeout}
	sqlDB := sql.OpenDB(acq)
	// pgxpool is the one pool: database/sql keeps no connection of its
	// own, idle or open, so every statement and transaction acquires
	// from pgxpool, under the acquire timeout, and hands the connection
	// back when done. With a limit of its own, database/sql would queue
	// callers in front, with no timeout but the caller's.
	sqlDB.SetMaxIdleConns(0)
	sqlDB.SetMaxOpenConns(0)
	db, err := openGorm(sqlDB)
	if err != nil {
		_ = sqlDB.Close()
		pool.Close()
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	db.pool, db.acquirer = pool, acq
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s (is it running? `make db-start` starts the private one): %w", Redact(dsn), err)
	}
	return db, nil
}

// poolConfig is the pool's configuration: dsn's, with opts' limits.
func poolConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	// Run-time parameters travel in the startup message: every connection
	// the pool opens has them, with no extra round trip.
	if opts.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(opts.StatementTimeout.Milliseconds())
	}
	if opts.LockTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = fmt.Sprint(opts.LockTimeout.Milliseconds())
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = DefaultMaxConns
	}
	cfg.MaxConns = int32(opts.MaxConns)
	cfg.MaxConnLifetime = maxConnLifetime
	// Connections opened together at start would all reconnect together
	// every hour; a tenth of jitter spreads them out.
	cfg.MaxConnLifetimeJitter = maxConnLifetime / 10
	cfg.MaxConnIdleTime = maxConnIdleTime
	return cfg, nil
}

// openGorm puts GORM on sqlDB, with the statement counter and the actor.
func openGorm(sqlDB *sql.DB) (*DB, error) {
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		// Single writes need no transaction of their own; the domain opens
		// one wherever several statements must hold together.
		SkipDefaultTransaction: true,
		Logger:                 logger.Default.LogMode(logger.Silent),
		// PostgreSQL keeps microseconds; so do the values GORM hands back.
		NowFunc: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		// OpenWith pings, with a message that says what to do.
		DisableAutomaticPing: true,
	})
	if err != nil {
		return nil, err
	}
	db := &DB{DB: gdb}
	if err := db.registerCounter(); err != nil {
		return nil, err
	}
	if err := db.registerActor(); err != nil {
		return nil, err
	}
	return db, nil
}

// Close closes the pool. It waits up to closeWait for connections still
// in use (a transaction not yet ended) to come back, then leaves them to
// close when they do.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	err = sqlDB.Close()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		db.pool.Close()
	}()
	select {
	case <-closed:
		return err
	case <-time.After(closeWait):
		return errors.Join(err, fmt.Errorf("close database: %d connections still in use after %s", db.pool.Stat().AcquiredConns(), closeWait))
	}
}

// Statements returns how many SQL statements the pool has run so far.
func (db *DB) Statements() int64 { return db.statements.Load() }

// statementHook, when set, sees the context and SQL of every statement
// GORM sends through any pool (RecordStatements).
var statementHook atomic.Pointer[func(ctx context.Context, sql string)]

// RecordStatements makes every pool hand the SQL of each statement it sends
// to record, until it is called again with nil. Tests use it to check
// what the API sends (every statement names its store).
func RecordStatements(record func(ctx context.Context, sql string)) {
	if record == nil {
		statementHook.Store(nil)
		return
	}
	statementHook.Store(&record)
}

// StatementTime returns the time the pool's statements have taken so far
// (sent until answered; rows read later are not in it).
func (db *DB) StatementTime() time.Duration { return time.Duration(db.statementTime.Load()) }

// statementStart is where a statement's start time waits for its end.
const statementStart = "stockgraph:start"

// registerCounter counts and times every statement GORM sends, whatever
// its kind, and shows it to the statement hook.
func (db *DB) registerCounter() error {
	count := func(tx *gorm.DB) {
		db.statements.Add(1)
		if start, ok := tx.InstanceGet(statementStart); ok {
			db.statementTime.Add(int64(time.Since(start.(time.Time))))
		}
		if record := statementHook.Load(); record != nil {
			(*record)(tx.Statement.Context, tx.Statement.SQL.String())
		}
	}
	start := func(tx *gorm.DB) { tx.InstanceSet(statementStart, time.Now()) }
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().Before("gorm:query").Register("stockgraph:start", start),
		cb.Create().Before("gorm:create").Register("stockgraph:start", start),
		cb.Update().Before("gorm:update").Register("stockgraph:start", start),
		cb.Delete().Before("gorm:delete").Register("stockgraph:start", start),
		cb.Row().Before("gorm:row").Register("stockgraph:start", start),
		cb.Raw().Before("gorm:raw").Register("stockgraph:start", start),
		cb.Query().After("gorm:query").Register("stockgraph:count", count),
		cb.Create().After("gorm:create").Register("stockgraph:count", count),
		cb.Update().After("gorm:update").Register("stockgraph:count", count),
		cb.Delete().After("gorm:delete").Register("stockgraph:count", count),
		cb.Row().After("gorm:row").Register("stockgraph:count", count),
		cb.Raw().After("gorm:raw").Register("stockgraph:count", count),
	} {
		if err != nil {
			return fmt.Errorf("register statement counter: %w", err)
		}
	}
	return nil
}

// Tx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise; then, once it has committed, the functions fn handed to
// AfterCommit. Inside a transaction Tx runs (db is its tx), fn runs in a
// savepoint and its AfterCommit functions wait for the outer commit: a
// bulk import applies each batch's writes, each a Tx of its own, and its
// checkpoint in one transaction.
func Tx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if _, nested := committing.Load(db.Statement.ConnPool); nested {
		return db.WithContext(ctx).Transaction(fn)
	}
	var after []func(*gorm.DB)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		key := tx.Statement.ConnPool
		committing.Store(key, &after)
		defer committing.Delete(key)
		return fn(tx)
	})
	if err == nil {
		for _, f := range after {
			f(db)
		}
	}
	return err
}

// committing holds the AfterCommit functions of the transactions Tx is
// running, by their connection (the *sql.Tx every statement of the
// transaction, savepoints included, goes through).
var committing sync.Map

// AfterCommit has f run once the transaction tx belongs to, run by Tx or
// RetryTx, has committed, with the database Tx was given; never when it
// rolls back (a function handed over in a savepoint that was rolled back
// still runs when the transaction commits). Outside such a transaction f
// runs at once. It is for what must not happen before the commit and
// need not happen inside it: ringing the stock events' doorbell.
func AfterCommit(tx *gorm.DB, f func(db *gorm.DB)) {
	after, ok := committing.Load(tx.Statement.ConnPool)
	if !ok {
		f(tx)
		return
	}
	list := after.(*[]func(*gorm.DB))
	*list = append(*list, f)
}

// Redact hides the password in a database URL for messages and logs.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation
// on the named constraint (any constraint when name is "").
func IsUniqueViolation(err error, name string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (name == "" || pgErr.ConstraintName == name)
}

// IsForeignKeyViolation reports whether err is PostgreSQL's foreign_key_violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// ErrRetry asks RetryTx to run the transaction again.
var ErrRetry = errors.New("transaction must be retried")

// RetryTx runs fn in a transaction and runs it again, up to attempts
// times in all, when it fails in a way that a new attempt can cure: a
// deadlock or serialization failure PostgreSQL resolved by aborting us,
// or ErrRetry.
func RetryTx(ctx context.Context, db *gorm.DB, attempts int, fn func(tx *gorm.DB) error) error {
	var err error
	for range attempts {
		err = Tx(ctx, db, fn)
		if err == nil || !Retryable(err) || ctx.Err() != nil {
			return err
		}
		if isDeadlock(err) {
			deadlocks.Add(1)
		}
	}
	return err
}

// deadlocks counts the deadlocks RetryTx has met in this process. Writes
// lock in one global order, so it should stay at zero; tests check it.
var deadlocks atomic.Int64

// Deadlocks returns how many deadlocks RetryTx has met in this process.
func Deadlocks() int64 { return deadlocks.Load() }

func isDeadlock(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40P01"
}

// Retryable reports whether err asks for the transaction to be run again:
// a deadlock, a serialization failure or ErrRetry.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40P01" || pgErr.Code == "40001"
	}
	return errors.Is(err, ErrRetry)
}
