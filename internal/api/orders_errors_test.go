package api_test

import (
	"testing"

	"stockgraph/internal/api/relay"
)

// TestBigCommerceOutOfStock is BigCommerce's 409 example: 10 on hand and
// 45 more that can be backordered. An order for 56 fails with exactly one
// OUT_OF_STOCK error carrying those figures; 55 succeeds with 10
// allocated and 45 backordered.
func TestBigCommerceOutOfStock(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 10, 45)
	_, r := f.createOrder(map[string]any{"lines": lines("sku-1", 56)})
	if len(r.Errors) != 1 || string(r.Data) != "null" {
		t.Fatalf("createOrder(56) = data %s, errors %+v, want null data and one error", r.Data, r.Errors)
	}
	ext := r.Errors[0].Extensions
	want := map[string]any{"code": "OUT_OF_STOCK", "field": "input.lines[0].quantity", "index": float64(0),
		"variantId": f.v["sku-1"], "locationId": f.loc[1], "sku": "sku-1", "quantityRequested": float64(56),
		"availableQuantity": float64(10), "availableQuantityForBackorder": float64(45), "availableQuantityForPreorder": float64(0)}
	for k, v := range want {
		if ext[k] != v {
			t.Errorf("createOrder(56) extensions.%s = %v, want %v", k, ext[k], v)
		}
	}
	if n := f.onHandCommitted("sku-1", 1); n != [3]int{10, 0, 0} {
		t.Errorf("after the refused order, onHand/committed/qtyBackordered = %v, want [10 0 0]", n)
	}
	o, r := f.createOrder(map[string]any{"lines": lines("sku-1", 55)})
	if len(r.Errors) > 0 {
		t.Fatalf("createOrder(55) = %+v", r.Errors)
	}
	if l := o.Lines[0]; l.QuantityAllocated != 10 || l.QuantityBackordered != 45 || !l.OnHold {
		t.Errorf("createOrder(55) line = allocated %d, backordered %d, onHold %v; want 10, 45, true", l.QuantityAllocated, l.QuantityBackordered, l.OnHold)
	}
	if n := f.onHandCommitted("sku-1", 1); n != [3]int{10, 10, 45} {
		t.Errorf("after the order for 55, onHand/committed/qtyBackordered = %v, want [10 10 45]", n)
	}
}

// TestOutOfStockOneErrorPerLine: every failing line gets its own error,
// named by its own input path, and nothing is written.
func TestOutOfStockOneErrorPerLine(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 2, 0)
	f.stock("sku-2", 1, 5, 0)
	_, r := f.createOrder(map[string]any{"lines": lines("sku-1", 3, "sku-2", 1, "sku-3", 9)})
	var got []string
	for _, e := range r.Errors {
		got = append(got, e.Extensions["code"].(string)+" "+e.Extensions["field"].(string))
	}
	want := []string{"OUT_OF_STOCK input.lines[0].quantity", "OUT_OF_STOCK input.lines[2].quantity"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("createOrder errors = %v, want %v", got, want)
	}
	if n := f.onHandCommitted("sku-2", 1); n != [3]int{5, 0, 0} {
		t.Errorf("sku-2 after the refused order = %v, want [5 0 0]", n)
	}
}

// onHandCommitted reads an item's on hand, committed and backordered.
func (f *orderFixture) onHandCommitted(sku string, loc int) [3]int {
	f.e.t.Helper()
	var out struct {
		Store struct {
			Variant struct {
				Inventory struct {
					ByLocation []struct{ OnHand, Committed, QtyBackordered int }
				}
			}
		}
	}
	f.e.mustData(f.token, `query($s: String!, $l: ID!) { store { variant(sku: $s) { inventory { byLocation(locationIds: [$l]) { onHand committed qtyBackordered } } } } }`,
		map[string]any{"s": sku, "l": f.loc[loc]}, &out)
	bl := out.Store.Variant.Inventory.ByLocation
	if len(bl) == 0 {
		return [3]int{}
	}
	return [3]int{bl[0].OnHand, bl[0].Committed, bl[0].QtyBackordered}
}

