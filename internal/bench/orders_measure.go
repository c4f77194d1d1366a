// This file places the orders benchmark's orders and reads the stock it
// checks them against.

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
)

// CreateOrderMutation places an order; the bench sends one line of one
// unit, with no backorders or preorders, from the default inventory model.
const CreateOrderMutation = `mutation BenchOrder($input: CreateOrderInput!) {
  createOrder(input: $input) { order { id } }
}`

// OrderResult is what one workload measured with one client count.
type OrderResult struct {
	Workload   string
	Clients    int
	Placed     int // orders the API placed (one unit each)
	Refused    int // OUT_OF_STOCK answers
	Errors     int // any other failure
	FirstError error
	Elapsed    time.Duration
	// Selling is how long orders were placed: until the last one placed
	// when the stock ran out (refusals are cheaper than orders), else
	// Elapsed.
	Selling            time.Duration
	OrdersPerSecond    float64 // Placed / Selling
	Percentiles                // of the placed orders' latencies
	StatementsPerOrder float64 // SQL statements per response
	Check              OrderCheck
}

// OrderCheck is the stock of a run's SKUs before and after it, and what
// the run wrote.
type OrderCheck struct {
	Before, After stockTotals
	OrdersCreated int64 // orders written during the run
	UnitsOrdered  int64 // their units
	HotStock      int   // units the hot SKU had for sale; 0 for spread
}

// stockTotals sums the items of some SKUs over all locations.
type stockTotals struct {
	Items     int
	OnHand    int64
	Committed int64
	Oversold  int // items whose committed, or open stock allocations, exceed on hand
	Drift     int // items whose committed differs from their open stock allocations
}

// measure runs one workload with n clients over skus and reads their
// stock before and after.
func (w *orderRun) measure(ctx context.Context, workload string, n int, skus []benchSKU, o OrderOptions) (OrderResult, error) {
	res := OrderResult{Workload: workload, Clients: n}
	c := w.client
	if workload == HotOneByOne {
		c = w.oneByOne
	}
	if isHot(workload) {
		res.Check.HotStock = o.HotStock
	} else if err := w.warmUp(ctx, c, skus[0]); err != nil {
		return res, fmt.Errorf("%s warm-up: %w", workload, err)
	}
	ids := make(database.Int64s, len(skus))
	for i, s := range skus {
		ids[i] = s.VariantID
	}
	var lastOrder int64
	var err error
	if res.Check.Before, lastOrder, err = w.stock(ctx, ids); err != nil {
		return res, err
	}
	w.sayStep("API %s: %d clients for %s over %d SKU(s)…", workload, n, o.Duration, len(skus))
	before := w.db.Statements()
	lat := w.drive(ctx, c, n, skus, o.Duration, &res)
	res.StatementsPerOrder = float64(w.db.Statements()-before) / float64(max(1, res.Placed+res.Refused+res.Errors))
	res.Percentiles = percentilesOf(lat)
	res.OrdersPerSecond = float64(res.Placed) / max(res.Selling, time.Millisecond).Seconds()
	if res.Check.After, _, err = w.stock(ctx, ids); err != nil {
		return res, err
	}
	if err := w.written(ctx, lastOrder, &res.Check); err != nil {
		return res, err
	}
	w.say("      %.1f orders/s, %d refused, p99 %s, %d errors", res.OrdersPerSecond, res.Refused, res.P99.Round(10*time.Microsecond), res.Errors)
	return res, ctx.Err()
}

// warmUp places one order, so that the measured run starts with a warm
// query cache and connection pool.
func (w *orderRun) warmUp(ctx context.Context, c *Client, s benchSKU) error {
	got, err := placeOrder(ctx, c, s.SKU)
	if err == nil && got != placed {
		err = fmt.Errorf("the warm-up order for %s was refused", s.SKU)
	}
	return err
}

// stockQuery sums the items of the variants, and counts those oversold
// (committed or open stock allocations above on hand) and those whose
// committed differs from their open stock allocations.
const stockQuery = `
WITH held AS (
	SELECT l.variant_id, a.location_id, sum(a.quantity) AS units
	FROM allocations a JOIN order_lines l ON l.store_id = a.store_id AND l.id = a.line_id
	WHERE a.store_id = ? AND a.kind = 'STOCK' AND a.counted AND l.variant_id = ANY(?::bigint[])
	GROUP BY 1, 2)
SELECT count(*) AS items, coalesce(sum(i.on_hand), 0) AS on_hand, coalesce(sum(i.committed), 0) AS committed,
       count(*) FILTER (WHERE i.committed > i.on_hand OR coalesce(h.units, 0) > i.on_hand) AS oversold,
       count(*) FILTER (WHERE i.committed <> coalesce(h.units, 0)) AS drift
FROM inventory_items i LEFT JOIN held h ON h.variant_id = i.variant_id AND h.location_id = i.location_id
WHERE i.store_id = ? AND i.variant_id = ANY(?::bigint[])`

