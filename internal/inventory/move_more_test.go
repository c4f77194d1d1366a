package inventory_test

import (
	"context"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// TestMoveZettleExample: 238 and 12,033 units of two variants at a store;
// 42 and 1,337 move to a warehouse; the store keeps 196 and 10,696.
func TestMoveZettleExample(t *testing.T) {
	f := newFixture(t, 2, 2)
	ctx := context.Background()
	v, store, warehouse := f.variants, f.physical[0], f.physical[1]
	f.setOnHand(t, store, map[int64]int{v[0]: 238, v[1]: 12033})
	f.setOnHand(t, warehouse, map[int64]int{v[0]: 0, v[1]: 5})
	res, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Reference: "zettle", Lines: []inventory.MoveLine{
		{Variant: ref(v[1]), FromLocationID: store, ToLocationID: warehouse, Quantity: 1337},
		{Variant: ref(v[0]), FromLocationID: store, ToLocationID: warehouse, Quantity: 42},
	}})
	if err != nil {
		t.Fatalf("MoveStock(42, 1337) error = %v", err)
	}
	if res.BalanceLocationID != store {
		t.Errorf("MoveStock(42, 1337) balance location = %d, want the source %d", res.BalanceLocationID, store)
	}
	want := []inventory.Balance{{VariantID: v[0], LocationID: store, LocationType: models.LocationStore, OnHand: 196},
		{VariantID: v[1], LocationID: store, LocationType: models.LocationStore, OnHand: 10696}}
	if len(res.Balances) != 2 || res.Balances[0] != want[0] || res.Balances[1] != want[1] {
		t.Errorf("MoveStock(42, 1337) balances = %+v, want %+v", res.Balances, want)
	}
	if got := f.item(t, v[0], warehouse).OnHand; got != 42 {
		t.Errorf("warehouse onHand of variant %d = %d, want 42", v[0], got)
	}
	if got := f.item(t, v[1], warehouse).OnHand; got != 1342 {
		t.Errorf("warehouse onHand of variant %d = %d, want 1342", v[1], got)
	}
	if len(res.Movements) != 2 || len(res.Items) != 4 {
		t.Errorf("MoveStock(42, 1337) movements, items = %d, %d, want 2, 4", len(res.Movements), len(res.Items))
	}
	for _, m := range res.Movements {
		if m.OperationID != res.Movements[0].OperationID || m.Reason != "move" || m.Reference != "zettle" || m.FromBalance == nil || m.ToBalance == nil {
			t.Errorf("movement = %+v, want one operation, reason move, reference zettle, both balances", m)
		}
	}
	if m := res.Movements[0]; *m.FromBalance != 10696 || *m.ToBalance != 1342 {
		t.Errorf("movement of 1337 balances = %d → %d, want 10696 → 1342", *m.FromBalance, *m.ToBalance)
	}
	// The result's movements are the ledger's rows, IDs and times included.
	for _, m := range res.Movements {
		var stored models.Movement
		if err := f.db.Where("store_id = ? AND id = ?", f.actor.Store.ID, m.ID).Take(&stored).Error; err != nil {
			t.Fatalf("load movement %d: %v", m.ID, err)
		}
		if !m.CreatedAt.Equal(stored.CreatedAt) || m.Quantity != stored.Quantity || m.VariantID != stored.VariantID {
			t.Errorf("returned movement %d = %d of variant %d at %v, want the stored %d of variant %d at %v",
				m.ID, m.Quantity, m.VariantID, m.CreatedAt, stored.Quantity, stored.VariantID, stored.CreatedAt)
		}
	}
	// The destination's balances on request.
	res, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{ReturnBalanceFor: warehouse, Lines: []inventory.MoveLine{
		{Variant: ref(v[0]), FromLocationID: store, ToLocationID: warehouse, Quantity: 6}}})
	if err != nil || len(res.Balances) != 1 || res.Balances[0].OnHand != 48 || res.Balances[0].LocationID != warehouse {
		t.Errorf("MoveStock(returnBalanceFor warehouse) = %+v, %v, want onHand 48 at %d", res.Balances, err, warehouse)
	}
	f.mustBeConsistent(t)
}

