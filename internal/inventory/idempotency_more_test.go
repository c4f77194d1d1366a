package inventory_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// sameMovements compares movements field by field (times by instant).
func sameMovements(t *testing.T, what string, got, want []models.Movement) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s movements = %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("%s movement %d createdAt = %v, want %v", what, i, g.CreatedAt, w.CreatedAt)
		}
		g.CreatedAt = w.CreatedAt
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s movement %d = %+v, want %+v", what, i, g, w)
		}
	}
}

func sameItems(t *testing.T, what string, got, want []models.InventoryItem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s items = %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Revision != w.Revision || qlevelsOf(g) != qlevelsOf(w) || !g.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("%s item %d = id %d rev %d %+v updated %v, want id %d rev %d %+v updated %v",
				what, i, g.ID, g.Revision, qlevelsOf(g), g.UpdatedAt, w.ID, w.Revision, qlevelsOf(w), w.UpdatedAt)
		}
	}
}

func TestAdjustIdempotencyKeyReplays(t *testing.T) {
	f := newFixture(t, 2, 1)
	ctx := context.Background()
	v, l := f.variants, f.physical[0]
	f.setOnHand(t, l, map[int64]int{v[0]: 10, v[1]: 20})
	a := inventory.Adjustment{Mode: inventory.Relative, Reason: "received", Reference: "PO-1", IdempotencyKey: "key-1",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v[0]), Quantity: ptr(5)}, {LocationID: l, Variant: ref(v[1]), Quantity: ptr(-3)}}}
	first, err := inventory.Adjust(ctx, f.db, f.actor, a)
	if err != nil {
		t.Fatalf("Adjust(key-1) error = %v", err)
	}
	if first.Replayed {
		t.Errorf("Adjust(key-1).Replayed = true, want false the first time")
	}
	for _, m := range first.Movements {
		if m.IdempotencyKey == nil || *m.IdempotencyKey != "key-1" {
			t.Errorf("movement idempotencyKey = %v, want key-1", m.IdempotencyKey)
		}
	}
	movements := f.movementCount(t)

	second, err := inventory.Adjust(ctx, f.db, f.actor, a)
	if err != nil {
		t.Fatalf("Adjust(key-1 again) error = %v", err)
	}
	if !second.Replayed {
		t.Errorf("Adjust(key-1 again).Replayed = false, want true")
	}
	sameItems(t, "Adjust(key-1 again)", second.Items, first.Items)
	sameMovements(t, "Adjust(key-1 again)", second.Movements, first.Movements)
	if got := f.movementCount(t); got != movements {
		t.Errorf("movements after replay = %d, want %d (none new)", got, movements)
	}
	if got := f.item(t, v[0], l).OnHand; got != 15 {
		t.Errorf("onHand after replay = %d, want 15 (applied once)", got)
	}

	// The same key for another input, or another mutation, is refused.
	other := a
	other.Lines = []inventory.AdjustLine{{LocationID: l, Variant: ref(v[0]), Quantity: ptr(6)}}
	_, err = inventory.Adjust(ctx, f.db, f.actor, other)
	wantAppErr(t, "Adjust(key-1, other input)", err, apperr.IdempotencyKeyReused)
	_, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{IdempotencyKey: "key-1",
		Lines: []inventory.MoveLine{{Variant: ref(v[0]), FromLocationID: l, ToLocationID: f.virtual(t).sold, Quantity: 1}}})
	wantAppErr(t, "MoveStock(key-1)", err, apperr.IdempotencyKeyReused)
	if got := f.movementCount(t); got != movements {
		t.Errorf("movements after refused reuse = %d, want %d", got, movements)
	}
	// A failed request stores no result: its key stays free.
	_, err = inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "x", IdempotencyKey: "key-2",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v[0]), Quantity: ptr(-1000)}}})
	wantAppErr(t, "Adjust(key-2, oversell)", err, apperr.NegativeStock)
	res, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "x", IdempotencyKey: "key-2",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v[0]), Quantity: ptr(-1)}}})
	if err != nil || res.Replayed {
		t.Errorf("Adjust(key-2 after a failure) = replayed %v, %v, want a fresh success", res.Replayed, err)
	}
	f.mustBeConsistent(t)
}

