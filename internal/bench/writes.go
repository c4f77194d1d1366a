// This file holds the write benchmark: relative adjustments per second
// through HTTP, in a "spread" workload (each request changes a random item
// among many) and a "hot" workload (every request changes the same item),
// set next to pgbench's TPC-B-like transactions per second on the same
// PostgreSQL server (see pgbench.go), and followed by consistency checks.

package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/ledger"
)

// The write workloads.
const (
	Spread = "spread" // each request changes a random item among many
	Hot    = "hot"    // every request changes the same item
	// HotOneByOne is the hot workload against a server that applies each
	// adjustment in a transaction of its own (api.Config.OneByOne): what
	// the coalescing of a busy item's adjustments gains.
	HotOneByOne = "hot, one by one"
)

// isHot says whether a workload writes one hot item.
func isHot(workload string) bool { return workload == Hot || workload == HotOneByOne }

// WriteOptions say what the write benchmark measures.
type WriteOptions struct {
	Clients  []int         // client counts, each run for Duration per workload and by pgbench
	Duration time.Duration // how long each measurement lasts
	Items    int           // items of the spread workload, all at one location
	Pgbench  PgbenchOptions
}

// Target is an inventory item the benchmark changes.
type Target struct {
	ItemID     int64
	VariantGID string
	LocationID string
}

// WriteResult is what one workload measured with one client count.
type WriteResult struct {
	Workload          string
	Clients           int
	Requests          int // requests that succeeded
	Errors            int
	FirstError        error
	Elapsed           time.Duration
	RequestsPerSecond float64
	Percentiles
	StatementsPerRequest float64
	// PostgresCPU is what the backends of the API's database used over
	// the run (see watchDatabaseCPU).
	PostgresCPU time.Duration
	// Multixacts is how many multixacts the cluster created over the run:
	// PostgreSQL's record of a row locked by several transactions at
	// once (a shared lock, or a foreign key's check), costly to create.
	Multixacts int64
	Check      LevelCheck
}

// CPUPerRequest is PostgreSQL's CPU time per request of the run.
func (r WriteResult) CPUPerRequest() time.Duration {
	return r.PostgresCPU / time.Duration(max(1, r.Requests+r.Errors))
}

// LevelCheck compares the on-hand total of a run's items after the run
// with the total before it plus the deltas the API reported as applied.
type LevelCheck struct {
	Items         int
	Before, After int64
	Applied       int64
}

// OK says the stored level moved by exactly the applied deltas.
func (c LevelCheck) OK() bool { return c.After == c.Before+c.Applied }

// WriteReport is what the whole write benchmark measured and checked.
type WriteReport struct {
	WriteOptions
	StoreHandle  string
	Results      []WriteResult
	PgbenchTPS   map[int]float64 // TPC-B-like, by client count
	PgbenchRuns  map[int]PgbenchResult
	SingleRowTPS map[int]float64 // one pgbench_accounts row updated, by client count
	LedgerBefore []ledger.Mismatch
	LedgerAfter  []ledger.Mismatch
}

// writeRun is the state shared by the runs of one benchmark.
type writeRun struct {
	progressLog
	db     *database.DB
	dbName string // the API's database, whose backends' CPU a run counts
	client *Client
	// oneByOne is a client of a second server that does not coalesce.
	oneByOne *Client
	storeID  int64
}

// RunWrites seeds (once) a store with o.Items items at one location,
// serves the API on 127.0.0.1, measures both workloads with each client
// count, runs pgbench with the same client counts, and checks the ledger.
// The returned report's Err says whether the run passed; err is for
// failures that left nothing to report.
func RunWrites(ctx context.Context, db *database.DB, o WriteOptions, progress io.Writer) (WriteReport, error) {
	rep := WriteReport{WriteOptions: o, PgbenchTPS: map[int]float64{}, PgbenchRuns: map[int]PgbenchResult{}}
	if err := o.validate(); err != nil {
		return rep, err
	}
	w, targets, err := prepareWrites(ctx, db, o, progress, &rep)
	if err != nil {
		return rep, err
	}
	defer serveAPI(db, w.client)()
	defer serveAPIWith(api.Config{DB: db, OneByOne: true}, w.oneByOne)()
	if rep.LedgerBefore, err = ledger.Inconsistencies(ctx, db.DB, w.storeID); err != nil {
		return rep, err
	}
	rep.Results, err = eachRun([]string{Spread, Hot, HotOneByOne}, o.Clients, func(workload string, _, n int) (WriteResult, error) {
		if workload == Spread {
			return w.measure(ctx, workload, n, targets, o.Duration)
		}
		return w.measure(ctx, workload, n, targets[:1], o.Duration)
	})
	if err != nil {
		return rep, err
	}
	var singleRow map[int]PgbenchResult
	if rep.PgbenchRuns, singleRow, err = o.Pgbench.yardsticks(ctx, db, o.Clients, o.Duration, &w.progressLog); err != nil {
		return rep, err
	}
	rep.PgbenchTPS, rep.SingleRowTPS = tpsOf(rep.PgbenchRuns), tpsOf(singleRow)
	rep.LedgerAfter, err = checkLedger(ctx, db, &w.progressLog, rep.StoreHandle, w.storeID)
	return rep, err
}

