package inventory_test

import (
	"context"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
)

// statements runs fn and returns how many SQL statements the pool sent
// meanwhile. The counter counts GORM's query, create, update, delete, row
// and raw callbacks; BEGIN and COMMIT are not among them.
func statements(t *testing.T, db *database.DB, fn func() error) int64 {
	t.Helper()
	before := db.Statements()
	if err := fn(); err != nil {
		t.Fatalf("batch error = %v", err)
	}
	return db.Statements() - before
}

// TestBatchesRunInConstantStatements: an adjustment or a move of 1,000
// items sends as many statements as one of 10.
func TestBatchesRunInConstantStatements(t *testing.T) {
	f, db := newCountedFixture(t, 100, 10, 1)
	ctx := context.Background()
	if len(f.variants) != 1000 {
		t.Fatalf("seeded variants = %d, want 1000", len(f.variants))
	}
	l, sold := f.physical[0], f.virtual(t).sold
	adjustment := func(n, q int) inventory.Adjustment {
		a := inventory.Adjustment{Mode: inventory.Absolute, Reason: "count"}
		for _, v := range f.variants[:n] {
			a.Lines = append(a.Lines, inventory.AdjustLine{LocationID: l, Variant: ref(v), Quantity: ptr(q)})
		}
		return a
	}
	moveOf := func(n int) inventory.Move {
		var m inventory.Move
		for _, v := range f.variants[:n] {
			m.Lines = append(m.Lines, inventory.MoveLine{Variant: ref(v), FromLocationID: l, ToLocationID: sold, Quantity: 1})
		}
		return m
	}
	const most = 12
	small := statements(t, db, func() error { _, err := inventory.Adjust(ctx, f.db, f.actor, adjustment(10, 500)); return err })
	large := statements(t, db, func() error { _, err := inventory.Adjust(ctx, f.db, f.actor, adjustment(1000, 500)); return err })
	t.Logf("statements: Adjust(10 items) %d, Adjust(1000 items) %d", small, large)
	if small != large || large > most {
		t.Errorf("statements of Adjust(10 items), Adjust(1000 items) = %d, %d, want equal and at most %d", small, large, most)
	}
	small = statements(t, db, func() error { _, err := inventory.MoveStock(ctx, f.db, f.actor, moveOf(10)); return err })
	large = statements(t, db, func() error { _, err := inventory.MoveStock(ctx, f.db, f.actor, moveOf(1000)); return err })
	t.Logf("statements: MoveStock(10 lines) %d, MoveStock(1000 lines) %d", small, large)
	if small != large || large > most {
		t.Errorf("statements of MoveStock(10 lines), MoveStock(1000 lines) = %d, %d, want equal and at most %d", small, large, most)
	}
	if got := f.item(t, f.variants[999], l).OnHand; got != 499 {
		t.Errorf("onHand of the last variant = %d, want 499", got)
	}
	f.mustBeConsistent(t)

	a := adjustment(1000, 1)
	a.Lines = append(a.Lines, a.Lines[0])
	_, err := inventory.Adjust(ctx, f.db, f.actor, a)
	if e := wantAppErr(t, "Adjust(1001 items)", err, apperr.BadUserInput); e.Field != "items" {
		t.Errorf("Adjust(1001 items) error field = %q, want items", e.Field)
	}
	m := moveOf(1000)
	m.Lines = append(m.Lines, m.Lines[0])
	_, err = inventory.MoveStock(ctx, f.db, f.actor, m)
	wantAppErr(t, "MoveStock(1001 lines)", err, apperr.BadUserInput)
	_, err = inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count"})
	wantAppErr(t, "Adjust(no items)", err, apperr.BadUserInput)
}

// mixedBatch has good lines at 0, 2 and 5 and a bad line at 1 (unknown
// SKU), 3 (more than on hand) and 4 (the item of line 0 again).
func mixedBatch(f fixture, policy inventory.ErrorPolicy) inventory.Adjustment {
	l, v := f.physical[0], f.variants
	return inventory.Adjustment{Mode: inventory.Relative, Reason: "batch", Policy: policy, Lines: []inventory.AdjustLine{
		{LocationID: l, Variant: ref(v[0]), Quantity: ptr(1)},
		{LocationID: l, Variant: inventory.VariantRef{SKU: "NO-SUCH-SKU"}, Quantity: ptr(1)},
		{LocationID: l, Variant: ref(v[1]), Quantity: ptr(2)},
		{LocationID: l, Variant: ref(v[2]), Quantity: ptr(-50)},
		{LocationID: l, Variant: ref(v[0]), Quantity: ptr(3)},
		{LocationID: l, Variant: ref(v[3]), Quantity: ptr(-4)},
	}}
}

var mixedBatchErrors = map[int]apperr.Code{1: apperr.NotFound, 3: apperr.NegativeStock, 4: apperr.BadUserInput}

