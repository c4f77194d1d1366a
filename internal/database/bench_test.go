package database_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// BenchmarkSelectOne measures what a statement pays for its connection:
// SELECT 1 through database/sql's own pool of pgx connections (how the
// server pooled before), and through pgxpool, with database/sql keeping
// none, with and without the acquire timeout. One client, then as many
// as GOMAXPROCS.
func BenchmarkSelectOne(b *testing.B) {
	dsn := testdb.MustCreate(b)
	pools := []struct {
		name string
		open func(b *testing.B) *sql.DB
	}{
		{"database-sql-pool", func(b *testing.B) *sql.DB {
			cfg, err := pgx.ParseConfig(dsn)
			if err != nil {
				b.Fatal(err)
			}
			db := stdlib.OpenDB(*cfg)
			db.SetMaxOpenConns(database.DefaultMaxConns)
			db.SetMaxIdleConns(database.DefaultMaxConns)
			b.Cleanup(func() { _ = db.Close() })
			return db
		}},
		{"pgxpool", func(b *testing.B) *sql.DB { return openSQL(b, dsn, 0) }},
		{"pgxpool-acquire-timeout", func(b *testing.B) *sql.DB { return openSQL(b, dsn, database.DefaultAcquireTimeout) }},
	}
	ctx := context.Background()
	for _, p := range pools {
		db := p.open(b)
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var n int
				for pb.Next() {
					if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// openSQL opens the server's pool on dsn and returns its database/sql face.
func openSQL(b *testing.B, dsn string, acquire time.Duration) *sql.DB {
	db, err := database.OpenWith(context.Background(), dsn, database.Options{AcquireTimeout: acquire})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	sqlDB, err := db.DB.DB()
	if err != nil {
		b.Fatal(err)
	}
	return sqlDB
}
