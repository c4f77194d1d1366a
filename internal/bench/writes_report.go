// This file sends the write benchmark's mutation and prints its report.

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"stockgraph/internal/ledger"
)

// AdjustRelativeMutation changes one item's on-hand level by $quantity.
const AdjustRelativeMutation = `mutation Bench($location: ID!, $variant: ID!, $quantity: Int!) {
  adjustInventoryRelative(input: {reason: "bench writes", items: [{locationId: $location, variantId: $variant, quantity: $quantity}]}) {
    results { index error { code message } }
  }
}`

// adjustRelative sends one relative adjustment of t by quantity; a GraphQL
// error or a failed item is an error.
func adjustRelative(ctx context.Context, c *Client, t Target, quantity int) error {
	body, err := c.DoVars(ctx, AdjustRelativeMutation, map[string]any{
		"location": t.LocationID, "variant": t.VariantGID, "quantity": quantity,
	})
	if err != nil {
		return err
	}
	var out struct {
		Data struct {
			AdjustInventoryRelative struct {
				Results []struct {
					Error *struct{ Code, Message string }
				}
			}
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("read the adjustment's response: %w", err)
	}
	results := out.Data.AdjustInventoryRelative.Results
	if len(results) != 1 {
		return fmt.Errorf("adjustment returned %d results, want 1: %.300s", len(results), body)
	}
	if e := results[0].Error; e != nil {
		return fmt.Errorf("adjustment failed with %s: %s", e.Code, e.Message)
	}
	return nil
}

// String prints the results table and the checks.
func (r WriteReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "relative adjustments through HTTP vs pgbench (scale %d), %s per measurement, store %q (%d items at one location)\n\n",
		r.Pgbench.Scale, r.Duration, r.StoreHandle, r.Items)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tclients\trequests\tAPI req/s\tp50\tp95\tp99\terrors\tSQL/req\tyardstick\tTPS\tAPI/yardstick\tPG CPU/req\tPG CPU/TPC-B tx\tCPU ratio\tmultixacts/req\t")
	for _, res := range r.Results {
		// A spread of items is held to TPC-B; one hot item to one hot row.
		name, tps := "TPC-B", r.PgbenchTPS[res.Clients]
		if res.Workload != Spread {
			name, tps = "1-row update", r.SingleRowTPS[res.Clients]
		}
		run, cpuRatio := r.PgbenchRuns[res.Clients], "-"
		if perTx := run.CPUPerTransaction(); run.Transactions > 0 && perTx > 0 {
			cpuRatio = fmt.Sprintf("%.2f", float64(res.CPUPerRequest())/float64(perTx))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%d\t%.2f\t%s\t%.1f\t%s\t%s\t%s\t%s\t%.2f\t\n",
			res.Workload, res.Clients, res.Requests, res.RequestsPerSecond, ms(res.P50), ms(res.P95), ms(res.P99),
			res.Errors, res.StatementsPerRequest, name, tps, ratio(res.RequestsPerSecond, tps), ms(res.CPUPerRequest()),
			ms(run.CPUPerTransaction()), cpuRatio, float64(res.Multixacts)/float64(max(1, res.Requests+res.Errors)))
	}
	tw.Flush()
	b.WriteString("\nchecks:\n")
	for _, res := range r.Results {
		c := res.Check
		verdict := "ok"
		if !c.OK() {
			verdict = fmt.Sprintf("WRONG: want %d", c.Before+c.Applied)
		}
		fmt.Fprintf(&b, "  %-15s %3d clients: on hand of %d item(s) %d → %d, applied deltas %+d: %s\n",
			res.Workload, res.Clients, c.Items, c.Before, c.After, c.Applied, verdict)
		if res.FirstError != nil {
			fmt.Fprintf(&b, "    first error: %v\n", res.FirstError)
		}
	}
	fmt.Fprintf(&b, "  ledger: %s\n", ledgerVerdict(r.LedgerBefore, r.LedgerAfter))
	return b.String()
}

// ms prints a latency in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", millis(d)) }

// millis is a duration in milliseconds.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ledgerVerdict says whether the ledger explained every level before and
// after a run.
func ledgerVerdict(before, after []ledger.Mismatch) string {
	switch {
	case len(after) > 0:
		m := after[0]
		return fmt.Sprintf("WRONG: %d item levels differ from the ledger (%d before the run); first: item %d %s stored %d, ledger %d",
			len(after), len(before), m.ItemID, m.State, m.Stored, m.Ledger)
	case len(before) > 0:
		return fmt.Sprintf("consistent after the run, but %d item levels differed before it", len(before))
	}
	return "consistent (every stored level equals the sum of its movements)"
}

// Err says why the run failed: requests that erred, levels that moved by
// other than the applied deltas, or a ledger that disagrees with the
// stored levels. Nil when it passed.
func (r WriteReport) Err() error {
	var errs []error
	for _, res := range r.Results {
		if res.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s with %d clients: %d requests failed, the first with: %w", res.Workload, res.Clients, res.Errors, res.FirstError))
		}
		if !res.Check.OK() {
			errs = append(errs, fmt.Errorf("%s with %d clients: on hand is %d, want %d", res.Workload, res.Clients, res.Check.After, res.Check.Before+res.Check.Applied))
		}
	}
	if len(r.LedgerAfter) > 0 {
		errs = append(errs, fmt.Errorf("ledger: %d item levels differ from their movements", len(r.LedgerAfter)))
	}
	return errors.Join(errs...)
}