// TestConcurrentSameKeyAdjustments: 16 requests with one key at once
// change stock once and all return that one result.
func TestConcurrentSameKeyAdjustments(t *testing.T) {
	f := newFixture(t, 2, 1)
	l := f.physical[0]
	f.setOnHand(t, l, map[int64]int{f.variants[0]: 100, f.variants[1]: 100})
	movements := f.movementCount(t)
	results := concurrently(t, f, 16, func() (inventory.ChangeResult, error) {
		return inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "sale", IdempotencyKey: "same",
			Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(f.variants[0]), Quantity: ptr(-3)}, {LocationID: l, Variant: ref(f.variants[1]), Quantity: ptr(-4)}}})
	})
	checkOneResult(t, f, results, movements, 2)
	if got := f.item(t, f.variants[0], l).OnHand; got != 97 {
		t.Errorf("onHand after 16 same-key −3 = %d, want 97", got)
	}
}

// TestConcurrentSameKeyMoves is the same for moves, whose lines leave
// their states to the default.
func TestConcurrentSameKeyMoves(t *testing.T) {
	f := newFixture(t, 2, 2)
	a, b := f.physical[0], f.physical[1]
	f.setOnHand(t, a, map[int64]int{f.variants[0]: 100, f.variants[1]: 100})
	movements := f.movementCount(t)
	results := concurrently(t, f, 16, func() (inventory.ChangeResult, error) {
		res, err := inventory.MoveStock(context.Background(), f.db, f.actor, inventory.Move{IdempotencyKey: "same-move",
			Lines: []inventory.MoveLine{{Variant: ref(f.variants[0]), FromLocationID: a, ToLocationID: b, Quantity: 3},
				{Variant: ref(f.variants[1]), FromLocationID: a, ToLocationID: b, Quantity: 4}}})
		return res.ChangeResult, err
	})
	checkOneResult(t, f, results, movements, 2)
	if got := f.item(t, f.variants[0], a).OnHand; got != 97 {
		t.Errorf("onHand after 16 same-key moves of 3 = %d, want 97", got)
	}
}

// TestMoveIdempotencyKeyReplaysSameValue: a caller that sends the same
// Move value twice gets the replay, not IDEMPOTENCY_KEY_REUSED.
func TestMoveIdempotencyKeyReplaysSameValue(t *testing.T) {
	f := newFixture(t, 1, 2)
	a, b := f.physical[0], f.physical[1]
	f.setOnHand(t, a, map[int64]int{f.variants[0]: 10})
	m := inventory.Move{IdempotencyKey: "m-1", Lines: []inventory.MoveLine{{Variant: ref(f.variants[0]), FromLocationID: a, ToLocationID: b, Quantity: 2}}}
	first, err := inventory.MoveStock(context.Background(), f.db, f.actor, m)
	if err != nil {
		t.Fatalf("MoveStock(m-1) error = %v", err)
	}
	second, err := inventory.MoveStock(context.Background(), f.db, f.actor, m)
	if err != nil || !second.Replayed {
		t.Fatalf("MoveStock(m-1 again) = replayed %v, %v, want the replay", second.Replayed, err)
	}
	sameMovements(t, "MoveStock(m-1 again)", second.Movements, first.Movements)
	if !reflect.DeepEqual(second.Balances, first.Balances) {
		t.Errorf("MoveStock(m-1 again) balances = %+v, want %+v", second.Balances, first.Balances)
	}
	if got := f.item(t, f.variants[0], a).OnHand; got != 8 {
		t.Errorf("onHand after a replayed move = %d, want 8", got)
	}
}

type keyedResult struct {
	res inventory.ChangeResult
	err error
}

// concurrently runs fn n times at once. So that the requests overlap
// for sure, another transaction holds a lock on every inventory item of
// the store until all n wait for it: each has looked its key up and found
// nothing, and all but the first must then find the key taken.
func concurrently(t *testing.T, f fixture, n int, fn func() (inventory.ChangeResult, error)) []keyedResult {
	t.Helper()
	release := lockAllItems(t, f)
	out := make([]keyedResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i].res, out[i].err = fn() })
	}
	waitForLockWaiters(t, f, n)
	release()
	wg.Wait()
	return out
}

