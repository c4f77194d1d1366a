package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"stockgraph/internal/orders"
)

// lineFigures prints a line's quantities: quantity, allocated,
// backordered, fulfilled, cancelled, open.
func lineFigures(l orderLine) string {
	return fmt.Sprintf("q%d a%d b%d f%d c%d o%d", l.Quantity, l.QuantityAllocated, l.QuantityBackordered, l.QuantityFulfilled, l.QuantityCancelled, l.QuantityOpen)
}

// TestOrderLifecycle walks an order through fulfil, fulfillBackorders,
// update and cancel, checking the line and the item after each step.
func TestOrderLifecycle(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 3, 5)
	o, r := f.createOrder(map[string]any{"lines": lines("sku-1", 5), "idempotencyKey": "k1"})
	if len(r.Errors) > 0 {
		t.Fatalf("createOrder = %+v", r.Errors)
	}
	again, _ := f.createOrder(map[string]any{"lines": lines("sku-1", 5), "idempotencyKey": "k1"})
	if again.ID != o.ID {
		t.Errorf("createOrder replayed = order %s, want %s", again.ID, o.ID)
	}
	line := o.Lines[0].ID
	steps := []struct {
		name, query string
		in          map[string]any
		status      string
		figures     string
		item        [3]int // onHand, committed, qtyBackordered at location 1
	}{
		{"fulfil what can ship", `mutation($in: FulfillOrderInput!) { fulfillOrder(input: $in) { order { ` + orderFields + ` } } }`,
			map[string]any{"orderId": o.ID}, "OPEN", "q5 a0 b2 f3 c0 o2", [3]int{0, 0, 2}},
		{"stock arrives: nothing changes by itself", `mutation($in: AdjustInventoryInput!) { adjustInventoryAbsolute(input: $in) { replayed } }`,
			map[string]any{"reason": "received", "items": []map[string]any{{"locationId": f.loc[1], "sku": "sku-1", "quantity": 2}}}, "OPEN", "q5 a0 b2 f3 c0 o2", [3]int{2, 0, 2}},
		{"fulfillBackorders", `mutation($in: FulfillBackordersInput!) { fulfillBackorders(input: $in) { quantity orders { id } } }`,
			map[string]any{"sku": "sku-1"}, "OPEN", "q5 a2 b0 f3 c0 o2", [3]int{2, 2, 0}},
		{"update to 7", `mutation($in: UpdateOrderInput!) { updateOrder(input: $in) { order { id } } }`,
			map[string]any{"orderId": o.ID, "lines": []map[string]any{{"lineId": line, "quantity": 7}}}, "OPEN", "q7 a2 b2 f3 c0 o4", [3]int{2, 2, 2}},
		{"update to 6", `mutation($in: UpdateOrderInput!) { updateOrder(input: $in) { order { id } } }`,
			map[string]any{"orderId": o.ID, "lines": []map[string]any{{"lineId": line, "quantity": 6}}}, "OPEN", "q6 a2 b1 f3 c0 o3", [3]int{2, 2, 1}},
		{"cancel", `mutation($in: CancelOrderInput!) { cancelOrder(input: $in) { order { id } } }`,
			map[string]any{"orderId": o.ID}, "FULFILLED", "q6 a0 b0 f3 c3 o0", [3]int{2, 0, 0}},
	}
	for _, s := range steps {
		r := f.e.do(f.token, s.query, map[string]any{"in": s.in})
		if len(r.Errors) > 0 {
			t.Fatalf("%s = %+v", s.name, r.Errors)
		}
		var node struct{ Node order }
		f.e.mustData(f.token, `query($id: ID!) { node(id: $id) { ... on Order { `+orderFields+` } } }`, map[string]any{"id": o.ID}, &node)
		if got := node.Node.Status + " " + lineFigures(node.Node.Lines[0]); got != s.status+" "+s.figures {
			t.Errorf("after %s, order = %s, want %s %s", s.name, got, s.status, s.figures)
		}
		if got := f.onHandCommitted("sku-1", 1); got != s.item {
			t.Errorf("after %s, sku-1 onHand/committed/qtyBackordered = %v, want %v", s.name, got, s.item)
		}
	}
	f.mustBeConsistent()
}

const reservationFields = `id entityId status reference expiresAt endedAt inventoryModel { id }
	lines { quantity quantityAllocated sku } order { id reference }`

