package cli

import (
	"context"
	"testing"

	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// seededDatabase makes a fresh database holding one store (products of 2
// variants at 2 locations, or 1 and 1 for a single product) and a token
// with every scope; the pool closes when the test ends.
func seededDatabase(t *testing.T, handle string, products int) (url string, db *database.DB, storeID int64, token string) {
	t.Helper()
	url = testdb.MustCreate(t)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	per := 2
	if products == 1 {
		per = 1
	}
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: handle, Products: products, Variants: per, Locations: per})
	if err != nil {
		t.Fatal(err)
	}
	token, err = auth.CreateToken(context.Background(), db.DB, res.Store.ID, handle, auth.AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	return url, db, res.Store.ID, token
}
