package inventory_test

import (
	"context"
	"math"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// clientCodes are the refusals an adjustment may answer with: any other
// error (INTERNAL above all) is a bug, whatever the quantities sent.
var clientCodes = map[apperr.Code]bool{
	apperr.BadUserInput: true, apperr.NegativeStock: true,
	apperr.FeatureDisabled: true, apperr.BackorderLimitExceeded: true,
}

// FuzzAdjustQuantities sends any quantities (int64's extremes included),
// absolute or relative, with the store's switches flipped at random, to
// one item whose levels carry over from one input to the next. An
// adjustment either applies exactly what it says, leaving levels within
// their bounds, or is refused as a client mistake with the item untouched;
// and the ledger always explains the levels.
func FuzzAdjustQuantities(f *testing.F) {
	fx := newFixture(f, 1, 1)
	variant, location := fx.variants[0], fx.physical[0]
	if err := fx.db.Exec(`UPDATE inventory_items SET backorder_limit = 50 WHERE store_id = ?`, fx.actor.Store.ID).Error; err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), int64(40), int64(0))
	f.Add(uint8(1|2|8), int64(-45), int64(0))
	f.Add(uint8(1|4|16), int64(0), int64(51))
	f.Add(uint8(1|8|16), int64(math.MaxInt64), int64(math.MinInt64))
	f.Add(uint8(8), int64(inventory.MaxLevel+1), int64(0))
	f.Add(uint8(1|8), int64(2*inventory.MaxLevel), int64(0))
	f.Fuzz(func(t *testing.T, flags uint8, quantity, backordered int64) {
		relative, allowNegative, backorders := flags&1 != 0, flags&2 != 0, flags&4 != 0
		if err := fx.db.Exec(`UPDATE stores SET allow_negative_stock = ?, backorders_enabled = ? WHERE id = ?`,
			allowNegative, backorders, fx.actor.Store.ID).Error; err != nil {
			t.Fatal(err)
		}
		line := inventory.AdjustLine{LocationID: location, Variant: inventory.VariantRef{VariantID: variant}}
		if flags&8 != 0 || flags&16 == 0 {
			line.Quantity = ptr(int(quantity))
		}
		if flags&16 != 0 {
			line.QtyBackordered = ptr(int(backordered))
		}
		mode := inventory.Absolute
		if relative {
			mode = inventory.Relative
		}
		before := fx.item(t, variant, location)
		_, err := inventory.Adjust(context.Background(), fx.db, fx.actor, inventory.Adjustment{Mode: mode, Reason: "fuzz", Lines: []inventory.AdjustLine{line}})
		after := fx.item(t, variant, location)
		if err != nil {
			if !clientCodes[apperr.CodeOf(err)] {
				t.Fatalf("Adjust(%s %+v) error = %v (code %s), want a client mistake's code", mode, describeLine(line), err, apperr.CodeOf(err))
			}
			if levels(after) != levels(before) || after.Revision != before.Revision {
				t.Fatalf("refused Adjust(%s %+v) changed the item: %v → %v", mode, describeLine(line), levels(before), levels(after))
			}
			return
		}
		checkApplied(t, mode, line, before, after, allowNegative)
		fx.mustBeConsistent(t)
	})
}

// checkApplied checks that an accepted adjustment did what it said and
// left the levels within their bounds.
func checkApplied(t *testing.T, mode inventory.AdjustMode, line inventory.AdjustLine, before, after models.InventoryItem, allowNegative bool) {
	t.Helper()
	want := levels(before)
	if q := line.Quantity; q != nil {
		want[0] = *q
		if mode == inventory.Relative {
			want[0] = before.OnHand + *q
		}
	}
	if b := line.QtyBackordered; b != nil {
		want[1] = *b
		if mode == inventory.Relative {
			want[1] = before.QtyBackordered + *b
		}
	}
	got := levels(after)
	switch {
	case got != want:
		t.Fatalf("Adjust(%s %+v) from %v = %v, want %v", mode, describeLine(line), levels(before), got, want)
	case got[0] > inventory.MaxLevel || got[0] < -inventory.MaxLevel:
		t.Fatalf("Adjust(%s %+v) left on hand %d, outside ±%d", mode, describeLine(line), got[0], inventory.MaxLevel)
	case got[0] < 0 && got[0] < before.OnHand && !allowNegative:
		t.Fatalf("Adjust(%s %+v) took on hand from %d to %d with negative stock not allowed", mode, describeLine(line), before.OnHand, got[0])
	case got[1] < 0 || (got[1] > before.QtyBackordered && got[1] > after.BackorderLimit):
		t.Fatalf("Adjust(%s %+v) left %d backordered (limit %d)", mode, describeLine(line), got[1], after.BackorderLimit)
	}
}

// levels is an item's on hand and backordered quantities.
func levels(it models.InventoryItem) [2]int { return [2]int{it.OnHand, it.QtyBackordered} }

// describeLine prints a line's quantities rather than their pointers.
func describeLine(l inventory.AdjustLine) map[string]any {
	d := map[string]any{}
	if l.Quantity != nil {
		d["quantity"] = *l.Quantity
	}
	if l.QtyBackordered != nil {
		d["qtyBackordered"] = *l.QtyBackordered
	}
	return d
}
