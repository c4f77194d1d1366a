package seed_test

import (
	"context"
	"testing"

	"stockgraph/internal/ledger"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// TestSeedIsDeterministic seeds the same store in two databases and
// compares every level by SKU and location code; a second run on a store
// with products changes nothing; the ledger adds up to the seeded levels.
func TestSeedIsDeterministic(t *testing.T) {
	ctx := context.Background()
	o := seed.Options{StoreHandle: "demo", Products: 4, Variants: 3, Locations: 2}
	levels := make([]map[string]int, 2)
	for i := range levels {
		db := testdb.MustOpenDB(t)
		res, err := seed.Run(ctx, db.DB, o)
		if err != nil || !res.Seeded || !res.Created {
			t.Fatalf("Run() = %+v, %v, want a new seeded store", res, err)
		}
		again, err := seed.Run(ctx, db.DB, o)
		if err != nil || again.Seeded {
			t.Errorf("Run() again = %+v, %v, want nothing seeded", again, err)
		}
		rows, err := db.Raw(`SELECT v.sku || '@' || l.code, i.on_hand * 1000 + i.qty_backordered
			FROM inventory_items i JOIN variants v ON v.id = i.variant_id JOIN locations l ON l.id = i.location_id`).Rows()
		if err != nil {
			t.Fatal(err)
		}
		levels[i] = map[string]int{}
		for rows.Next() {
			var k string
			var v int
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			levels[i][k] = v
		}
		rows.Close()
		if n := len(levels[i]); n != 4*3*2 {
			t.Errorf("seeded %d items, want 24", n)
		}
		if bad, err := ledger.Inconsistencies(ctx, db.DB, res.Store.ID); err != nil || len(bad) > 0 {
			t.Errorf("ledger after seeding: %+v, %v, want consistent", bad, err)
		}
	}
	for k, v := range levels[0] {
		if levels[1][k] != v {
			t.Errorf("level of %s = %d in one run and %d in the other, want the same", k, v, levels[1][k])
		}
	}
}

func TestSeedRejectsBadOptions(t *testing.T) {
	for _, o := range []seed.Options{{}, {StoreHandle: "x", Products: 0, Variants: 1, Locations: 1}, {StoreHandle: "x", Products: 1, Variants: 101, Locations: 1}} {
		if _, err := seed.Run(context.Background(), nil, o); err == nil {
			t.Errorf("Run(%+v) error = nil, want a message", o)
		}
	}
}
