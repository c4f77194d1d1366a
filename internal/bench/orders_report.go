// This file prints the orders benchmark's report and judges its checks.

package bench

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
)

// String prints the results table and the checks.
func (r OrderReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "createOrder through HTTP (one unit each) vs pgbench (scale %d), %s per measurement, store %q (%d spread SKUs, hot SKU %d units)\n\n",
		r.Pgbench.Scale, r.Duration, r.StoreHandle, r.SKUs, r.HotStock)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tclients\tplaced\trefused\terrors\torders/s\tp50\tp99\tSQL/resp\tTPC-B TPS\torders/TPC-B\t1-row TPS\torders/1-row\t")
	for _, res := range r.Results {
		tpcb, row := r.PgbenchTPS[res.Clients], r.SingleRowTPS[res.Clients]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%s\t%s\t%.1f\t%.1f\t%s\t%.1f\t%s\t\n",
			res.Workload, res.Clients, res.Placed, res.Refused, res.Errors, res.OrdersPerSecond, ms(res.P50), ms(res.P99),
			res.StatementsPerOrder, tpcb, ratio(res.OrdersPerSecond, tpcb), row, ratio(res.OrdersPerSecond, row))
	}
	tw.Flush()
	b.WriteString("\norders/s counts placed orders over the time they were placed (a hot run: until its SKU sold out)\n\nchecks:\n")
	for _, res := range r.Results {
		c := res.Check
		fmt.Fprintf(&b, "  %-15s %3d clients: %d item(s), on hand %d → %d, committed %d → %d, %d orders (%d units) written: %s\n",
			res.Workload, res.Clients, c.After.Items, c.Before.OnHand, c.After.OnHand, c.Before.Committed, c.After.Committed,
			c.OrdersCreated, c.UnitsOrdered, verdict(res.problems()))
		if isHot(res.Workload) && res.Refused == 0 {
			b.WriteString("    the hot SKU did not sell out: give a longer --duration or a smaller --hot-stock\n")
		}
		if res.FirstError != nil {
			fmt.Fprintf(&b, "    first error: %v\n", res.FirstError)
		}
	}
	fmt.Fprintf(&b, "  ledger: %s\n", ledgerVerdict(r.LedgerBefore, r.LedgerAfter))
	return b.String()
}

// ratio prints a/b, or "-" when b is zero.
func ratio(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", a/b)
}

// verdict is "ok" or the problems.
func verdict(problems []string) string {
	if len(problems) == 0 {
		return "ok"
	}
	return "WRONG: " + strings.Join(problems, "; ")
}

// problems lists what a run got wrong: failed requests, stock that moved
// by other than the placed orders, oversold items, orders written that
// were not answered (or the reverse), and refusals while stock lasted.
func (r OrderResult) problems() []string {
	c := r.Check
	var p []string
	add := func(bad bool, format string, args ...any) {
		if bad {
			p = append(p, fmt.Sprintf(format, args...))
		}
	}
	add(r.Errors > 0, "%d requests failed", r.Errors)
	add(c.After.OnHand != c.Before.OnHand, "on hand moved from %d to %d with nothing fulfilled", c.Before.OnHand, c.After.OnHand)
	add(c.After.Committed-c.Before.Committed != int64(r.Placed), "committed rose by %d, want the %d units placed", c.After.Committed-c.Before.Committed, r.Placed)
	add(c.After.Oversold > 0, "%d item(s) oversold (committed or allocated beyond on hand)", c.After.Oversold)
	add(c.After.Drift > 0, "%d item(s) whose committed differs from their allocations", c.After.Drift)
	add(c.OrdersCreated != int64(r.Placed) || c.UnitsOrdered != int64(r.Placed),
		"%d orders of %d units written, want the %d placed", c.OrdersCreated, c.UnitsOrdered, r.Placed)
	add(r.Workload == Spread && r.Refused > 0, "%d orders refused with plenty in stock", r.Refused)
	add(isHot(r.Workload) && r.Refused > 0 && r.Placed != c.HotStock, "%d orders refused after only %d of %d units sold", r.Refused, r.Placed, c.HotStock)
	return p
}

// Err says why the run failed: any run's problems or a ledger that
// disagrees with the stored levels. Nil when it passed.
func (r OrderReport) Err() error {
	var errs []error
	for _, res := range r.Results {
		if p := res.problems(); len(p) > 0 {
			errs = append(errs, fmt.Errorf("%s with %d clients: %s", res.Workload, res.Clients, strings.Join(p, "; ")))
		}
		if res.FirstError != nil {
			errs = append(errs, fmt.Errorf("%s with %d clients: the first failed request: %w", res.Workload, res.Clients, res.FirstError))
		}
	}
	if len(r.LedgerAfter) > 0 {
		errs = append(errs, fmt.Errorf("ledger: %d item levels differ from their movements", len(r.LedgerAfter)))
	}
	return errors.Join(errs...)
}
