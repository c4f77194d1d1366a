package orders_test

import (
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/internal/orders"
	"stockgraph/models"
)

// lineIDs returns an order's line IDs in position order.
func (f *fixture) lineIDs(t testing.TB, orderID int64) []int64 {
	t.Helper()
	var ids []int64
	if err := f.db.Raw(`SELECT id FROM order_lines WHERE store_id = ? AND order_id = ? ORDER BY position`, f.actor.Store.ID, orderID).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestFulfillOrder(t *testing.T) {
	f := setup(t, "SKU-1", "SKU-2")
	f.stock(t, "SKU-1", "WH-A", 5)
	f.stock(t, "SKU-2", "WH-B", 5)
	o := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 4), line("SKU-2", 2)}})
	lines := f.lineIDs(t, o.ID)

	res, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID, Lines: []orders.LineQuantity{{LineID: lines[0], Quantity: 3}}})
	if err != nil || res.Value.Status != models.OrderOpen {
		t.Fatalf("partial fulfilment = %+v, %v; want the order still OPEN", res.Value, err)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "2/1/0/0" {
		t.Errorf("SKU-1 after shipping 3 of 4 = %s, want 2/1/0/0", got)
	}
	if got := f.eventTypes(t, "fulfillOrder"); got != "STOCK_CHANGED FULFILLED" {
		t.Errorf("fulfilment events = %q, want STOCK_CHANGED FULFILLED", got)
	}
	for _, tt := range []struct {
		name  string
		lines []orders.LineQuantity
		code  apperr.Code
	}{
		{"more than open", []orders.LineQuantity{{LineID: lines[0], Quantity: 2}}, apperr.BadUserInput},
		{"no such line", []orders.LineQuantity{{LineID: 999999, Quantity: 1}}, apperr.NotFound},
		{"zero", []orders.LineQuantity{{LineID: lines[1], Quantity: 0}}, apperr.BadUserInput},
	} {
		_, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID, Lines: tt.lines})
		wantCode(t, tt.name, err, tt.code)
	}
	res, err = orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID})
	if err != nil || res.Value.Status != models.OrderFulfilled {
		t.Fatalf("fulfil the rest = %+v, %v; want FULFILLED", res.Value, err)
	}
	_, err = orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID})
	wantCode(t, "fulfil a fulfilled order", err, apperr.Conflict)
	_, err = orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: 999999})
	wantCode(t, "fulfil no order", err, apperr.NotFound)
	f.mustAddUp(t)
}

func TestHeldShipmentsDoNotShip(t *testing.T) {
	f := setup(t)
	f.configure(t, true, false, false)
	f.stock(t, "SKU-1", "WH-A", 1)
	f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{BackorderLimit: ptr(5)})
	o := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 3)}, AllowBackorder: true})
	lines := f.lineIDs(t, o.ID)
	_, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID, Lines: []orders.LineQuantity{{LineID: lines[0], Quantity: 2}}})
	errs := wantCode(t, "ship 2 with 1 shippable", err, apperr.ShipmentOnHold)
	if errs[0].Extra["quantityShippable"] != 1 {
		t.Errorf("quantityShippable = %v, want 1", errs[0].Extra["quantityShippable"])
	}
	if _, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID}); err != nil {
		t.Fatalf("ship what can ship: %v", err)
	}
	_, err = orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID})
	wantCode(t, "ship with only backorders left", err, apperr.ShipmentOnHold)
	f.mustAddUp(t)
}

func TestCancelOrder(t *testing.T) {
	f := setup(t, "SKU-1", "SKU-2")
	f.configure(t, true, false, false)
	f.stock(t, "SKU-1", "WH-A", 2)
	f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{BackorderLimit: ptr(5)})
	f.stock(t, "SKU-2", "WH-A", 2)
	o := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 4), line("SKU-2", 2)}, AllowBackorder: true})
	lines := f.lineIDs(t, o.ID)
	if _, err := orders.CancelOrder(ctx, f.db, f.actor, orders.Cancellation{OrderID: o.ID, LineIDs: []int64{lines[0]}}); err != nil {
		t.Fatal(err)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "2/0/0/0" {
		t.Errorf("SKU-1 after cancelling its line = %s, want 2/0/0/0", got)
	}
	if got := f.eventTypes(t, "cancelOrder"); got != "STOCK_CHANGED BACK_IN_STOCK AVAILABILITY_CHANGED RELEASED" {
		t.Errorf("cancel events = %q", got)
	}
	_, err := orders.CancelOrder(ctx, f.db, f.actor, orders.Cancellation{OrderID: o.ID, LineIDs: []int64{999999}})
	wantCode(t, "cancel no line", err, apperr.NotFound)
	if _, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID, Lines: []orders.LineQuantity{{LineID: lines[1], Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	res, err := orders.CancelOrder(ctx, f.db, f.actor, orders.Cancellation{OrderID: o.ID})
	if err != nil || res.Value.Status != models.OrderFulfilled {
		t.Errorf("cancel the rest after shipping one = %+v, %v; want FULFILLED (a unit shipped)", res.Value, err)
	}
	other := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 1)}})
	res, err = orders.CancelOrder(ctx, f.db, f.actor, orders.Cancellation{OrderID: other.ID})
	if err != nil || res.Value.Status != models.OrderCancelled {
		t.Errorf("cancel a whole order = %+v, %v; want CANCELLED", res.Value, err)
	}
	f.mustAddUp(t)
}

