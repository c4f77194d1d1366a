package database_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// TestRetryTxCountsDeadlocks: two transactions locking two rows in
// opposite orders deadlock; PostgreSQL aborts one, RetryTx runs it again,
// both succeed, and Deadlocks counts the one it met.
func TestRetryTxCountsDeadlocks(t *testing.T) {
	db := testdb.MustOpenDB(t)
	if err := db.Exec(`CREATE TABLE pair (id int PRIMARY KEY, n int); INSERT INTO pair VALUES (1, 0), (2, 0)`).Error; err != nil {
		t.Fatal(err)
	}
	before := database.Deadlocks()
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(2)
	for _, order := range [][2]int{{1, 2}, {2, 1}} {
		wg.Go(func() {
			first := true
			err := database.RetryTx(context.Background(), db.DB, 3, func(tx *gorm.DB) error {
				if err := tx.Exec(`UPDATE pair SET n = n + 1 WHERE id = ?`, order[0]).Error; err != nil {
					return err
				}
				if first { // both hold their first row before either takes its second
					first = false
					ready.Done()
					ready.Wait()
					time.Sleep(50 * time.Millisecond)
				}
				return tx.Exec(`UPDATE pair SET n = n + 1 WHERE id = ?`, order[1]).Error
			})
			if err != nil {
				t.Errorf("RetryTx(%v) = %v, want success after a retry", order, err)
			}
		})
	}
	wg.Wait()
	if got := database.Deadlocks() - before; got != 1 {
		t.Errorf("Deadlocks() grew by %d, want 1", got)
	}
}
