package orders_test

import (
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/internal/orders"
	"stockgraph/internal/sourcing"
	"stockgraph/models"
)

func TestCreateOrderSourcesByPriority(t *testing.T) {
	f := setup(t)
	f.stock(t, "SKU-1", "WH-A", 3)
	f.stock(t, "SKU-1", "WH-B", 5)
	o := f.order(t, orders.NewOrder{Reference: "#1001", Lines: []orders.LineInput{line("SKU-1", 6)}})
	if got, want := f.allocations(t, o.ID), "SKU-1@WH-A:STOCK×3 SKU-1@WH-B:STOCK×3"; got != want {
		t.Errorf("allocations = %q, want %q", got, want)
	}
	if o.Status != models.OrderOpen || o.Reference != "#1001" || o.InventoryModelID != f.model {
		t.Errorf("order = %+v, want OPEN #1001 in the default model", o)
	}
	for code, want := range map[string]string{"WH-A": "3/3/0/0", "WH-B": "5/3/0/0"} {
		if got := f.levelsOf(t, "SKU-1", code); got != want {
			t.Errorf("SKU-1 at %s on hand/committed/backordered/preordered = %s, want %s", code, got, want)
		}
	}
	if got, want := f.eventTypes(t, "createOrder"), "STOCK_CHANGED OUT_OF_STOCK AVAILABILITY_CHANGED ALLOCATED STOCK_CHANGED ALLOCATED"; got != want {
		t.Errorf("events = %q, want %q", got, want)
	}
	f.mustAddUp(t)
}

// TestBigCommerce409 is the backorders document's example: 10 available
// and 45 more for backorder; an order for more gets OUT_OF_STOCK with
// those numbers and writes nothing; an order for exactly that much
// backorders 45 and reaches the limit.
func TestBigCommerce409(t *testing.T) {
	f := setup(t)
	f.configure(t, true, false, false)
	f.stock(t, "SKU-1", "WH-A", 10)
	f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{BackorderLimit: ptr(45)})
	_, err := orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 56)}, AllowBackorder: true})
	errs := wantCode(t, "order for 56", err, apperr.OutOfStock)
	if len(errs) != 1 {
		t.Fatalf("errors = %d, want 1", len(errs))
	}
	ext := errs[0].Extensions()
	for k, want := range map[string]any{"variantId": f.variants["SKU-1"], "sku": "SKU-1", "locationId": f.loc["WH-A"],
		"availableQuantity": 10, "availableQuantityForBackorder": 45, "field": "lines.quantity", "index": 0} {
		if ext[k] != want {
			t.Errorf("extensions[%s] = %v, want %v", k, ext[k], want)
		}
	}
	var n int64
	f.db.Model(&models.Order{}).Count(&n)
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "10/0/0/0" || n != 0 {
		t.Errorf("after the refused order: levels %s and %d orders, want 10/0/0/0 and none", got, n)
	}
	o := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 55)}, AllowBackorder: true})
	if got, want := f.allocations(t, o.ID), "SKU-1@WH-A:STOCK×10 SKU-1@WH-A:BACKORDER×45[held]"; got != want {
		t.Errorf("allocations = %q, want %q", got, want)
	}
	if got, want := f.eventTypes(t, "createOrder"), "STOCK_CHANGED OUT_OF_STOCK BACKORDER_LIMIT_REACHED AVAILABILITY_CHANGED ALLOCATED BACKORDERED"; got != want {
		t.Errorf("events = %q, want %q", got, want)
	}
	f.mustAddUp(t)
}

func TestCreateOrderErrors(t *testing.T) {
	f := setup(t, "SKU-1", "SKU-2")
	f.stock(t, "SKU-1", "WH-A", 2)
	tests := []struct {
		name   string
		in     orders.NewOrder
		code   apperr.Code
		fields []string
		index  []int
	}{
		{"no lines", orders.NewOrder{}, apperr.BadUserInput, []string{"lines"}, []int{-1}},
		{"zero quantity", orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 1), line("SKU-1", 0)}}, apperr.BadUserInput, []string{"lines.quantity"}, []int{1}},
		{"unknown model", orders.NewOrder{InventoryModelID: 999999, Lines: []orders.LineInput{line("SKU-1", 1)}}, apperr.NotFound, []string{"inventoryModelId"}, []int{-1}},
		{"unknown SKU", orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 1), line("NOPE", 1)}}, apperr.NotFound, []string{"lines.sku"}, []int{1}},
		{"each short line", orders.NewOrder{Lines: []orders.LineInput{line("SKU-2", 1), line("SKU-1", 2), line("SKU-1", 1)}},
			apperr.OutOfStock, []string{"lines.quantity", "lines.quantity"}, []int{0, 2}},
		{"lines with a reservation", orders.NewOrder{ReservationID: 1, Lines: []orders.LineInput{line("SKU-1", 1)}}, apperr.BadUserInput, []string{"lines"}, []int{-1}},
		{"unknown reservation", orders.NewOrder{ReservationID: 999999}, apperr.NotFound, []string{"reservationId"}, []int{-1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := orders.CreateOrder(ctx, f.db, f.actor, tt.in)
			errs := wantCode(t, tt.name, err, tt.code)
			if len(errs) != len(tt.fields) {
				t.Fatalf("errors = %v, want %d", errs, len(tt.fields))
			}
			for i, e := range errs {
				if e.Field != tt.fields[i] || e.Index != tt.index[i] {
					t.Errorf("error %d field, index = %q, %d, want %q, %d", i, e.Field, e.Index, tt.fields[i], tt.index[i])
				}
			}
		})
	}
	f.mustAddUp(t)
}

