package database_test

import (
	"testing"
	"time"

	"stockgraph/internal/testsupport/testdb"
)

// TestStatementTime: each kind of statement is counted and timed; a
// statement that sleeps 50 ms adds at least that to StatementTime.
func TestStatementTime(t *testing.T) {
	db := testdb.MustOpenDB(t)
	tests := []struct {
		name string
		run  func() error
	}{
		{"Exec", func() error { return db.Exec(`SELECT pg_sleep(0.05)`).Error }},
		{"Raw Scan", func() error { var n int; return db.Raw(`SELECT 1 FROM pg_sleep(0.05)`).Scan(&n).Error }},
		{"Row", func() error { var n int; return db.Raw(`SELECT 1 FROM pg_sleep(0.05)`).Row().Scan(&n) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count, took := db.Statements(), db.StatementTime()
			if err := tt.run(); err != nil {
				t.Fatal(err)
			}
			if got := db.Statements() - count; got != 1 {
				t.Errorf("Statements() grew by %d, want 1", got)
			}
			if got := db.StatementTime() - took; got < 50*time.Millisecond || got > 10*time.Second {
				t.Errorf("StatementTime() grew by %v, want at least 50ms", got)
			}
		})
	}
}