func (o WriteOptions) validate() error {
	if err := validateClients("writes", o.Clients, o.Duration); err != nil {
		return err
	}
	if o.Items < 1 || o.Items > 100000 {
		return fmt.Errorf("bench writes: items must be between 1 and 100000, got %d", o.Items)
	}
	return nil
}

// prepareWrites checks pgbench is there, seeds the store, creates a token
// and loads the items to change.
func prepareWrites(ctx context.Context, db *database.DB, o WriteOptions, progress io.Writer, rep *WriteReport) (*writeRun, []Target, error) {
	if _, err := o.Pgbench.binary(); err != nil {
		return nil, nil, err
	}
	w := &writeRun{db: db, progressLog: progressLog{out: progress, steps: 3*len(o.Clients) + 1 + 2*len(o.Clients)}}
	rep.StoreHandle = fmt.Sprintf("bench-writes-%d", o.Items)
	var err error
	w.storeID, w.client, err = benchStore(ctx, db, rep.StoreHandle, o.Items, 1, slices.Max(o.Clients), &w.progressLog, auth.ReadInventory, auth.WriteInventory)
	if err != nil {
		return nil, nil, err
	}
	w.oneByOne = &Client{Token: w.client.Token, HTTP: pooledHTTPClient(slices.Max(o.Clients))}
	targets, err := loadTargets(ctx, db, w.storeID, o.Items)
	if err != nil {
		return nil, nil, err
	}
	if err := db.WithContext(ctx).Raw(`SELECT current_database()`).Scan(&w.dbName).Error; err != nil {
		return nil, nil, fmt.Errorf("name the database: %w", err)
	}
	return w, targets, nil
}

// loadTargets returns up to n items of the store, lowest ID first.
func loadTargets(ctx context.Context, db *database.DB, storeID int64, n int) ([]Target, error) {
	var rows []struct{ ID, VariantID, LocationID int64 }
	err := db.WithContext(ctx).Raw(`SELECT id, variant_id, location_id FROM inventory_items
		WHERE store_id = ? ORDER BY id LIMIT ?`, storeID, n).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load the benchmark items: %w", err)
	}
	if len(rows) < n {
		return nil, fmt.Errorf("the benchmark store has %d items, want %d", len(rows), n)
	}
	targets := make([]Target, len(rows))
	for i, r := range rows {
		targets[i] = Target{ItemID: r.ID, VariantGID: relay.ID(relay.KindVariant, r.VariantID), LocationID: relay.ID(relay.KindLocation, r.LocationID)}
	}
	return targets, nil
}

