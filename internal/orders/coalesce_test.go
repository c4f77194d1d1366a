package orders_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/internal/orders"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// twinStore is a fixture whose IDs start at a base of its own, so that a
// twin's IDs can be told from quantities when its outcomes are normalized.
func twinStore(t *testing.T, db *gorm.DB, handle string, base int64) *fixture {
	t.Helper()
	for _, table := range []string{"stores", "locations", "products", "variants", "inventory_items", "inventory_models",
		"stock_levels", "orders", "order_lines", "allocations"} {
		if err := db.Exec(`SELECT setval(pg_get_serial_sequence(?, 'id'), ?)`, table, base).Error; err != nil {
			t.Fatal(err)
		}
	}
	return setupIn(t, db, handle)
}

var longNumber = regexp.MustCompile(`\b[0-9]{7,}\b`)

// normalized is s with the twin's IDs (seven digits or more) replaced.
func normalized(s string) string { return longNumber.ReplaceAllString(s, "<id>") }

// outcome is an order's result as the client sees it, normalized.
func (f *fixture) outcome(t *testing.T, id int64, replayed bool, err error) string {
	t.Helper()
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			return "not a refusal: " + err.Error()
		}
		b, _ := json.Marshal(map[string]any{"message": e.Message, "extensions": e.Extensions()})
		return normalized(string(b))
	}
	o, err := orders.GetOrder(ctx, f.db, f.actor.Store.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	var lines []models.OrderLine
	if err := f.db.Where("store_id = ? AND order_id = ?", f.actor.Store.ID, id).Order("position").Find(&lines).Error; err != nil {
		t.Fatal(err)
	}
	var ls []string
	for _, l := range lines {
		ls = append(ls, fmt.Sprintf("%s×%d", l.SKU, l.Quantity))
	}
	return fmt.Sprintf("%s %s paid=%v replayed=%v lines=%v allocations=%s", o.Reference, o.Status, o.Paid, replayed, ls, f.allocations(t, id))
}

// afterwards is the SKU's levels at both warehouses and the store's
// ledger rows and events after the given IDs, normalized.
func (f *fixture) afterwards(t *testing.T, movement, event int64) string {
	t.Helper()
	var ms []models.Movement
	var evs []models.StockEvent
	f.db.Where("store_id = ? AND id > ?", f.actor.Store.ID, movement).Order("id").Find(&ms)
	f.db.Where("store_id = ? AND id > ?", f.actor.Store.ID, event).Order("id").Find(&evs)
	out := []any{f.levelsOf(t, "SKU-1", "WH-A"), f.levelsOf(t, "SKU-1", "WH-B")}
	for _, m := range ms {
		out = append(out, []any{m.FromState, m.ToState, m.Quantity, m.Reason, m.Reference, m.FromBalance, m.ToBalance})
	}
	for _, e := range evs {
		out = append(out, []any{e.Type, e.Before, e.After, e.Reason, e.Reference, len(e.MovementIDs)})
	}
	b, _ := json.Marshal(out)
	return normalized(string(b))
}

func (f *fixture) lastIDs(t *testing.T) (movement, event int64) {
	t.Helper()
	f.db.Raw(`SELECT coalesce(max(id), 0) FROM inventory_movements WHERE store_id = ?`, f.actor.Store.ID).Scan(&movement)
	f.db.Raw(`SELECT coalesce(max(id), 0) FROM stock_events WHERE store_id = ?`, f.actor.Store.ID).Scan(&event)
	return movement, event
}

// drawOrders draws up to 12 single-line orders of SKU-1: some that stock
// covers, some that backorder or are refused, some sent again with their
// idempotency key, some reusing a key for another order.
func drawOrders(rng *rand.Rand, stream int) []orders.NewOrder {
	out := make([]orders.NewOrder, 2+rng.IntN(11))
	for i := range out {
		in := orders.NewOrder{Reference: fmt.Sprintf("o-%d-%d", stream, i), Lines: []orders.LineInput{line("SKU-1", 1+rng.IntN(4))},
			AllowBackorder: rng.IntN(2) == 0, Paid: rng.IntN(4) == 0}
		if rng.IntN(3) == 0 {
			in.IdempotencyKey = fmt.Sprintf("k-%d-%d", stream, rng.IntN(3))
		}
		if i > 0 && rng.IntN(6) == 0 {
			in = out[rng.IntN(i)] // a retry, or the same key twice
		}
		out[i] = in
	}
	return out
}

// TestCoalescedOrdersEqualOneByOne places the same random streams of
// single-line orders as one coalesced group in one store and one by one
// in its twin, and compares every order or refusal, and the stock, ledger
// rows and events after each stream.
func TestCoalescedOrdersEqualOneByOne(t *testing.T) {
	db := testdb.MustOpenDB(t).DB
	grouped, single := twinStore(t, db, "grouped", 7_000_000), twinStore(t, db, "single", 8_000_000)
	for _, f := range []*fixture{grouped, single} {
		f.stock(t, "SKU-1", "WH-A", 0)
		f.stock(t, "SKU-1", "WH-B", 0)
	}
	rng := rand.New(rand.NewPCG(2, 20))
	seen := map[string]int{}
	for stream := range 40 {
		backorders, a, b, limit := rng.IntN(4) > 0, rng.IntN(9), rng.IntN(5), rng.IntN(6)
		for _, f := range []*fixture{grouped, single} {
			f.configure(t, true, false, false)
			f.stock(t, "SKU-1", "WH-A", a+f.item(t, "SKU-1", "WH-A").Committed)
			f.stock(t, "SKU-1", "WH-B", b+f.item(t, "SKU-1", "WH-B").Committed)
			f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{BackorderLimit: ptr(limit + f.item(t, "SKU-1", "WH-A").QtyBackordered)})
			f.configure(t, backorders, false, false)
		}
		ins := drawOrders(rng, stream)
		gm, ge := grouped.lastIDs(t)
		sm, se := single.lastIDs(t)
		ids, replayed, errs, err := orders.PlaceGroup(ctx, db, grouped.actor, ins)
		if err != nil {
			t.Fatalf("stream %d: the group failed: %v", stream, err)
		}
		for i, in := range ins {
			res, err := orders.CreateOrder(ctx, db, single.actor, in)
			seen[kindOf(res.Replayed, err)]++
			got, want := grouped.outcome(t, ids[i], replayed[i], errs[i]), single.outcome(t, res.Value.ID, res.Replayed, err)
			if got != want {
				t.Fatalf("stream %d, order %d (%+v):\ncoalesced  %s\none by one %s", stream, i, in, got, want)
			}
		}
		if got, want := grouped.afterwards(t, gm, ge), single.afterwards(t, sm, se); got != want {
			t.Fatalf("stream %d: stock, ledger and events differ:\ncoalesced  %s\none by one %s", stream, got, want)
		}
	}
	grouped.mustAddUp(t)
	single.mustAddUp(t)
	for _, kind := range []string{"placed", "replayed", string(apperr.OutOfStock), string(apperr.IdempotencyKeyReused)} {
		if seen[kind] == 0 {
			t.Errorf("no order of the streams was %s (outcomes: %v)", kind, seen)
		}
	}
	t.Logf("outcomes: %v", seen)
}

func kindOf(replayed bool, err error) string {
	switch {
	case err != nil:
		return string(apperr.CodeOf(err))
	case replayed:
		return "replayed"
	}
	return "placed"
}