func TestRejectFailedRowsAppliesTheGoodLines(t *testing.T) {
	f := newFixture(t, 4, 1)
	ctx := context.Background()
	l, v := f.physical[0], f.variants
	f.setOnHand(t, l, map[int64]int{v[0]: 10, v[1]: 10, v[2]: 10, v[3]: 10})
	movements := f.movementCount(t)
	res, err := inventory.Adjust(ctx, f.db, f.actor, mixedBatch(f, inventory.RejectFailedRows))
	if err != nil {
		t.Fatalf("Adjust(REJECT_FAILED_ROWS) error = %v, want per-line errors", err)
	}
	if len(res.Lines) != 6 {
		t.Fatalf("Adjust(REJECT_FAILED_ROWS) lines = %d, want 6", len(res.Lines))
	}
	for i, lr := range res.Lines {
		code, bad := mixedBatchErrors[i]
		switch {
		case lr.Index != i:
			t.Errorf("line %d index = %d, want %d", i, lr.Index, i)
		case bad && (lr.Error == nil || lr.Error.Code != code || lr.Error.Index != i || lr.Item != nil):
			t.Errorf("line %d = item %v, error %v, want only error %s at index %d", i, lr.Item, lr.Error, code, i)
		case !bad && (lr.Error != nil || lr.Item == nil):
			t.Errorf("line %d = item %v, error %v, want its item", i, lr.Item, lr.Error)
		}
	}
	if len(res.Items) != 3 || len(res.Movements) != 3 {
		t.Errorf("Adjust(REJECT_FAILED_ROWS) items, movements = %d, %d, want 3, 3", len(res.Items), len(res.Movements))
	}
	for variant, want := range map[int64]int{v[0]: 11, v[1]: 12, v[2]: 10, v[3]: 6} {
		if got := f.item(t, variant, l).OnHand; got != want {
			t.Errorf("onHand of variant %d = %d, want %d", variant, got, want)
		}
	}
	if got := f.movementCount(t); got != movements+3 {
		t.Errorf("movements = %d, want %d", got, movements+3)
	}
	f.mustBeConsistent(t)
}

// TestRejectEverythingListsEveryFailure: nothing is written, and the
// error lists every failing line, whichever step found it.
func TestRejectEverythingListsEveryFailure(t *testing.T) {
	f := newFixture(t, 4, 1)
	ctx := context.Background()
	l, v := f.physical[0], f.variants
	f.setOnHand(t, l, map[int64]int{v[0]: 10, v[1]: 10, v[2]: 10, v[3]: 10})
	before, movements := f.items(t), f.movementCount(t)
	for _, policy := range []inventory.ErrorPolicy{"", inventory.RejectEverything} {
		_, err := inventory.Adjust(ctx, f.db, f.actor, mixedBatch(f, policy))
		e := wantAppErr(t, "Adjust("+string(policy)+")", err, apperr.NotFound)
		if e.Index != 1 {
			t.Errorf("Adjust(%q) error index = %d, want 1 (the first failing line)", policy, e.Index)
		}
		list, _ := e.Extensions()["errors"].([]map[string]any)
		got := map[int]apperr.Code{}
		for _, x := range list {
			i, _ := x["index"].(int)
			code, _ := x["code"].(string)
			got[i] = apperr.Code(code)
		}
		if len(list) != len(mixedBatchErrors) || len(got) != len(mixedBatchErrors) {
			t.Errorf("Adjust(%q) extensions.errors = %v, want one per failing line: %v", policy, list, mixedBatchErrors)
		}
		for i, code := range mixedBatchErrors {
			if got[i] != code {
				t.Errorf("Adjust(%q) extensions.errors[index %d] = %q, want %s", policy, i, got[i], code)
			}
		}
	}
	if got := f.movementCount(t); got != movements {
		t.Errorf("movements after rejected batch = %d, want %d", got, movements)
	}
	for id, it := range f.items(t) {
		if it.Revision != before[id].Revision || it.OnHand != before[id].OnHand {
			t.Errorf("item %d after rejected batch = %d rev %d, want %d rev %d", id, it.OnHand, it.Revision, before[id].OnHand, before[id].Revision)
		}
	}
	// Two failures found by the same step are both listed too.
	_, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "batch", Lines: []inventory.AdjustLine{
		{LocationID: l, Variant: ref(v[0]), Quantity: ptr(-11)},
		{LocationID: l, Variant: ref(v[1]), Quantity: ptr(1)},
		{LocationID: l, Variant: ref(v[2]), Quantity: ptr(-12)},
	}})
	e := wantAppErr(t, "Adjust(two oversells)", err, apperr.NegativeStock)
	if list, _ := e.Extensions()["errors"].([]map[string]any); len(list) != 2 || list[0]["index"] != 0 || list[1]["index"] != 2 {
		t.Errorf("Adjust(two oversells) extensions.errors = %v, want indexes 0 and 2", list)
	}
	f.mustBeConsistent(t)
}
