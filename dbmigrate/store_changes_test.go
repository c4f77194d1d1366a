package dbmigrate_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"stockgraph/internal/testsupport/testdb"
)

// notNoted are the tables with a store_id column that have no
// store_changes triggers, each for the reason migration 00010 gives.
var notNoted = []string{"audit_log", "api_token_use", "store_changes"}

// TestStoreChangeTriggers: every table with a store_id column, and stores,
// has the three statement triggers that note the change position
// (migration 00010), so that a table added later cannot be forgotten: a
// migration that adds one must install them too, or list it in notNoted
// with its reason.
func TestStoreChangeTriggers(t *testing.T) {
	db, err := sql.Open("pgx", testdb.MustCreate(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`
		SELECT c.relname,
		       coalesce(string_agg(tg.tgname, ' ' ORDER BY tg.tgname), '')
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
		LEFT JOIN pg_trigger tg ON tg.tgrelid = c.oid AND NOT tg.tgisinternal
		     AND tg.tgfoid IN ('note_store_changes'::regproc, 'note_stores_changes'::regproc)
		WHERE c.relkind IN ('r', 'p')
		  AND (c.relname = 'stores' OR EXISTS (SELECT 1 FROM pg_attribute a
		       WHERE a.attrelid = c.oid AND a.attname = 'store_id' AND NOT a.attisdropped))
		GROUP BY c.relname ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table string
		var names string
		if err := rows.Scan(&table, &names); err != nil {
			t.Fatal(err)
		}
		triggers := strings.Fields(names)
		n++
		want := []string{table + "_changes_delete", table + "_changes_insert", table + "_changes_update"}
		if slices.Contains(notNoted, table) {
			want = []string{}
		}
		if !slices.Equal(triggers, want) {
			t.Errorf("store_changes triggers on %s = %q, want %q", table, triggers, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("tables with store_id found = %d, want the 20 of migration 00010 at least", n)
	}
}
