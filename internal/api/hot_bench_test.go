package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
	"stockgraph/internal/bench"
	"stockgraph/internal/seed"
)

// BenchmarkHotItem sends relative adjustments of one item (+1 then −1
// from each client) from 32 clients straight through the handler, with
// the busy item's adjustments coalesced and one by one. It reports
// requests a second, Go and PostgreSQL CPU per request and statements.
func BenchmarkHotItem(b *testing.B) {
	db, storeID, token := benchStore(b, seed.Options{StoreHandle: "hot", Products: 1, Variants: 1, Locations: 1}, auth.WriteInventory)
	var variant, location int64
	if err := db.Raw(`SELECT variant_id, location_id FROM inventory_items WHERE store_id = ? LIMIT 1`, storeID).Row().Scan(&variant, &location); err != nil {
		b.Fatal(err)
	}
	vars := func(q int) string {
		return fmt.Sprintf(`{"query": %s, "variables": {"variant": %q, "location": %q, "quantity": %d}}`, strconv.Quote(bench.AdjustRelativeMutation),
			relay.ID(relay.KindVariant, variant), relay.ID(relay.KindLocation, location), q)
	}
	bodies := [2]string{vars(1), vars(-1)}
	for _, mode := range []string{"coalesced", "one-by-one"} {
		h := benchHandler(api.Config{DB: db, OneByOne: mode == "one-by-one"})
		serve := func(body string) {
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"error":{`) || strings.Contains(rec.Body.String(), `"errors"`) {
				b.Errorf("HTTP %d: %.300s", rec.Code, rec.Body.String())
			}
		}
		b.Run(mode, func(b *testing.B) {
			const clients = 32
			statements, goCPU, pgCPU := db.Statements(), processCPU(), bench.PostgresCPU()
			start := time.Now()
			var next atomic.Int64
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for i := 0; next.Add(1) <= int64(b.N); i++ {
						serve(bodies[i%2])
					}
				})
			}
			wg.Wait()
			n := float64(b.N)
			b.ReportMetric(n/time.Since(start).Seconds(), "req/s")
			b.ReportMetric(float64(db.Statements()-statements)/n, "statements/op")
			b.ReportMetric(float64(processCPU()-goCPU)/n/1e6, "go-cpu-ms/op")
			b.ReportMetric(float64(bench.PostgresCPU()-pgCPU)/n/1e6, "pg-cpu-ms/op")
		})
	}
}
