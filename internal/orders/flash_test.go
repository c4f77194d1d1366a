package orders_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/orders"
	"stockgraph/models"
)

// TestFlashSale: 64 orders race for one unit each of a SKU with 10 on
// hand and a backorder limit of 5, each in a transaction of its own and
// through a Coalescer. Exactly 10 are allocated from stock, 5 backordered
// and 49 refused with OUT_OF_STOCK, and the ledger, the events and the
// allocations agree. make test runs it 20 times under -race.
func TestFlashSale(t *testing.T) {
	t.Run("one by one", func(t *testing.T) {
		f := setup(t)
		flashSale(t, f, orders.OneByOne{DB: f.db})
	})
	t.Run("coalesced", func(t *testing.T) {
		f := setup(t)
		flashSale(t, f, orders.NewCoalescer(f.db))
	})
}

func flashSale(t *testing.T, f *fixture, placer interface {
	CreateOrder(context.Context, inventory.Actor, orders.NewOrder) (orders.Result[models.Order], error)
}) {
	f.configure(t, true, false, false)
	f.stock(t, "SKU-1", "WH-A", 10)
	f.settings(t, "SKU-1", "WH-A", inventory.SettingsLine{BackorderLimit: ptr(5)})
	var wg sync.WaitGroup
	results := make(chan error, 64)
	start := make(chan struct{})
	for i := range 64 {
		wg.Go(func() {
			<-start
			_, err := placer.CreateOrder(ctx, f.actor, orders.NewOrder{Reference: fmt.Sprintf("flash-%d", i),
				Lines: []orders.LineInput{line("SKU-1", 1)}, AllowBackorder: true})
			results <- err
		})
	}
	close(start)
	wg.Wait()
	close(results)
	placed, refused := 0, 0
	for err := range results {
		switch {
		case err == nil:
			placed++
		case apperr.CodeOf(err) == apperr.OutOfStock:
			refused++
		default:
			t.Errorf("order error = %v, want nil or OUT_OF_STOCK", err)
		}
	}
	if placed != 15 || refused != 49 {
		t.Errorf("placed %d and refused %d orders, want 15 and 49", placed, refused)
	}
	if got := f.levelsOf(t, "SKU-1", "WH-A"); got != "10/10/5/0" {
		t.Errorf("on hand/committed/backordered/preordered = %s, want 10/10/5/0", got)
	}
	var counts struct{ Allocated, Backordered, LimitReached, Committed, Backorders int }
	err := f.db.Raw(`SELECT
		(SELECT count(*) FROM stock_events WHERE store_id = ? AND type = 'ALLOCATED') AS allocated,
		(SELECT count(*) FROM stock_events WHERE store_id = ? AND type = 'BACKORDERED') AS backordered,
		(SELECT count(*) FROM stock_events WHERE store_id = ? AND type = 'BACKORDER_LIMIT_REACHED') AS limit_reached,
		(SELECT coalesce(sum(quantity), 0) FROM inventory_movements WHERE store_id = ? AND reason = 'createOrder' AND to_state = 'COMMITTED') AS committed,
		(SELECT coalesce(sum(quantity), 0) FROM inventory_movements WHERE store_id = ? AND reason = 'createOrder' AND to_state = 'BACKORDERED') AS backorders`,
		f.actor.Store.ID, f.actor.Store.ID, f.actor.Store.ID, f.actor.Store.ID, f.actor.Store.ID).Scan(&counts).Error
	if err != nil {
		t.Fatal(err)
	}
	if counts != (struct{ Allocated, Backordered, LimitReached, Committed, Backorders int }{10, 5, 1, 10, 5}) {
		t.Errorf("events ALLOCATED, BACKORDERED, BACKORDER_LIMIT_REACHED and ledger committed, backordered = %+v, want 10, 5, 1, 10, 5", counts)
	}
	f.mustAddUp(t)
}

// TestOrdersAcrossSKUsNeverDeadlock: orders naming several SKUs in
// different orders, with cancellations and fulfilments among them, all
// finish, and PostgreSQL finds no deadlock to break: every step locks
// orders, then items in ID order.
func TestOrdersAcrossSKUsNeverDeadlock(t *testing.T) {
	deadlocksBefore := database.Deadlocks()
	skus := []string{"A", "B", "C", "D", "E"}
	f := setup(t, skus...)
	for _, s := range skus {
		f.stock(t, s, "WH-A", 30)
		f.stock(t, s, "WH-B", 30)
	}
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 7))
			for range 8 {
				perm := r.Perm(len(skus))
				var lines []orders.LineInput
				for _, i := range perm[:3] {
					lines = append(lines, line(skus[i], 1+r.IntN(3)))
				}
				res, err := orders.CreateOrder(ctx, f.db, f.actor, orders.NewOrder{Lines: lines})
				if err != nil {
					if apperr.CodeOf(err) != apperr.OutOfStock {
						t.Errorf("order %v: %v", lines, err)
					}
					continue
				}
				if r.IntN(2) == 0 {
					_, err = orders.CancelOrder(ctx, f.db, f.actor, orders.Cancellation{OrderID: res.Value.ID})
				} else {
					_, err = orders.FulfillOrder(ctx, f.db, f.actor, orders.Fulfilment{OrderID: res.Value.ID})
				}
				if err != nil {
					t.Errorf("step on order %d: %v", res.Value.ID, err)
				}
			}
		})
	}
	wg.Wait()
	if n := database.Deadlocks() - deadlocksBefore; n != 0 {
		t.Errorf("deadlocks met = %d, want 0", n)
	}
	f.mustAddUp(t)
}
