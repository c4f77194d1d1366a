// Package bench measures the API as a client sees it: it seeds a store,
// serves the API on a loopback port and sends the BigCommerce seed query
// from concurrent clients, then prints latency percentiles, throughput
// and SQL statements per request.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/seed"
)

// SeedQuery is the BigCommerce document's Admin GraphQL query, unchanged.
const SeedQuery = `{ store { products { edges { node { id inventory { aggregated { availableToSell warningLevel backorderLimit availability onHand qtyBackordered } } variants { edges { cursor node { id inventory { aggregated { availableToSell warningLevel backorderLimit availability onHand qtyBackordered } } } } } } } } } }`

// Options say what to measure.
type Options struct {
	Products, Variants, Locations int
	Requests, Clients             int
	LoaderWait                    time.Duration
}

// Report is what one run measured.
type Report struct {
	Options
	Total time.Duration
	Percentiles
	RequestsPerSecond    float64
	StatementsPerRequest float64
	ResponseBytes        int
}

// String prints the report on a few lines.
func (r Report) String() string {
	return fmt.Sprintf("seed query over %d products × %d variants × %d locations, %d requests from %d clients (loader wait %s)\n"+
		"  latency p50 %s  p95 %s  p99 %s  max %s\n"+
		"  throughput %.1f requests/s, %.2f SQL statements/request, %d bytes/response\n",
		r.Products, r.Variants, r.Locations, r.Requests, r.Clients, r.LoaderWait,
		r.P50.Round(10*time.Microsecond), r.P95.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond),
		r.RequestsPerSecond, r.StatementsPerRequest, r.ResponseBytes)
}

// Run seeds a store of the requested size (once; later runs reuse it),
// serves the API on 127.0.0.1 and measures the seed query.
func Run(ctx context.Context, db *database.DB, o Options, progress io.Writer) (Report, error) {
	rep := Report{Options: o}
	handle := fmt.Sprintf("bench-%dx%dx%d", o.Products, o.Variants, o.Locations)
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: handle, Products: o.Products, Variants: o.Variants, Locations: o.Locations, Progress: progress})
	if err != nil {
		return rep, err
	}
	token, err := auth.CreateToken(ctx, db.DB, res.Store.ID, "bench", []auth.Scope{auth.ReadInventory})
	if err != nil {
		return rep, err
	}
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, LoaderWait: o.LoaderWait}))
	defer srv.Close()
	client := &Client{URL: srv.URL + "/graphql", Token: token}
	for range 3 { // warm the connection pool and the query cache
		if _, err := client.Do(ctx, SeedQuery); err != nil {
			return rep, err
		}
	}
	fmt.Fprintf(progress, "sending %d requests from %d clients…\n", o.Requests, o.Clients)
	latencies := make([]time.Duration, o.Requests)
	var (
		wg       sync.WaitGroup
		firstErr error
		once     sync.Once
		next     = make(chan int)
	)
	before := db.Statements()
	start := time.Now()
	for range o.Clients {
		wg.Go(func() {
			for i := range next {
				t := time.Now()
				body, err := client.Do(ctx, SeedQuery)
				latencies[i] = time.Since(t)
				if err != nil {
					once.Do(func() { firstErr = err })
				}
				if i == 0 {
					rep.ResponseBytes = len(body)
				}
			}
		})
	}
	for i := range o.Requests {
		next <- i
	}
	close(next)
	wg.Wait()
	rep.Total = time.Since(start)
	if firstErr != nil {
		return rep, firstErr
	}
	rep.StatementsPerRequest = float64(db.Statements()-before) / float64(o.Requests)
	rep.Percentiles = percentilesOf(latencies)
	rep.RequestsPerSecond = float64(o.Requests) / rep.Total.Seconds()
	return rep, nil
}

// Client posts GraphQL queries with a bearer token.
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client
}

// Do posts query and returns the response body; a GraphQL error or a
// status other than 200 is an error.
func (c *Client) Do(ctx context.Context, query string) ([]byte, error) {
	return c.DoVars(ctx, query, nil)
}

// DoVars posts query with variables, as Do does.
func (c *Client) DoVars(ctx context.Context, query string, variables map[string]any) ([]byte, error) {
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out.Errors) > 0 {
		return body, fmt.Errorf("query failed with HTTP %d: %.300s", resp.StatusCode, body)
	}
	return body, nil
}