func TestMoveMoreThanAvailableWritesNothing(t *testing.T) {
	f := newFixture(t, 2, 2)
	ctx := context.Background()
	v, a, b := f.variants, f.physical[0], f.physical[1]
	f.setOnHand(t, a, map[int64]int{v[0]: 10, v[1]: 10})
	before, movements := f.items(t), f.movementCount(t)
	for name, lines := range map[string][]inventory.MoveLine{
		"too many":       {{Variant: ref(v[0]), FromLocationID: a, ToLocationID: b, Quantity: 11}},
		"second line":    {{Variant: ref(v[1]), FromLocationID: a, ToLocationID: b, Quantity: 5}, {Variant: ref(v[0]), FromLocationID: a, ToLocationID: b, Quantity: 11}},
		"running total":  {{Variant: ref(v[0]), FromLocationID: a, ToLocationID: b, Quantity: 6}, {Variant: ref(v[0]), FromLocationID: a, ToLocationID: f.virtual(t).sold, Quantity: 5}},
		"damaged absent": {{Variant: ref(v[0]), FromLocationID: a, FromState: models.StateDamaged, ToLocationID: f.virtual(t).bin, Quantity: 1}},
	} {
		_, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: lines})
		e := wantAppErr(t, "MoveStock("+name+")", err, apperr.NegativeStock)
		if want := len(lines) - 1; e.Index != want {
			t.Errorf("MoveStock(%s) error index = %d, want %d", name, e.Index, want)
		}
	}
	if got := f.movementCount(t); got != movements {
		t.Errorf("movements after failed moves = %d, want %d", got, movements)
	}
	for id, it := range f.items(t) {
		if it.Revision != before[id].Revision || qlevelsOf(it) != qlevelsOf(before[id]) {
			t.Errorf("item %d after failed moves = %+v rev %d, want %+v rev %d", id, qlevelsOf(it), it.Revision, qlevelsOf(before[id]), before[id].Revision)
		}
	}
}

// TestMoveBetweenStates: on hand to damaged and to quality control at one
// location changes both columns and writes the ledger.
func TestMoveBetweenStates(t *testing.T) {
	f := newFixture(t, 1, 1)
	ctx := context.Background()
	v, l := f.variants[0], f.physical[0]
	f.setOnHand(t, l, map[int64]int{v: 20})
	res, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Reason: "inspection", Lines: []inventory.MoveLine{
		{Variant: ref(v), FromLocationID: l, ToLocationID: l, ToState: models.StateDamaged, Quantity: 3},
		{Variant: ref(v), FromLocationID: l, ToLocationID: l, ToState: models.StateQualityControl, Quantity: 5},
		{Variant: ref(v), FromLocationID: l, FromState: models.StateQualityControl, ToLocationID: l, ToState: models.StateDamaged, Quantity: 1},
	}})
	if err != nil {
		t.Fatalf("MoveStock(states) error = %v", err)
	}
	it := f.item(t, v, l)
	if got, want := qlevelsOf(it), (qlevels{OnHand: 12, Damaged: 4, QC: 4}); got != want {
		t.Errorf("item after state moves = %+v, want %+v", got, want)
	}
	if len(res.Items) != 1 || qlevelsOf(res.Items[0]) != qlevelsOf(it) || res.Items[0].Revision != it.Revision {
		t.Errorf("MoveStock(states) items = %+v, want the one item as stored", res.Items)
	}
	m := res.Movements[0]
	if m.FromState != models.StateOnHand || m.ToState != models.StateDamaged || m.FromLocationID != l || m.ToLocationID != l || *m.FromBalance != 17 || *m.ToBalance != 3 {
		t.Errorf("first movement = %s@%d (%v) → %s@%d (%v), want ON_HAND@%d (17) → DAMAGED@%d (3)", m.FromState, m.FromLocationID, *m.FromBalance, m.ToState, m.ToLocationID, *m.ToBalance, l, l)
	}
	if b := res.Balances; len(b) != 1 || b[0].OnHand != 12 {
		t.Errorf("MoveStock(states) balances = %+v, want onHand 12", b)
	}
	// States that moves do not change.
	for _, s := range []models.QuantityState{models.StateBackordered, models.StateCommitted, models.StatePreordered} {
		_, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v), FromLocationID: l, ToLocationID: l, ToState: s, Quantity: 1}}})
		wantAppErr(t, "MoveStock(to "+string(s)+")", err, apperr.BadUserInput)
	}
	_, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v), FromLocationID: l, ToLocationID: l, Quantity: 1}}})
	wantAppErr(t, "MoveStock(same place)", err, apperr.BadUserInput)
	f.mustBeConsistent(t)
}

