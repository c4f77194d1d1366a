package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"stockgraph/dbmigrate"
	"stockgraph/internal/database"
)

// privateClusterURL is the URL scripts/pg.sh prints (`scripts/pg.sh url`)
// for the cluster `make run` and `make test` start, on the port
// STOCKGRAPH_PGPORT names.
func privateClusterURL() (url, addr string) {
	port := envOr("STOCKGRAPH_PGPORT", "55432")
	db := envOr("STOCKGRAPH_PGDATABASE", "stockgraph")
	addr = net.JoinHostPort("127.0.0.1", port)
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", addr, db), addr
}

// databaseURL returns DATABASE_URL or, when it is unset, the private
// cluster's URL when that cluster answers, so that commands work after
// `make run` without exporting anything. The fallback is said on stderr:
// a server must never pick a database silently.
func databaseURL() (string, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	url, addr := privateClusterURL()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not set and the private PostgreSQL (scripts/pg.sh) does not answer on %s: "+
			"start it with `make db-start`, or set DATABASE_URL=postgres://user@host:port/db", addr)
	}
	conn.Close()
	fmt.Fprintf(os.Stderr, "stockgraph: DATABASE_URL is not set; using the private cluster %s\n", database.Redact(url))
	return url, nil
}

// openDB opens the database and, when requireMigrated, refuses to go on
// with pending migrations.
func openDB(ctx context.Context, requireMigrated bool) (*database.DB, error) {
	return openDBWith(ctx, requireMigrated, database.Options{})
}

// openDBWith is openDB with the pool's limits.
func openDBWith(ctx context.Context, requireMigrated bool, opts database.Options) (*database.DB, error) {
	url, err := databaseURL()
	if err != nil {
		return nil, err
	}
	db, err := database.OpenWith(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if !requireMigrated {
		return db, nil
	}
	sqlDB, err := db.DB.DB()
	if err != nil {
		db.Close()
		return nil, err
	}
	pending, err := dbmigrate.Pending(ctx, sqlDB)
	if err != nil {
		db.Close()
		return nil, err
	}
	if pending > 0 {
		db.Close()
		return nil, fmt.Errorf("the database has %d pending migrations: run `stockgraph migrate` first", pending)
	}
	return db, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
