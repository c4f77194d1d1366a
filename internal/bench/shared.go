// This file holds what the HTTP benchmarks share: numbered progress lines,
// clients that run until a deadline, latency percentiles and a seeded
// store with a token.

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/ledger"
	"stockgraph/internal/seed"
)

// progressLog writes a benchmark's progress lines, numbering its steps.
type progressLog struct {
	out   io.Writer
	steps int
	step  int
}

// say writes a progress line.
func (p *progressLog) say(format string, args ...any) {
	fmt.Fprintf(p.out, format+"\n", args...)
}

// sayStep writes a numbered progress line.
func (p *progressLog) sayStep(format string, args ...any) {
	p.step++
	p.say(fmt.Sprintf("[%d/%d] ", p.step, p.steps)+format, args...)
}

// runClients runs n clients, each calling step with its number (0 to
// n−1) again and again until d has passed or ctx ends, and returns how
// long they ran. A client's state can live in a slice indexed by its
// number, so that no lock is needed until the run ends.
func runClients(ctx context.Context, n int, d time.Duration, step func(client int)) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range n {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				step(i)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// Percentiles summarise request latencies.
type Percentiles struct {
	P50, P95, P99, Max time.Duration
}

// percentilesOf sorts lat and returns its percentiles; zero when empty.
func percentilesOf(lat []time.Duration) Percentiles {
	if len(lat) == 0 {
		return Percentiles{}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return Percentiles{P50: pct(0.50), P95: pct(0.95), P99: pct(0.99), Max: lat[len(lat)-1]}
}

// pooledHTTPClient keeps a connection per client open; the default
// transport keeps only two idle connections per host.
func pooledHTTPClient(clients int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = clients+4, clients+4
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// benchStore seeds (once) a store of n variants at the locations, ten
// variants a product when n allows, and returns its ID and a client with
// a token of the scopes, pooled for the clients; the client's URL is set
// once the server runs.
func benchStore(ctx context.Context, db *database.DB, handle string, n, locations, clients int, p *progressLog, scopes ...auth.Scope) (int64, *Client, error) {
	products, variants := n, 1
	if n%10 == 0 {
		products, variants = n/10, 10
	}
	p.say("preparing store %q (%d products × %d variants at %d location(s))", handle, products, variants, locations)
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: handle, Products: products, Variants: variants, Locations: locations, Progress: p.out})
	if err != nil {
		return 0, nil, fmt.Errorf("seed the benchmark store %q: %w", handle, err)
	}
	token, err := auth.CreateToken(ctx, db.DB, res.Store.ID, "bench", scopes)
	if err != nil {
		return 0, nil, fmt.Errorf("create the benchmark token: %w", err)
	}
	return res.Store.ID, &Client{Token: token, HTTP: pooledHTTPClient(clients)}, nil
}

// validateClients checks client counts and a duration common to the
// benchmarks that take them.
func validateClients(name string, clients []int, d time.Duration) error {
	switch {
	case len(clients) == 0:
		return fmt.Errorf("bench %s: give at least one client count", name)
	case slices.Min(clients) < 1 || slices.Max(clients) > 1000:
		return fmt.Errorf("bench %s: client counts must be between 1 and 1000, got %v", name, clients)
	case d < time.Second:
		return fmt.Errorf("bench %s: the duration must be at least 1s, got %s", name, d)
	}
	return nil
}

// eachRun calls measure for each workload, spread then hot, with each
// client count (k is its index), and collects the results.
func eachRun[R any](workloads []string, clients []int, measure func(workload string, k, n int) (R, error)) ([]R, error) {
	var results []R
	for _, workload := range workloads {
		for k, n := range clients {
			res, err := measure(workload, k, n)
			if err != nil {
				return results, err
			}
			results = append(results, res)
		}
	}
	return results, nil
}

// checkLedger lists the items of the store whose levels the ledger does
// not explain, after a benchmark's runs.
func checkLedger(ctx context.Context, db *database.DB, p *progressLog, handle string, storeID int64) ([]ledger.Mismatch, error) {
	p.say("checking the ledger of store %q", handle)
	return ledger.Inconsistencies(ctx, db.DB, storeID)
}

// serveAPI serves the API on a loopback port and points c at it; the
// returned func stops the server.
func serveAPI(db *database.DB, c *Client) func() {
	return serveAPIWith(api.Config{DB: db}, c)
}

// serveAPIWith is serveAPI with the server's configuration.
func serveAPIWith(cfg api.Config, c *Client) func() {
	srv := httptest.NewServer(api.NewHandler(cfg))
	c.URL = srv.URL + "/graphql"
	return srv.Close
}