type reservation struct {
	ID, Status, Reference string
	EndedAt               *time.Time
	Lines                 []struct {
		Quantity, QuantityAllocated int
		Sku                         string
	}
	Order *struct{ ID, Reference string }
}

func (f *orderFixture) reservation(id string) reservation {
	f.e.t.Helper()
	var out struct{ Node reservation }
	f.e.mustData(f.token, `query($id: ID!) { node(id: $id) { ... on Reservation { `+reservationFields+` } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

// TestReservations: a reservation holds units, converts into an order
// once, is released once, and lapses by itself.
func TestReservations(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-2", 1, 5, 0)
	cart := f.reserve(map[string]any{"reference": "cart-1", "lines": lines("sku-2", 2)})
	if r := f.reservation(cart); r.Status != "ACTIVE" || r.Reference != "cart-1" || len(r.Lines) != 1 || r.Lines[0].QuantityAllocated != 2 || r.Order != nil {
		t.Fatalf("reserveStock = %+v, want ACTIVE cart-1 with 2 allocated and no order", r)
	}
	if got := f.onHandCommitted("sku-2", 1); got != [3]int{5, 2, 0} {
		t.Errorf("after reserveStock, sku-2 = %v, want [5 2 0]", got)
	}
	o, r := f.createOrder(map[string]any{"reservationId": cart})
	if len(r.Errors) > 0 {
		t.Fatalf("createOrder(reservationId) = %+v", r.Errors)
	}
	if o.Reference != "cart-1" || o.Reservation == nil || o.Reservation.ID != cart || lineFigures(o.Lines[0]) != "q2 a2 b0 f0 c0 o2" {
		t.Errorf("createOrder(reservationId) = %+v, want cart-1's order with its 2 units", o)
	}
	if r := f.reservation(cart); r.Status != "CONVERTED" || r.Order == nil || r.Order.ID != o.ID || r.EndedAt == nil {
		t.Errorf("converted reservation = %+v, want CONVERTED into %s", r, o.ID)
	}
	if got := f.onHandCommitted("sku-2", 1); got != [3]int{5, 2, 0} {
		t.Errorf("after converting, sku-2 = %v, want [5 2 0] (the same units)", got)
	}

	other := f.reserve(map[string]any{"lines": lines("sku-2", 3)})
	var rel struct {
		ReleaseReservation struct{ Reservation reservation }
	}
	f.e.mustData(f.token, `mutation($id: ID!) { releaseReservation(input: {id: $id}) { reservation { `+reservationFields+` } } }`, map[string]any{"id": other}, &rel)
	if r := rel.ReleaseReservation.Reservation; r.Status != "RELEASED" || r.EndedAt == nil {
		t.Errorf("releaseReservation = %+v, want RELEASED with endedAt", r)
	}
	if got := f.onHandCommitted("sku-2", 1); got != [3]int{5, 2, 0} {
		t.Errorf("after releasing, sku-2 = %v, want [5 2 0]", got)
	}

	lapsing := f.reserve(map[string]any{"ttlSeconds": 1, "lines": lines("sku-2", 3)})
	time.Sleep(1100 * time.Millisecond)
	// The server's expirer runs every few seconds; run it once now.
	if _, err := orders.ExpireDue(context.Background(), f.e.db.DB, 10); err != nil {
		t.Fatalf("ExpireDue: %v", err)
	}
	if r := f.reservation(lapsing); r.Status != "EXPIRED" {
		t.Errorf("reservation after its ttl = %s, want EXPIRED", r.Status)
	}
	if got := f.onHandCommitted("sku-2", 1); got != [3]int{5, 2, 0} {
		t.Errorf("after the lapse, sku-2 = %v, want [5 2 0]", got)
	}
	var list struct {
		Store struct {
			Reservations struct {
				Nodes      []struct{ ID, Status string }
				TotalCount int
			}
		}
	}
	f.e.mustData(f.token, `{ store { reservations(filter: {status: [RELEASED, EXPIRED]}) { nodes { id status } totalCount } } }`, nil, &list)
	if got := fmt.Sprint(list.Store.Reservations); got != fmt.Sprintf("{[{%s EXPIRED} {%s RELEASED}] 2}", lapsing, other) {
		t.Errorf("reservations(RELEASED, EXPIRED) = %s, want the lapsed then the released one", got)
	}
	f.mustBeConsistent()
}
