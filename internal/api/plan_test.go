package api_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/bench"
	"stockgraph/internal/testsupport/testdb"
)

// plannedSeedQuery is the seed query written as a client might: aliases
// on every connection and inventory field, the product's fields in a
// named fragment, the variant's in an inline one, nodes instead of
// edges for the variants.
const plannedSeedQuery = `
query Dashboard {
	shop: store {
		catalog: products { rows: edges { item: node { ...productRow } } }
	}
}
fragment productRow on Product {
	id
	stock: inventory { totals: aggregated { ...totals } }
	sizes: variants {
		list: nodes { ... on Variant { id stock: inventory { totals: aggregated { ...totals } } } }
	}
}
fragment totals on AggregatedInventory { availableToSell warningLevel backorderLimit availability onHand qtyBackordered }`

// TestSeedQueryPlanSurvivesAliasesAndFragments: the planner finds what a
// page of products selects by the fields' schema types, so the query
// above costs as many statements as the seed query itself. The loaders
// wait only a nanosecond for keys, so a relation the planner misses is
// fetched in many small batches and the counts differ.
func TestSeedQueryPlanSurvivesAliasesAndFragments(t *testing.T) {
	db := testdb.MustOpenDB(t)
	// No token cache, so that both requests count the token's lookup,
	// however long apart they run.
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, LoaderWait: time.Nanosecond, TokenCacheTTL: -1}))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, srv: srv}
	token := e.seedStore("planned", 40, 5, 3)

	count := func(query string) int64 {
		before := db.Statements()
		e.mustData(token, query, nil, nil)
		return db.Statements() - before
	}
	plain, planned := count(bench.SeedQuery), count(plannedSeedQuery)
	if planned != plain {
		t.Errorf("statements for the seed query with aliases and fragments = %d, want %d as without them", planned, plain)
	}
	if plain > 6 {
		t.Errorf("statements for the seed query = %d, want at most 6 (token, store, products, items, variants, locations)", plain)
	}
	t.Logf("statements: seed query %d, with aliases and fragments %d", plain, planned)
}
