package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/bench"
	"stockgraph/internal/changes"
	"stockgraph/internal/database"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/throttle"
)

// BenchmarkDashboardRead serves issue 10's dashboard read (50 products ×
// 10 variants × 5 locations) straight through the handler, with no HTTP
// client in the process, so that the process's CPU is the server's: from
// 1, 8 and 32 concurrent clients. It reports requests a second, Go CPU
// and PostgreSQL CPU per request (every postgres process of the machine:
// run it on a quiet cluster), the peak of the live heap divided by the
// clients (memory per request in flight), statements and bytes.
func BenchmarkDashboardRead(b *testing.B) {
	db, _, token := benchStore(b, seed.Options{StoreHandle: "dashboard", Products: 100, Variants: 10, Locations: 5}, auth.ReadInventory)
	h := benchHandler(api.Config{DB: db})
	body := `{"query": ` + strconv.Quote(bench.DashboardQuery) + `}`
	serve := func() int {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Errorf("HTTP %d: %.300s", rec.Code, rec.Body.String())
		}
		return rec.Body.Len()
	}
	for _, clients := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { measure(b, db, clients, serve) })
	}
}

// BenchmarkDashboardNotModified serves the same dashboard read as
// BenchmarkDashboardRead as a persisted query over GET: "etag=no" without
// If-None-Match (the full read, with its ETag computed), "etag=yes" with
// the ETag of the last answer while the store stands still, which is
// answered 304 Not Modified from the change position alone. Figures as
// BenchmarkDashboardRead's.
func BenchmarkDashboardNotModified(b *testing.B) {
	db, storeID, token := benchStore(b, seed.Options{StoreHandle: "dashboard", Products: 100, Variants: 10, Locations: 5}, auth.ReadInventory)
	h := benchHandler(api.Config{DB: db})
	ctx := context.Background()
	sum := sha256.Sum256([]byte(bench.DashboardQuery))
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
	byHash := "/graphql?" + url.Values{"extensions": {ext}}.Encode()
	get := func(path, ifNoneMatch string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	// A position read right after the seed may still move as older
	// transactions of the cluster end.
	if err := changes.Settle(ctx, db.DB, storeID); err != nil {
		b.Fatal(err)
	}
	etag := get("/graphql?"+url.Values{"query": {bench.DashboardQuery}, "extensions": {ext}}.Encode(), "").Header().Get("ETag")
	if etag == "" {
		b.Fatal("the registering GET got no ETag")
	}
	for _, conditional := range []bool{false, true} {
		want, ifNoneMatch, name := http.StatusOK, "", "etag=no"
		if conditional {
			want, ifNoneMatch, name = http.StatusNotModified, etag, "etag=yes"
		}
		for _, clients := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/clients=%d", name, clients), func(b *testing.B) {
				measure(b, db, clients, func() int {
					rec := get(byHash, ifNoneMatch)
					if rec.Code != want {
						b.Errorf("HTTP %d, want %d: %.300s", rec.Code, want, rec.Body.String())
					}
					return rec.Body.Len()
				})
			})
		}
	}
}

// benchStore seeds a store of a fresh database and makes a token of it
// with scope.
func benchStore(b *testing.B, o seed.Options, scope auth.Scope) (db *database.DB, storeID int64, token string) {
	b.Helper()
	db = testdb.MustOpenDB(b)
	res, err := seed.Run(context.Background(), db.DB, o)
	if err != nil {
		b.Fatal(err)
	}
	if token, err = auth.CreateToken(context.Background(), db.DB, res.Store.ID, "bench", []auth.Scope{scope}); err != nil {
		b.Fatal(err)
	}
	return db, res.Store.ID, token
}

// benchHandler is the server of cfg, logging nothing, with the token's
// bucket opened wide: the default one (about 3 dashboard reads a second)
// would measure the throttle, not the server.
func benchHandler(cfg api.Config) http.Handler {
	cfg.Logger, cfg.Throttle = slog.New(slog.DiscardHandler), throttle.Config{Size: 1e12, Rate: 1e12}
	return api.NewHandler(cfg)
}

// measure serves b.N requests from clients at once and reports
// BenchmarkDashboardRead's figures.
func measure(b *testing.B, db *database.DB, clients int, serve func() int) {
	size := serve()
	statements, goCPU, pgCPU := db.Statements(), processCPU(), bench.PostgresCPU()
	peak := watchHeap()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				serve()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(db.Statements()-statements)/n, "statements/op")
	b.ReportMetric(float64(processCPU()-goCPU)/n/1e6, "go-cpu-ms/op")
	b.ReportMetric(float64(bench.PostgresCPU()-pgCPU)/n/1e6, "pg-cpu-ms/op")
	b.ReportMetric(float64(peak())/float64(clients)/(1<<20), "heap-MB/client")
	b.ReportMetric(float64(size), "bytes/response")
}

// watchHeap samples the live heap (as the last garbage collection marked
// it) every millisecond until the returned function is called, which
// returns the highest sample.
func watchHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}

// processCPU is this process's user and system CPU time.
func processCPU() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