// lockAllItems locks the store's items in a transaction of its own and
// returns the function that ends it.
func lockAllItems(t *testing.T, f fixture) (release func()) {
	t.Helper()
	tx := f.db.Begin()
	if err := tx.Exec(`SELECT id FROM inventory_items WHERE store_id = ? FOR UPDATE`, f.actor.Store.ID).Error; err != nil {
		t.Fatalf("lock items: %v", err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			tx.Rollback()
		}
	}
	t.Cleanup(release)
	return release
}

// waitForLockWaiters waits until n backends wait for a lock.
func waitForLockWaiters(t *testing.T, f fixture, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := f.db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting).Error; err != nil {
			t.Fatalf("count lock waiters: %v", err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lock waiters = %d after 20 s, want %d", waiting, n)
		}
	}
}

// checkOneResult: every request succeeded with the same movements, one of
// them first, and the ledger grew by one request's movements.
func checkOneResult(t *testing.T, f fixture, results []keyedResult, movementsBefore int64, perRequest int) {
	t.Helper()
	var fresh []inventory.ChangeResult
	for i, r := range results {
		if r.err != nil {
			t.Errorf("request %d error = %v, want success", i, r.err)
			continue
		}
		if !r.res.Replayed {
			fresh = append(fresh, r.res)
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("requests not replayed = %d, want 1", len(fresh))
	}
	for i, r := range results {
		if r.err == nil {
			sameMovements(t, "same-key request "+string(rune('A'+i)), r.res.Movements, fresh[0].Movements)
		}
	}
	if got, want := f.movementCount(t), movementsBefore+int64(perRequest); got != want {
		t.Errorf("movements after 16 same-key requests = %d, want %d", got, want)
	}
	f.mustBeConsistent(t)
}

// TestDryRunWritesNothing: a dry run returns the items it would write and
// writes nothing, not even its idempotency key.
func TestDryRunWritesNothing(t *testing.T) {
	f := newFixture(t, 2, 1)
	ctx := context.Background()
	v, l := f.variants, f.physical[0]
	f.setOnHand(t, l, map[int64]int{v[0]: 10, v[1]: 20})
	before, movements := f.items(t), f.movementCount(t)
	a := inventory.Adjustment{Mode: inventory.Relative, Reason: "check", DryRun: true, IdempotencyKey: "dry",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v[0]), Quantity: ptr(5)}, {LocationID: l, Variant: ref(v[1]), Quantity: ptr(-20)}}}
	res, err := inventory.Adjust(ctx, f.db, f.actor, a)
	if err != nil {
		t.Fatalf("Adjust(dry run) error = %v", err)
	}
	if !res.DryRun || res.Replayed {
		t.Errorf("Adjust(dry run) dryRun, replayed = %v, %v, want true, false", res.DryRun, res.Replayed)
	}
	if len(res.Items) != 2 || res.Items[0].OnHand != 15 || res.Items[1].OnHand != 0 {
		t.Errorf("Adjust(dry run) items = %+v, want onHand 15 and 0", res.Items)
	}
	if len(res.Movements) != 2 {
		t.Errorf("Adjust(dry run) movements = %d, want the 2 it would write", len(res.Movements))
	}
	if got := f.movementCount(t); got != movements {
		t.Errorf("movements after dry run = %d, want %d", got, movements)
	}
	for id, it := range f.items(t) {
		if it.Revision != before[id].Revision || qlevelsOf(it) != qlevelsOf(before[id]) {
			t.Errorf("item %d after dry run = %+v rev %d, want %+v rev %d", id, qlevelsOf(it), it.Revision, qlevelsOf(before[id]), before[id].Revision)
		}
	}
	// A failing dry run reports the failure.
	_, err = inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "check", DryRun: true,
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v[0]), Quantity: ptr(-11)}}})
	wantAppErr(t, "Adjust(dry run, oversell)", err, apperr.NegativeStock)
	// The dry run's key was not stored: the real request is fresh.
	a.DryRun = false
	res, err = inventory.Adjust(ctx, f.db, f.actor, a)
	if err != nil || res.Replayed || res.DryRun {
		t.Fatalf("Adjust(after dry run, same key) = replayed %v dryRun %v, %v, want a fresh write", res.Replayed, res.DryRun, err)
	}
	if got := f.item(t, v[0], l).OnHand; got != 15 {
		t.Errorf("onHand after the real request = %d, want 15", got)
	}
	f.mustBeConsistent(t)
}
