package events_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/events"
)

// TestBellFoldsRings: a ring that arrives while one is being sent sends
// nothing itself, and makes the sender send one more, however many
// arrive; once that one is sent, the next ring sends again.
func TestBellFoldsRings(t *testing.T) {
	got := events.BellSteps("start", "start", "start", "finish", "finish", "start", "finish")
	want := []bool{true, false, false, true, false, true, false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("bell steps = %v, want %v", got, want)
	}
}

// TestDoorbellRingsAfterCommitOnly: a transaction that appends events and
// rolls back rings nothing; one that commits rings its store, after the
// commit, so that a listener woken by it reads the events.
func TestDoorbellRingsAfterCommitOnly(t *testing.T) {
	db, url := openWithURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+events.Channel); err != nil {
		t.Fatal(err)
	}
	rolledBack := errors.New("roll back")
	err = database.Tx(ctx, db, func(tx *gorm.DB) error {
		events.RingAfterCommit(tx, 101)
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatal(err)
	}
	var committed int64
	err = database.Tx(ctx, db, func(tx *gorm.DB) error {
		events.RingAfterCommit(tx, 102)
		return tx.Raw(`SELECT txid_current()`).Scan(&committed).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(wait)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != "102" {
		t.Fatalf("first ring = store %s, want 102 (the rolled back transaction rang %s)", n.Payload, n.Payload)
	}
	var status string
	if err := conn.QueryRow(ctx, `SELECT txid_status($1)`, committed).Scan(&status); err != nil || status != "committed" {
		t.Fatalf("the ringing transaction is %q (%v) when the ring arrives, want committed", status, err)
	}
}
