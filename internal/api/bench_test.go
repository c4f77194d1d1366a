package api_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/bench"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// BenchmarkSeedQuery measures the BigCommerce seed query over 100
// products × 10 variants × 5 locations through HTTP, and reports SQL
// statements per request next to the time.
func BenchmarkSeedQuery(b *testing.B) {
	db := testdb.MustOpenDB(b)
	ctx := context.Background()
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: "bench", Products: 100, Variants: 10, Locations: 5})
	if err != nil {
		b.Fatal(err)
	}
	token, err := auth.CreateToken(ctx, db.DB, res.Store.ID, "bench", []auth.Scope{auth.ReadInventory})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db}))
	defer srv.Close()
	client := &bench.Client{URL: srv.URL + "/graphql", Token: token}
	if _, err := client.Do(ctx, bench.SeedQuery); err != nil {
		b.Fatal(err)
	}
	before := db.Statements()
	b.ResetTimer()
	for b.Loop() {
		if _, err := client.Do(ctx, bench.SeedQuery); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(db.Statements()-before)/float64(b.N), "statements/op")
}