func TestUpdateOrder(t *testing.T) {
	f := setup(t)
	f.configure(t, true, false, false)
	f.stock(t, "SKU-1", "WH-A", 3)
	f.stock(t, "SKU-1", "WH-B", 1)
	f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{BackorderLimit: ptr(2)})
	o := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 2)}})
	l := f.lineIDs(t, o.ID)[0]
	update := func(n int) error {
		_, err := orders.UpdateOrder(ctx, f.db, f.actor, orders.OrderUpdate{OrderID: o.ID, Lines: []orders.LineQuantity{{LineID: l, Quantity: n}}, AllowBackorder: true})
		return err
	}
	if err := update(6); err != nil {
		t.Fatal(err)
	}
	if got, want := f.allocations(t, o.ID), "SKU-1@WH-A:STOCK×3 SKU-1@WH-B:STOCK×1 SKU-1@WH-A:BACKORDER×2[held]"; got != want {
		t.Errorf("after growing to 6: %q, want %q", got, want)
	}
	errs := wantCode(t, "grow past backorders", update(7), apperr.OutOfStock)
	if errs[0].Extra["availableQuantityForBackorder"] != 0 || errs[0].Index != 0 {
		t.Errorf("OUT_OF_STOCK = %+v", errs[0])
	}
	if err := update(3); err != nil {
		t.Fatal(err)
	}
	if got, want := f.allocations(t, o.ID), "SKU-1@WH-A:STOCK×3"; got != want {
		t.Errorf("after shrinking to 3 (backorders, then lowest priority go first): %q, want %q", got, want)
	}
	if _, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: o.ID, Lines: []orders.LineQuantity{{LineID: l, Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "shrink below fulfilled", update(1), apperr.BadUserInput)
	f.mustAddUp(t)
}

// TestFulfillBackordersOldestFirst: stock received goes to the oldest
// waiting backorders, and those units can then ship.
func TestFulfillBackordersOldestFirst(t *testing.T) {
	f := setup(t)
	f.configure(t, true, false, false)
	f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{BackorderLimit: ptr(10)})
	older := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 2)}, AllowBackorder: true})
	newer := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 2)}, AllowBackorder: true})
	f.stock(t, "SKU-1", "WH-A", 3)
	filled, err := orders.FulfillBackorders(ctx, f.db, f.actor, orders.BackorderFill{Variant: &inventory.VariantRef{SKU: "SKU-1"}})
	if err != nil || filled.Units != 3 || len(filled.OrderIDs) != 2 {
		t.Fatalf("FulfillBackorders = %+v, %v; want 3 units over 2 orders", filled, err)
	}
	if got := f.allocations(t, older.ID); got != "SKU-1@WH-A:STOCK×2" {
		t.Errorf("older order = %q, want all stock", got)
	}
	if got := f.allocations(t, newer.ID); got != "SKU-1@WH-A:BACKORDER×1[held] SKU-1@WH-A:STOCK×1" {
		t.Errorf("newer order = %q, want 1 backordered, 1 stock", got)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "3/3/1/0" {
		t.Errorf("levels = %s, want 3/3/1/0", got)
	}
	if _, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: older.ID}); err != nil {
		t.Errorf("ship the filled order: %v", err)
	}
	again, err := orders.FulfillBackorders(ctx, f.db, f.actor, orders.BackorderFill{})
	if err != nil || again.Units != 0 {
		t.Errorf("FulfillBackorders with no stock = %+v, %v; want nothing", again, err)
	}
	f.mustAddUp(t)
}