func TestCreateOrderHoldsPreordersAndOverdraws(t *testing.T) {
	f := setup(t, "SKU-1", "SKU-2", "SKU-3")
	f.configure(t, true, true, true)
	f.stock(t, "SKU-1", "WH-A", 1)
	f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{PreorderEnabled: ptr(true), PreorderLimit: ptr(4), BackorderLimit: ptr(9)})
	f.stock(t, "SKU-2", "WH-B", 5)
	f.stock(t, "SKU-3", "WH-A", 2)
	if _, err := sourcing.UpdateStockLevel(ctx, f.db, f.actor.Store.ID, f.levels["WH-B"], sourcing.LevelPatch{OnHold: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	o := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 6), line("SKU-2", 2)}, AllowBackorder: true, AllowPreorder: true})
	want := "SKU-1@WH-A:STOCK×1 SKU-1@WH-A:PREORDER×4[held] SKU-1@WH-A:BACKORDER×1[held] SKU-2@WH-B:STOCK×2[held]"
	if got := f.allocations(t, o.ID); got != want {
		t.Errorf("allocations = %q, want %q", got, want)
	}
	// Unpaid, an order cannot take more than there is; paid, it may where
	// the store allows negative stock (Wix), and shipping it goes below zero.
	_, err := orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{Lines: []orders.LineInput{line("SKU-3", 3)}})
	wantCode(t, "unpaid order for 3 of 2", err, apperr.OutOfStock)
	paid := f.order(t, orders.NewOrder{Lines: []orders.LineInput{line("SKU-3", 3)}, Paid: true})
	if _, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: paid.ID}); err != nil {
		t.Fatal(err)
	}
	if got := f.levelsOf(t, "SKU-3", "WH-A"); got != "-1/0/0/0" {
		t.Errorf("SKU-3 after shipping the paid order = %s, want -1/0/0/0", got)
	}
	f.mustAddUp(t)
}

func TestCreateOrderIsIdempotent(t *testing.T) {
	f := setup(t)
	f.stock(t, "SKU-1", "WH-A", 5)
	in := orders.NewOrder{Lines: []orders.LineInput{line("SKU-1", 2)}, IdempotencyKey: "checkout-1"}
	first, err := orders.CreateOrder(ctx, f.db, f.actor, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := orders.CreateOrder(ctx, f.db, f.actor, in)
	if err != nil || again.Value.ID != first.Value.ID || !again.Replayed || first.Replayed {
		t.Fatalf("replay = %+v, %v; want order %d replayed", again, err, first.Value.ID)
	}
	in.Lines[0].Quantity = 3
	_, err = orders.CreateOrder(ctx, f.db, f.actor, in)
	wantCode(t, "same key, other lines", err, apperr.IdempotencyKeyReused)
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "5/2/0/0" {
		t.Errorf("levels = %s, want 5/2/0/0 (one order)", got)
	}
	f.mustAddUp(t)
}

func TestSourcingPreviewWritesNothing(t *testing.T) {
	f := setup(t, "SKU-1", "SKU-2")
	f.stock(t, "SKU-1", "WH-A", 2)
	f.stock(t, "SKU-1", "WH-B", 2)
	p, err := orders.SourcingPreview(ctx, f.db, f.actor, orders.PreviewInput{Lines: []orders.LineInput{line("SKU-1", 3), line("NOPE", 1), line("SKU-2", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Lines) != 3 || len(p.Lines[0].Takes) != 2 || p.Lines[0].Takes[0].Quantity != 2 || p.Lines[0].Takes[1].Quantity != 1 {
		t.Fatalf("preview line 0 = %+v, want 2 from WH-A and 1 from WH-B", p.Lines[0])
	}
	if p.Lines[1].Error == nil || p.Lines[1].Error.Code != apperr.NotFound {
		t.Errorf("preview line 1 error = %v, want NOT_FOUND", p.Lines[1].Error)
	}
	if p.Lines[2].Shortfall == nil || p.Lines[2].Sources[0].Skipped == "" {
		t.Errorf("preview line 2 = %+v, want a shortfall and skipped sources", p.Lines[2])
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "2/0/0/0" {
		t.Errorf("levels after a preview = %s, want 2/0/0/0", got)
	}
}
