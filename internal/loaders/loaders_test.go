package loaders_test

import (
	"context"
	"testing"

	"stockgraph/internal/loaders"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// TestLocationsHonourContext: the locations load with the caller's
// context, a cancelled load is not kept, and ClearAll makes the next
// caller see a location written since.
func TestLocationsHonourContext(t *testing.T) {
	db := testdb.MustOpenDB(t)
	res, err := seed.Run(t.Context(), db.DB, seed.Options{StoreHandle: "locs", Products: 1, Variants: 1, Locations: 2})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	l := loaders.New(db.DB, res.Store.ID, loaders.DefaultWait)

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Locations(cancelled); err == nil {
		t.Errorf("Locations(cancelled context) = no error, want the context's")
	}
	before, err := l.Locations(t.Context())
	if err != nil || len(before) == 0 {
		t.Fatalf("Locations after a cancelled load = %d locations, %v; want the store's", len(before), err)
	}

	db.Exec(`INSERT INTO locations (store_id, code, name, type) VALUES (?, 'NEW', 'New', 'WAREHOUSE')`, res.Store.ID)
	if again, _ := l.Locations(t.Context()); len(again) != len(before) {
		t.Errorf("Locations before ClearAll = %d, want the %d loaded first (loaded once per operation)", len(again), len(before))
	}
	l.ClearAll()
	if after, _ := l.Locations(t.Context()); len(after) != len(before)+1 {
		t.Errorf("Locations after ClearAll = %d, want %d (the new one too)", len(after), len(before)+1)
	}
}
