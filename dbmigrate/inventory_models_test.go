package dbmigrate_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"stockgraph/dbmigrate"
	"stockgraph/internal/testsupport/testdb"
)

// TestInventoryModelsBackfill: migration 00007 gives every store that
// existed before it exactly one default inventory model.
func TestInventoryModelsBackfill(t *testing.T) {
	db, err := sql.Open("pgx", testdb.MustCreate(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, dbmigrate.Files())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 6); err != nil {
		t.Fatalf("migrate down to 6: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO stores (handle, name) VALUES ('a', 'A'), ('b', 'B')`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	rows, err := db.Query(`SELECT s.handle, count(m.id) FILTER (WHERE m.is_default) FROM stores s
		LEFT JOIN inventory_models m ON m.store_id = s.id GROUP BY s.handle ORDER BY s.handle`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var handle string
		var defaults int
		if err := rows.Scan(&handle, &defaults); err != nil {
			t.Fatal(err)
		}
		n++
		if defaults != 1 {
			t.Errorf("default inventory models of store %s after migrating = %d, want 1", handle, defaults)
		}
	}
	if n != 2 {
		t.Errorf("stores after migrating = %d, want 2", n)
	}
}