// measure runs one workload with n clients for d and checks the levels of
// its items moved by exactly the deltas applied.
func (w *writeRun) measure(ctx context.Context, workload string, n int, targets []Target, d time.Duration) (WriteResult, error) {
	res := WriteResult{Workload: workload, Clients: n, Check: LevelCheck{Items: len(targets)}}
	ids := make(database.Int64s, len(targets))
	for i, t := range targets {
		ids[i] = t.ItemID
	}
	var err error
	if res.Check.Before, err = w.onHand(ctx, ids); err != nil {
		return res, err
	}
	w.sayStep("API %s: %d clients for %s over %d item(s)…", workload, n, d, len(targets))
	c := w.client
	if workload == HotOneByOne {
		c = w.oneByOne
	}
	if err := w.warmUp(ctx, c, targets[0]); err != nil {
		return res, fmt.Errorf("%s warm-up: %w", workload, err)
	}
	mxBefore, err := w.multixacts(ctx)
	if err != nil {
		return res, err
	}
	before, cpu := w.db.Statements(), watchDatabaseCPU(w.dbName)
	lat, applied := w.drive(ctx, c, n, targets, d, &res)
	res.PostgresCPU = cpu()
	mxAfter, err := w.multixacts(ctx)
	if err != nil {
		return res, err
	}
	res.Multixacts = mxAfter - mxBefore
	res.Check.Applied = applied
	res.StatementsPerRequest = float64(w.db.Statements()-before) / float64(max(1, res.Requests+res.Errors))
	res.summarise(lat)
	if res.Check.After, err = w.onHand(ctx, ids); err != nil {
		return res, err
	}
	w.say("      %.1f requests/s, p99 %s, %d errors, PostgreSQL CPU %.3f ms a request", res.RequestsPerSecond, res.P99.Round(10*time.Microsecond), res.Errors, millis(res.CPUPerRequest()))
	return res, ctx.Err()
}

// multixacts is the age of the database's oldest multixact, which grows
// by one with each multixact the cluster creates (until a vacuum freezes
// old ones, which a run of seconds hardly sees).
func (w *writeRun) multixacts(ctx context.Context) (int64, error) {
	var age int64
	err := w.db.WithContext(ctx).Raw(`SELECT mxid_age(datminmxid) FROM pg_database WHERE datname = current_database()`).Scan(&age).Error
	if err != nil {
		return 0, fmt.Errorf("read the multixact counter: %w", err)
	}
	return age, nil
}

// onHand sums the on-hand levels of the items.
func (w *writeRun) onHand(ctx context.Context, ids database.Int64s) (int64, error) {
	var sum int64
	err := w.db.WithContext(ctx).Raw(`SELECT coalesce(sum(on_hand), 0) FROM inventory_items
		WHERE store_id = ? AND id = ANY(?::bigint[])`, w.storeID, ids).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("read on-hand levels: %w", err)
	}
	return sum, nil
}

// warmUp sends a +1 and a −1 so that the measured run starts with a warm
// query cache and connection pool.
func (w *writeRun) warmUp(ctx context.Context, c *Client, t Target) error {
	for _, q := range []int{1, -1} {
		if err := adjustRelative(ctx, c, t, q); err != nil {
			return err
		}
	}
	return nil
}

// drive runs n clients until d has passed. Each client sends a +1 and
// then a −1 to the same random target, so a client never takes a level
// below where it found it and a finished run changes nothing. It returns
// every request's latency and the sum of the deltas that were applied.
func (w *writeRun) drive(ctx context.Context, c *Client, n int, targets []Target, d time.Duration, res *WriteResult) ([]time.Duration, int64) {
	var applied atomic.Int64
	runs := make([]clientRun, n)
	res.Elapsed = runClients(ctx, n, d, func(i int) { runs[i].pair(ctx, c, targets, &applied) })
	var all []time.Duration
	for _, c := range runs {
		all = append(all, c.latencies...)
		res.Requests += c.ok
		res.Errors += c.errors
		if res.FirstError == nil {
			res.FirstError = c.firstErr
		}
	}
	return all, applied.Load()
}

// clientRun is what one client of a run saw.
type clientRun struct {
	latencies  []time.Duration
	ok, errors int
	firstErr   error
}

// pair sends a +1/−1 pair to a random target; a failed +1 skips its −1.
func (c *clientRun) pair(ctx context.Context, client *Client, targets []Target, applied *atomic.Int64) {
	t := targets[rand.IntN(len(targets))]
	for _, q := range []int{1, -1} {
		begin := time.Now()
		err := adjustRelative(ctx, client, t, q)
		c.latencies = append(c.latencies, time.Since(begin))
		if err != nil {
			c.errors++
			if c.firstErr == nil {
				c.firstErr = err
			}
			return
		}
		c.ok++
		applied.Add(int64(q))
	}
}

// summarise fills in throughput and latency percentiles.
func (r *WriteResult) summarise(lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	r.Percentiles = percentilesOf(lat)
	r.RequestsPerSecond = float64(r.Requests) / r.Elapsed.Seconds()
}
