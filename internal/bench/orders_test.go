package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRunOrdersSmall runs the orders benchmark at its smallest: 2
// clients for 1s over 20 SKUs and a hot SKU of 5 units, with pgbench at
// scale 1. Every check must pass, the hot SKU must sell out exactly, and
// every figure must be positive; no timing is asserted.
func TestRunOrdersSmall(t *testing.T) {
	db, url := openDB(t)
	pg := PgbenchOptions{DatabaseURL: url, Database: fmt.Sprintf("bench_orders_test_%d", os.Getpid()), Scale: 1}
	t.Cleanup(func() {
		if err := db.Exec(`DROP DATABASE IF EXISTS "` + pg.Database + `"`).Error; err != nil {
			t.Errorf("drop the pgbench database: %v", err)
		}
	})
	rep, err := RunOrders(t.Context(), db, OrderOptions{Clients: []int{2}, Duration: time.Second, SKUs: 20, HotStock: 5, Pgbench: pg}, io.Discard)
	if err != nil {
		t.Fatalf("RunOrders: %v", err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("RunOrders checks = %v, want none failing\n%s", err, rep)
	}
	if len(rep.Results) != 3 {
		t.Fatalf("RunOrders results = %d, want spread, hot and hot one by one\n%s", len(rep.Results), rep)
	}
	spread := rep.Results[0]
	if spread.Placed == 0 || spread.OrdersPerSecond <= 0 || spread.P99 <= 0 || spread.Refused != 0 {
		t.Errorf("spread = %d placed, %.1f/s, p99 %s, %d refused; want orders, a rate, a latency and no refusals", spread.Placed, spread.OrdersPerSecond, spread.P99, spread.Refused)
	}
	for _, hot := range rep.Results[1:] {
		if hot.Placed != 5 || hot.Refused == 0 || hot.Check.After.Committed-hot.Check.Before.Committed != 5 {
			t.Errorf("%s = %d placed, %d refused, committed %d → %d; want exactly the 5 units sold and refusals after", hot.Workload, hot.Placed, hot.Refused, hot.Check.Before.Committed, hot.Check.After.Committed)
		}
	}
	if rep.PgbenchTPS[2] <= 0 || rep.SingleRowTPS[2] <= 0 {
		t.Errorf("pgbench TPS = %v, single row = %v; want both positive", rep.PgbenchTPS, rep.SingleRowTPS)
	}
	if s := rep.String(); !strings.Contains(s, "orders/TPC-B") || strings.Contains(s, "WRONG") {
		t.Errorf("report = \n%s\nwant the ratios and no WRONG", s)
	}
}

// TestOrderProblems: each broken invariant of a run is reported.
func TestOrderProblems(t *testing.T) {
	good := OrderResult{Workload: Hot, Clients: 2, Placed: 5, Refused: 3, Check: OrderCheck{HotStock: 5, OrdersCreated: 5, UnitsOrdered: 5,
		Before: stockTotals{Items: 1, OnHand: 5}, After: stockTotals{Items: 1, OnHand: 5, Committed: 5}}}
	if p := good.problems(); len(p) != 0 {
		t.Fatalf("problems(clean hot run) = %v, want none", p)
	}
	for _, c := range []struct {
		name  string
		spoil func(*OrderResult)
		want  string
	}{
		{"oversold", func(r *OrderResult) { r.Check.After.Oversold = 1 }, "oversold"},
		{"committed beyond placed", func(r *OrderResult) { r.Check.After.Committed = 6 }, "committed rose by 6"},
		{"an order not answered", func(r *OrderResult) { r.Check.OrdersCreated = 6 }, "6 orders"},
		{"refused while stock lasted", func(r *OrderResult) {
			r.Placed, r.Check.After.Committed, r.Check.OrdersCreated, r.Check.UnitsOrdered = 4, 4, 4, 4
		}, "only 4 of 5"},
		{"spread refusal", func(r *OrderResult) { r.Workload = Spread }, "refused with plenty"},
		{"errors", func(r *OrderResult) { r.Errors = 2 }, "2 requests failed"},
		{"drift", func(r *OrderResult) { r.Check.After.Drift = 1 }, "differs from their allocations"},
	} {
		bad := good
		c.spoil(&bad)
		if got := strings.Join(bad.problems(), "; "); !strings.Contains(got, c.want) {
			t.Errorf("%s: problems() = %q, want %q", c.name, got, c.want)
		}
	}
}
