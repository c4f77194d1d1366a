package inventory_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
)

// The store's switches cannot change under a write that read them, and a
// write sees a change committed while it waited (migration 00011). Each
// test stops one side at a row lock held by a transaction of its own and
// watches pg_stat_activity for what the other side waits on, so that the
// interleaving is forced, not left to timing.

// TestSwitchChangeWaitsForTheWritesThatReadThem: a write that read "negative
// stock allowed" and then waits for its item holds off the switch's
// change, which waits for its lock (rather than committing under the
// write) and lands after it.
func TestSwitchChangeWaitsForTheWritesThatReadThem(t *testing.T) {
	f := newFixture(t, 1, 1)
	f.configure(t, inventory.ConfigurationPatch{AllowNegativeStock: ptr(true)})
	variant, location := f.variants[0], f.physical[0]
	it := f.item(t, variant, location)
	blocker := f.begin(t)
	if err := blocker.Exec(`SELECT 1 FROM inventory_items WHERE store_id = ? AND id = ? FOR UPDATE`, it.StoreID, it.ID).Error; err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "race",
			Lines: []inventory.AdjustLine{{LocationID: location, Variant: inventory.VariantRef{VariantID: variant}, Quantity: ptr(-it.OnHand - 5)}}})
		wrote <- err
	}()
	f.waitUntil(t, "the write waits for its item", `wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE OF i%'`, nil)
	switched := make(chan error, 1)
	go func() {
		_, err := inventory.UpdateConfiguration(context.Background(), f.db, f.actor.Store.ID, inventory.ConfigurationPatch{AllowNegativeStock: ptr(false)})
		switched <- err
	}()
	f.waitUntil(t, "the switch's change waits for the write", `wait_event = 'advisory' AND query LIKE '%lock_store_switches%'`, switched)
	if err := blocker.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Errorf("the write that read negative stock allowed: %v, want it applied", err)
	}
	if err := <-switched; err != nil {
		t.Fatal(err)
	}
	if got := f.item(t, variant, location).OnHand; got != -5 {
		t.Errorf("on hand = %d, want -5", got)
	}
	f.mustBeConsistent(t)
}

// TestWriteSeesASwitchChangedWhileItWaited: a write that starts while the
// switch's change holds its lock waits, and then decides by the switch as
// changed, not as its statement's snapshot had it.
func TestWriteSeesASwitchChangedWhileItWaited(t *testing.T) {
	f := newFixture(t, 1, 1)
	f.configure(t, inventory.ConfigurationPatch{AllowNegativeStock: ptr(true)})
	variant, location := f.variants[0], f.physical[0]
	it := f.item(t, variant, location)
	blocker := f.begin(t)
	if err := blocker.Exec(`SELECT 1 FROM stores WHERE id = ? FOR UPDATE`, f.actor.Store.ID).Error; err != nil {
		t.Fatal(err)
	}
	switched := make(chan error, 1)
	go func() {
		_, err := inventory.UpdateConfiguration(context.Background(), f.db, f.actor.Store.ID, inventory.ConfigurationPatch{AllowNegativeStock: ptr(false)})
		switched <- err
	}()
	f.waitUntil(t, "the switch's change holds its lock and waits for the store row", `wait_event_type = 'Lock' AND query LIKE 'UPDATE "stores"%'`, switched)
	wrote := make(chan error, 1)
	go func() {
		_, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "race",
			Lines: []inventory.AdjustLine{{LocationID: location, Variant: inventory.VariantRef{VariantID: variant}, Quantity: ptr(-it.OnHand - 5)}}})
		wrote <- err
	}()
	f.waitUntil(t, "the write waits for the switch's change", `wait_event = 'advisory' AND query LIKE '%stock_write_store%'`, wrote)
	if err := blocker.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-switched; err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; apperr.CodeOf(err) != apperr.NegativeStock {
		t.Errorf("a write below zero after negative stock was switched off: %v, want NEGATIVE_STOCK", err)
	}
	if got := f.item(t, variant, location); got.OnHand != it.OnHand {
		t.Errorf("on hand = %d, want %d untouched", got.OnHand, it.OnHand)
	}
}

// begin opens a transaction of the test's own, rolled back at cleanup
// unless committed.
func (f fixture) begin(t *testing.T) *gorm.DB {
	t.Helper()
	tx := f.db.Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx
}

// waitUntil polls pg_stat_activity until a backend of the test's database
// matches where. A result on done first means the other side did not
// wait: the lock under test is missing.
func (f fixture) waitUntil(t *testing.T, what, where string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int64
		if err := f.db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND ` + where).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("waiting until %s: it finished instead (error %v)", what, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting until %s: not after 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
