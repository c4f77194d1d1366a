// This file holds the orders benchmark: orders per second placed through
// HTTP with createOrder, one unit each, in a "spread" workload (a random
// SKU among many, each with plenty of stock) and a "hot" workload (every
// order names one SKU with a limited stock, which the run sells out), set
// next to pgbench's TPC-B-like and single-row update transactions per
// second on the same PostgreSQL server, and followed by the zero-oversell
// checks.

package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/ledger"
)

// OrderOptions say what the orders benchmark measures.
type OrderOptions struct {
	Clients  []int         // client counts, each run for Duration per workload and by pgbench
	Duration time.Duration // how long each measurement lasts
	SKUs     int           // SKUs of the spread workload
	HotStock int           // units of the hot SKU, with no backorders: the hot run sells them out
	Pgbench  PgbenchOptions
}

// OrderReport is what the whole orders benchmark measured and checked.
type OrderReport struct {
	OrderOptions
	StoreHandle  string
	Results      []OrderResult
	PgbenchTPS   map[int]float64 // TPC-B-like, by client count
	SingleRowTPS map[int]float64 // one pgbench_accounts row updated, by client count
	LedgerBefore []ledger.Mismatch
	LedgerAfter  []ledger.Mismatch
}

// orderRun is the state shared by the runs of one orders benchmark.
type orderRun struct {
	*progressLog
	db        *database.DB
	client    *Client
	oneByOne  *Client // of a second server that does not coalesce
	store     int64
	actor     inventory.Actor
	locations []int64    // LOC-1 (ships first), LOC-2
	spread    []benchSKU // the spread workload's SKUs
	hot       []benchSKU // one per hot run
}

// RunOrders seeds a fresh store, serves the API on 127.0.0.1, measures
// both workloads with each client count (each hot run on a SKU of its
// own), runs pgbench's TPC-B-like and single-row scripts with the same
// client counts, and checks the ledger. The returned report's Err says
// whether the run passed; err is for failures that left nothing to
// report.
func RunOrders(ctx context.Context, db *database.DB, o OrderOptions, progress io.Writer) (OrderReport, error) {
	rep := OrderReport{OrderOptions: o, PgbenchTPS: map[int]float64{}, SingleRowTPS: map[int]float64{}}
	if err := o.validate(); err != nil {
		return rep, err
	}
	p := &progressLog{out: progress, steps: 3*len(o.Clients) + 1 + 2*len(o.Clients)}
	w, err := prepareOrders(ctx, db, o, p, &rep)
	if err != nil {
		return rep, err
	}
	defer serveAPI(db, w.client)()
	defer serveAPIWith(api.Config{DB: db, OneByOne: true}, w.oneByOne)()
	if rep.LedgerBefore, err = ledger.Inconsistencies(ctx, db.DB, w.store); err != nil {
		return rep, err
	}
	rep.Results, err = eachRun([]string{Spread, Hot, HotOneByOne}, o.Clients, func(workload string, k, n int) (OrderResult, error) {
		switch workload {
		case Hot:
			return w.measure(ctx, workload, n, w.hot[k:k+1], o)
		case HotOneByOne:
			k += len(o.Clients)
			return w.measure(ctx, workload, n, w.hot[k:k+1], o)
		}
		return w.measure(ctx, workload, n, w.spread, o)
	})
	if err != nil {
		return rep, err
	}
	if err := w.runPgbench(ctx, o, &rep); err != nil {
		return rep, err
	}
	rep.LedgerAfter, err = checkLedger(ctx, db, w.progressLog, rep.StoreHandle, w.store)
	return rep, err
}

func (o OrderOptions) validate() error {
	if err := validateClients("orders", o.Clients, o.Duration); err != nil {
		return err
	}
	switch {
	case o.SKUs < 1 || o.SKUs > 100000:
		return fmt.Errorf("bench orders: SKUs must be between 1 and 100000, got %d", o.SKUs)
	case o.HotStock < 1 || o.HotStock > inventory.MaxLevel:
		return fmt.Errorf("bench orders: the hot stock must be between 1 and %d, got %d", inventory.MaxLevel, o.HotStock)
	}
	return nil
}

// runPgbench runs the yardsticks with each client count.
func (w *orderRun) runPgbench(ctx context.Context, o OrderOptions, rep *OrderReport) error {
	tpcb, singleRow, err := o.Pgbench.yardsticks(ctx, w.db, o.Clients, o.Duration, w.progressLog)
	rep.PgbenchTPS, rep.SingleRowTPS = tpsOf(tpcb), tpsOf(singleRow)
	return err
}
