// Package database opens the PostgreSQL connection pool that everything
// shares, runs transactions, and counts the SQL statements a request
// issues (the API's batching is measured with it).
package database

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB is the shared pool with its statement counter.
type DB struct {
	*gorm.DB
	statements atomic.Int64
	// statementTime sums the statements' durations, in nanoseconds.
	statementTime atomic.Int64
}

// Open connects to url, checks the server answers within 10 seconds, and
// returns the pool. The error says what to fix when it does not.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("DATABASE_URL is empty: set it to postgres://user@host:port/dbname, or run `make run`, which starts a private PostgreSQL")
	}
	if _, err := pgconn.ParseConfig(dsn); err != nil {
		return nil, fmt.Errorf("DATABASE_URL %q is not a PostgreSQL URL: %w", Redact(dsn), err)
	}
	gdb, err := gorm.Open(postgres.New(postgres.Config{DSN: dsn}), &gorm.Config{
		// Single writes need no transaction of their own; the domain opens
		// one wherever several statements must hold together.
		SkipDefaultTransaction: true,
		Logger:                 logger.Default.LogMode(logger.Silent),
		// PostgreSQL keeps microseconds; so do the values GORM hands back.
		NowFunc: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		// Open pings below, with a message that says what to do.
		DisableAutomaticPing: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(40)
	sqlDB.SetMaxIdleConns(40)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s (is it running? `make db-start` starts the private one): %w", Redact(dsn), err)
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

// Close closes the pool.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
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
// back otherwise.
func Tx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return db.WithContext(ctx).Transaction(fn)
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
		if err == nil || !retryable(err) || ctx.Err() != nil {
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

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40P01" || pgErr.Code == "40001"
	}
	return errors.Is(err, ErrRetry)
}