// stock reads the totals of the variants' items and the store's last
// order ID.
func (w *orderRun) stock(ctx context.Context, ids database.Int64s) (stockTotals, int64, error) {
	var t stockTotals
	if err := w.db.WithContext(ctx).Raw(stockQuery, w.store, ids, w.store, ids).Scan(&t).Error; err != nil {
		return t, 0, fmt.Errorf("read the benchmark stock: %w", err)
	}
	var last int64
	err := w.db.WithContext(ctx).Raw(`SELECT coalesce(max(id), 0) FROM orders WHERE store_id = ?`, w.store).Scan(&last).Error
	if err != nil {
		return t, 0, fmt.Errorf("read the last order: %w", err)
	}
	return t, last, nil
}

// written counts the orders written after the order lastOrder, and their
// units.
func (w *orderRun) written(ctx context.Context, lastOrder int64, c *OrderCheck) error {
	var row struct{ Orders, Units int64 }
	err := w.db.WithContext(ctx).Raw(`SELECT count(DISTINCT o.id) AS orders, coalesce(sum(l.quantity), 0) AS units
		FROM orders o LEFT JOIN order_lines l ON l.store_id = o.store_id AND l.order_id = o.id
		WHERE o.store_id = ? AND o.id > ?`, w.store, lastOrder).Scan(&row).Error
	if err != nil {
		return fmt.Errorf("count the orders written: %w", err)
	}
	c.OrdersCreated, c.UnitsOrdered = row.Orders, row.Units
	return nil
}

// outcome is how the API answered an order.
type outcome int

const (
	placed  outcome = iota // the order was written
	refused                // OUT_OF_STOCK
	failed                 // anything else
)

// orderClient is what one client of a run saw.
type orderClient struct {
	latencies              []time.Duration // of placed orders
	placed, refused, erred int
	firstErr               error
	lastPlaced             time.Time
}

// drive runs n clients, each ordering one unit of a random SKU at a time,
// until d has passed, and returns the placed orders' latencies.
func (w *orderRun) drive(ctx context.Context, c *Client, n int, skus []benchSKU, d time.Duration, res *OrderResult) []time.Duration {
	clients := make([]orderClient, n)
	start := time.Now()
	res.Elapsed = runClients(ctx, n, d, func(i int) { clients[i].order(ctx, c, skus[rand.IntN(len(skus))].SKU) })
	res.Selling = res.Elapsed
	var all []time.Duration
	var last time.Time
	for _, c := range clients {
		all = append(all, c.latencies...)
		res.Placed, res.Refused, res.Errors = res.Placed+c.placed, res.Refused+c.refused, res.Errors+c.erred
		if res.FirstError == nil {
			res.FirstError = c.firstErr
		}
		if c.lastPlaced.After(last) {
			last = c.lastPlaced
		}
	}
	if res.Refused > 0 && !last.IsZero() {
		res.Selling = last.Sub(start)
	}
	return all
}

// order places one order and tallies its answer.
func (c *orderClient) order(ctx context.Context, client *Client, sku string) {
	begin := time.Now()
	got, err := placeOrder(ctx, client, sku)
	switch got {
	case placed:
		c.lastPlaced = time.Now()
		c.latencies = append(c.latencies, c.lastPlaced.Sub(begin))
		c.placed++
	case refused:
		c.refused++
	default:
		c.erred++
		if c.firstErr == nil {
			c.firstErr = err
		}
	}
}

// placeOrder orders one unit of sku through the API. A response whose
// errors are all OUT_OF_STOCK is a refusal; anything else that is not an
// order is a failure.
func placeOrder(ctx context.Context, c *Client, sku string) (outcome, error) {
	body, err := c.DoVars(ctx, CreateOrderMutation, map[string]any{"input": map[string]any{
		"lines": []map[string]any{{"sku": sku, "quantity": 1}}, "allowBackorder": false, "allowPreorder": false,
	}})
	if body == nil {
		return failed, err
	}
	var out struct {
		Data struct {
			CreateOrder *struct{ Order *struct{ ID string } }
		}
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if jerr := json.Unmarshal(body, &out); jerr != nil {
		return failed, errors.Join(err, fmt.Errorf("read the order's response: %w", jerr))
	}
	if len(out.Errors) > 0 {
		for _, e := range out.Errors {
			if e.Extensions.Code != string(apperr.OutOfStock) {
				return failed, err
			}
		}
		return refused, nil
	}
	if err != nil || out.Data.CreateOrder == nil || out.Data.CreateOrder.Order == nil || out.Data.CreateOrder.Order.ID == "" {
		return failed, errors.Join(err, fmt.Errorf("createOrder answered no order: %.300s", body))
	}
	return placed, nil
}
