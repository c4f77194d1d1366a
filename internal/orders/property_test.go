package orders_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/inventory"
	"stockgraph/internal/orders"
)

// TestRandomOrderSteps runs random streams of every order step, with
// stock arriving between them, and checks after each step that the
// ledger explains every level, that items hold exactly their allocations'
// units, and that no item has more committed than on hand (no overdraw
// here: nothing is paid). Every failure must be a client error.
func TestRandomOrderSteps(t *testing.T) {
	skus := []string{"A", "B", "C"}
	for seed := range uint64(3) {
		f := setup(t, skus...)
		f.configure(t, true, true, false)
		for _, s := range skus {
			f.settings(t, s, "WH-A", inventory.SettingsLine{BackorderLimit: ptr(4), PreorderEnabled: ptr(s == "C"), PreorderLimit: ptr(3)})
			f.stock(t, s, "WH-B", 3)
		}
		r := rand.New(rand.NewPCG(seed, 11))
		w := walker{f: f, r: r, skus: skus}
		for step := range 120 {
			name, err := w.step(t)
			if err != nil && apperr.CodeOf(err) == apperr.Internal {
				t.Fatalf("seed %d step %d %s: %v", seed, step, name, err)
			}
			if step%10 == 9 {
				f.mustAddUp(t)
				w.noOverdraw(t)
			}
		}
		f.mustAddUp(t)
	}
}

// walker takes random order steps on a fixture.
type walker struct {
	f            *fixture
	r            *rand.Rand
	skus         []string
	orders       []int64
	reservations []int64
}

func (w *walker) lines() []orders.LineInput {
	var out []orders.LineInput
	for range 1 + w.r.IntN(2) {
		out = append(out, line(w.skus[w.r.IntN(len(w.skus))], 1+w.r.IntN(4)))
	}
	return out
}

func (w *walker) pick(ids []int64) int64 {
	if len(ids) == 0 {
		return 999999
	}
	return ids[w.r.IntN(len(ids))]
}

// step takes one random step and returns its name and error.
func (w *walker) step(t *testing.T) (string, error) {
	f, r := w.f, w.r
	switch r.IntN(9) {
	case 0, 1:
		res, err := orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{Lines: w.lines(), AllowBackorder: r.IntN(2) == 0, AllowPreorder: r.IntN(2) == 0})
		if err == nil {
			w.orders = append(w.orders, res.Value.ID)
		}
		return "createOrder", err
	case 2:
		id := w.pick(w.orders)
		_, err := orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: id})
		return "fulfillOrder", err
	case 3:
		_, err := orders.CancelOrder(ctx, f.db, f.actor, orders.Cancellation{OrderID: w.pick(w.orders)})
		return "cancelOrder", err
	case 4:
		id := w.pick(w.orders)
		var changes []orders.LineQuantity
		for _, l := range f.lineIDs(t, id) {
			changes = append(changes, orders.LineQuantity{LineID: l, Quantity: r.IntN(6)})
		}
		if len(changes) == 0 {
			changes = []orders.LineQuantity{{LineID: 999999, Quantity: 1}}
		}
		_, err := orders.UpdateOrder(ctx, f.db, f.actor, orders.OrderUpdate{OrderID: id, Lines: changes, AllowBackorder: true})
		return "updateOrder", err
	case 5:
		res, err := orders.Reserve(ctx, f.db, f.actor, orders.NewReservation{Lines: w.lines(), TTL: time.Hour})
		if err == nil {
			w.reservations = append(w.reservations, res.Value.ID)
		}
		return "reserveStock", err
	case 6:
		id := w.pick(w.reservations)
		switch r.IntN(3) {
		case 0:
			_, err := orders.ReleaseReservation(ctx, f.db, f.actor, id)
			return "releaseReservation", err
		case 1:
			res, err := orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{ReservationID: id})
			if err == nil {
				w.orders = append(w.orders, res.Value.ID)
			}
			return "convert", err
		}
		f.db.Exec(`UPDATE reservations SET expires_at = now() WHERE id = ?`, id)
		_, err := orders.ExpireDue(ctx, f.db, 10)
		return "expire", err
	case 7:
		sku, code := w.skus[r.IntN(len(w.skus))], []string{"WH-A", "WH-B"}[r.IntN(2)]
		_, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Relative, Reason: "received",
			Lines: []inventory.AdjustLine{{LocationID: f.loc[code], Variant: inventory.VariantRef{SKU: sku}, Quantity: ptr(1 + r.IntN(4))}}})
		return "receive", err
	}
	_, err := orders.FulfillBackorders(ctx, f.db, f.actor, orders.BackorderFill{})
	return "fulfillBackorders", err
}

// noOverdraw checks no item has more committed than on hand.
func (w *walker) noOverdraw(t *testing.T) {
	t.Helper()
	var bad []int64
	w.f.db.Raw(`SELECT id FROM inventory_items WHERE store_id = ? AND committed > on_hand`, w.f.actor.Store.ID).Scan(&bad)
	if len(bad) > 0 {
		t.Errorf("items with more committed than on hand: %v", bad)
	}
}