// TestOrderErrors: each mutation's refusals, by code and input path.
func TestOrderErrors(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 1, 5)
	readOnly := f.e.token(f.e.entityID(f.e.storeGID(f.token)), "read_inventory")
	held, _ := f.createOrder(map[string]any{"lines": lines("sku-1", 3)}) // 1 from stock, 2 backordered
	closed, _ := f.createOrder(map[string]any{"lines": lines("sku-1", 1)})
	f.e.mustData(f.token, `mutation($o: ID!) { cancelOrder(input: {orderId: $o}) { order { status } } }`, map[string]any{"o": closed.ID}, nil)
	released := f.reserve(map[string]any{"lines": lines("sku-1", 1)})
	f.e.mustData(f.token, `mutation($r: ID!) { releaseReservation(input: {id: $r}) { reservation { status } } }`, map[string]any{"r": released}, nil)
	noModel, noOrder, noLine := relay.ID(relay.KindInventoryModel, 99999), relay.ID(relay.KindOrder, 99999), relay.ID(relay.KindOrderLine, 99999)
	line := held.Lines[0].ID
	const (
		update  = `mutation($in: UpdateOrderInput!) { updateOrder(input: $in) { order { id } } }`
		fulfill = `mutation($in: FulfillOrderInput!) { fulfillOrder(input: $in) { order { id } } }`
		cancel  = `mutation($in: CancelOrderInput!) { cancelOrder(input: $in) { order { id } } }`
		reserve = `mutation($in: ReserveStockInput!) { reserveStock(input: $in) { reservation { id } } }`
		release = `mutation($in: ReleaseReservationInput!) { releaseReservation(input: $in) { reservation { id } } }`
		fill    = `mutation($in: FulfillBackordersInput!) { fulfillBackorders(input: $in) { quantity } }`
	)
	for _, c := range []struct {
		name, token, query string
		in                 map[string]any
		code, field        string
	}{
		{"createOrder without write_inventory", readOnly, createOrder, map[string]any{"lines": lines("sku-1", 1)}, "FORBIDDEN", ""},
		{"createOrder of no model", f.token, createOrder, map[string]any{"inventoryModelId": noModel, "lines": lines("sku-1", 1)}, "NOT_FOUND", "input.inventoryModelId"},
		{"createOrder of no variant", f.token, createOrder, map[string]any{"lines": lines("sku-1", 1, "nope", 1)}, "NOT_FOUND", "input.lines[1].sku"},
		{"createOrder of no variant ID", f.token, createOrder, map[string]any{"lines": []map[string]any{{"variantId": relay.ID(relay.KindVariant, 99999), "quantity": 1}}}, "NOT_FOUND", "input.lines[0].variantId"},
		{"createOrder of 0 units", f.token, createOrder, map[string]any{"lines": lines("sku-1", 0)}, "BAD_USER_INPUT", "input.lines[0].quantity"},
		{"createOrder of no lines", f.token, createOrder, map[string]any{"lines": []any{}}, "BAD_USER_INPUT", "input.lines"},
		{"createOrder of a released reservation", f.token, createOrder, map[string]any{"reservationId": released}, "RESERVATION_ENDED", "input.reservationId"},
		{"updateOrder of no order", f.token, update, map[string]any{"orderId": noOrder, "lines": []map[string]any{{"lineId": line, "quantity": 1}}}, "NOT_FOUND", "input.orderId"},
		{"updateOrder of no line", f.token, update, map[string]any{"orderId": held.ID, "lines": []map[string]any{{"lineId": noLine, "quantity": 1}}}, "NOT_FOUND", "input.lines[0].lineId"},
		{"updateOrder beyond stock", f.token, update, map[string]any{"orderId": held.ID, "lines": []map[string]any{{"lineId": line, "quantity": 99}}}, "OUT_OF_STOCK", "input.lines[0].quantity"},
		{"updateOrder of a closed order", f.token, update, map[string]any{"orderId": closed.ID, "lines": []map[string]any{{"lineId": closed.Lines[0].ID, "quantity": 2}}}, "CONFLICT", ""},
		{"fulfillOrder of backorders", f.token, fulfill, map[string]any{"orderId": held.ID, "lines": []map[string]any{{"lineId": line, "quantity": 3}}}, "SHIPMENT_ON_HOLD", "input.lines[0].quantity"},
		{"fulfillOrder of 0 units", f.token, fulfill, map[string]any{"orderId": held.ID, "lines": []map[string]any{{"lineId": line, "quantity": 0}}}, "BAD_USER_INPUT", "input.lines[0].quantity"},
		{"fulfillOrder of a closed order", f.token, fulfill, map[string]any{"orderId": closed.ID}, "CONFLICT", ""},
		{"fulfillOrder without write_inventory", readOnly, fulfill, map[string]any{"orderId": held.ID}, "FORBIDDEN", ""},
		{"cancelOrder of no line", f.token, cancel, map[string]any{"orderId": held.ID, "lineIds": []string{noLine}}, "NOT_FOUND", "input.lineIds[0]"},
		{"cancelOrder of a closed order", f.token, cancel, map[string]any{"orderId": closed.ID}, "CONFLICT", ""},
		{"reserveStock for 0 seconds", f.token, reserve, map[string]any{"ttlSeconds": 0, "lines": lines("sku-1", 1)}, "BAD_USER_INPUT", "input.ttlSeconds"},
		{"reserveStock for 8 days", f.token, reserve, map[string]any{"ttlSeconds": 8 * 86400, "lines": lines("sku-1", 1)}, "BAD_USER_INPUT", "input.ttlSeconds"},
		{"reserveStock beyond stock", f.token, reserve, map[string]any{"lines": lines("sku-1", 99)}, "OUT_OF_STOCK", "input.lines[0].quantity"},
		{"releaseReservation twice", f.token, release, map[string]any{"id": released}, "RESERVATION_ENDED", ""},
		{"releaseReservation of none", f.token, release, map[string]any{"id": relay.ID(relay.KindReservation, 99999)}, "NOT_FOUND", ""},
		{"fulfillBackorders of no variant", f.token, fill, map[string]any{"sku": "nope"}, "NOT_FOUND", "input.sku"},
		{"fulfillBackorders of no variant ID", f.token, fill, map[string]any{"variantId": relay.ID(relay.KindVariant, 99999)}, "NOT_FOUND", "input.variantId"},
		{"fulfillBackorders without write_inventory", readOnly, fill, map[string]any{}, "FORBIDDEN", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.e.do(c.token, c.query, map[string]any{"in": c.in})
			if len(r.Errors) != 1 {
				t.Fatalf("%s = %+v, want one error %s", c.name, r.Errors, c.code)
			}
			field, _ := r.Errors[0].Extensions["field"].(string)
			if r.code() != c.code || (c.field != "" && field != c.field) {
				t.Errorf("%s = %s at %q (%s), want %s at %q", c.name, r.code(), field, r.Errors[0].Message, c.code, c.field)
			}
		})
	}
	if n := f.onHandCommitted("sku-1", 1); n != [3]int{1, 1, 2} {
		t.Errorf("sku-1 after the refusals = %v, want [1 1 2] (the held order's units only)", n)
	}
}

// reserve runs reserveStock and returns the reservation's ID.
func (f *orderFixture) reserve(in map[string]any) string {
	f.e.t.Helper()
	var out struct {
		ReserveStock struct{ Reservation struct{ ID string } }
	}
	f.e.mustData(f.token, `mutation($in: ReserveStockInput!) { reserveStock(input: $in) { reservation { id } } }`, map[string]any{"in": in}, &out)
	return out.ReserveStock.Reservation.ID
}