// TestMoveIncomingKeepsEarliestDate: incoming units carry the earliest
// expected date of those still incoming at the item.
func TestMoveIncomingKeepsEarliestDate(t *testing.T) {
	f := newFixture(t, 1, 1)
	ctx := context.Background()
	v, l, supplier := f.variants[0], f.physical[0], f.virtual(t).supplier
	day := func(n int) *time.Time {
		d := time.Date(2030, 1, n, 12, 0, 0, 0, time.UTC)
		return &d
	}
	incoming := func(q int, at *time.Time) inventory.MoveLine {
		return inventory.MoveLine{Variant: ref(v), FromLocationID: supplier, ToLocationID: l, ToState: models.StateIncoming, Quantity: q, ExpectedAt: at}
	}
	check := func(what string, res inventory.MoveResult, incoming int, want *time.Time) {
		t.Helper()
		it := f.item(t, v, l)
		if it.Incoming != incoming || !sameTime(it.NextIncomingAt, want) {
			t.Errorf("after %s item incoming, nextIncomingAt = %d, %v, want %d, %v", what, it.Incoming, it.NextIncomingAt, incoming, want)
		}
		if len(res.Items) != 1 || !sameTime(res.Items[0].NextIncomingAt, want) {
			t.Errorf("%s returned item nextIncomingAt = %v, want %v as stored", what, res.Items[0].NextIncomingAt, want)
		}
	}
	res, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{incoming(5, day(20)), incoming(3, day(10))}})
	if err != nil {
		t.Fatalf("MoveStock(incoming) error = %v", err)
	}
	check("two incoming lines", res, 8, day(10))
	res, _ = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{incoming(1, day(25))}})
	check("a later date", res, 9, day(10))
	res, _ = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{incoming(1, day(5))}})
	check("an earlier date", res, 10, day(5))
	res, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{
		{Variant: ref(v), FromLocationID: l, FromState: models.StateIncoming, ToLocationID: l, Quantity: 10}}})
	if err != nil {
		t.Fatalf("MoveStock(receive all) error = %v", err)
	}
	check("receiving everything", res, 0, nil)
	if got := f.item(t, v, l).OnHand; got == 0 {
		t.Errorf("onHand after receiving = 0, want the 10 received on top")
	}
	// Units that arrive in the move that announced them leave no date.
	res, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{incoming(4, day(7)),
		{Variant: ref(v), FromLocationID: l, FromState: models.StateIncoming, ToLocationID: l, Quantity: 4}}})
	if err != nil {
		t.Fatalf("MoveStock(announce and receive) error = %v", err)
	}
	check("announcing and receiving at once", res, 0, nil)
	_, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{
		{Variant: ref(v), FromLocationID: supplier, ToLocationID: l, Quantity: 1, ExpectedAt: day(3)}}})
	wantAppErr(t, "MoveStock(expectedAt to ON_HAND)", err, apperr.BadUserInput)
	f.mustBeConsistent(t)
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// TestMoveVirtualEnds: virtual to virtual is refused; the balance of a
// virtual location is the ledger's.
func TestMoveVirtualEnds(t *testing.T) {
	f := newFixture(t, 2, 1)
	ctx := context.Background()
	v, l, virt := f.variants, f.physical[0], f.virtual(t)
	f.setOnHand(t, l, map[int64]int{v[0]: 30, v[1]: 30})
	_, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v[0]), FromLocationID: virt.supplier, ToLocationID: virt.sold, Quantity: 1}}})
	wantAppErr(t, "MoveStock(SUPPLIER → SOLD)", err, apperr.BadUserInput)
	_, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v[0]), FromLocationID: l, ToLocationID: virt.sold, ToState: models.StateDamaged, Quantity: 1}}})
	wantAppErr(t, "MoveStock(to DAMAGED at SOLD)", err, apperr.BadUserInput)
	_, err = inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Lines: []inventory.MoveLine{{Variant: ref(v[0]), FromLocationID: l, ToLocationID: 1 << 40, Quantity: 1}}})
	wantAppErr(t, "MoveStock(unknown location)", err, apperr.NotFound)

	sell := func(q0, q1 int) inventory.MoveResult {
		t.Helper()
		res, err := inventory.MoveStock(ctx, f.db, f.actor, inventory.Move{Reason: "sale", ReturnBalanceFor: virt.sold, Lines: []inventory.MoveLine{
			{Variant: ref(v[0]), FromLocationID: l, ToLocationID: virt.sold, Quantity: q0},
			{Variant: ref(v[1]), FromLocationID: l, ToLocationID: virt.sold, Quantity: q1}}})
		if err != nil {
			t.Fatalf("MoveStock(to SOLD) error = %v", err)
		}
		return res
	}
	sell(5, 1)
	// Backorders also come from SOLD, in their own state: not a balance.
	f.configure(t, inventory.ConfigurationPatch{BackordersEnabled: ptr(true)})
	if _, err := inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: l,
		Lines: []inventory.SettingsLine{{Variant: ref(v[0]), BackorderLimit: ptr(10)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "backorder",
		Lines: []inventory.AdjustLine{{LocationID: l, Variant: ref(v[0]), QtyBackordered: ptr(4)}}}); err != nil {
		t.Fatal(err)
	}
	res := sell(3, 2)
	want := []inventory.Balance{{VariantID: v[0], LocationID: virt.sold, LocationType: models.LocationSold, OnHand: 8},
		{VariantID: v[1], LocationID: virt.sold, LocationType: models.LocationSold, OnHand: 3}}
	if len(res.Balances) != 2 || res.Balances[0] != want[0] || res.Balances[1] != want[1] {
		t.Errorf("MoveStock(returnBalanceFor SOLD) balances = %+v, want %+v", res.Balances, want)
	}
	if m := res.Movements[0]; m.FromBalance == nil || *m.FromBalance != 22 || m.ToBalance != nil {
		t.Errorf("movement to SOLD balances = %v → %v, want 22 → none (virtual end)", m.FromBalance, m.ToBalance)
	}
	f.mustBeConsistent(t)
}
