package api_test

import (
	"net/http"
	"testing"
	"time"

	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
)

// TestBadInputGetsACode sends the bad requests a client can make and
// checks each gets a GraphQL error with the right extensions.code, never
// a panic or an HTTP 500.
func TestBadInputGetsACode(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("mine", 3, 2, 2)
	e.seedStore("theirs", 3, 2, 2)
	var theirs struct{ ProductID, VariantID, LocationID, ItemID int64 }
	e.db.Raw(`SELECT p.id AS product_id, v.id AS variant_id, l.id AS location_id, i.id AS item_id
		FROM stores s JOIN products p ON p.store_id = s.id JOIN variants v ON v.product_id = p.id
		JOIN inventory_items i ON i.variant_id = v.id JOIN locations l ON l.id = i.location_id
		WHERE s.handle = 'theirs' LIMIT 1`).Scan(&theirs)
	if theirs.ItemID == 0 {
		t.Fatal("the other store has no inventory item")
	}
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		code  string
	}{
		{"malformed ID", `{ node(id: "not-an-id") { id } }`, nil, "BAD_USER_INPUT"},
		{"unknown ID", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": relay.ID(relay.KindProduct, 999999)}, "NOT_FOUND"},
		{"another store's product", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": relay.ID(relay.KindProduct, theirs.ProductID)}, "NOT_FOUND"},
		{"another store's variant", `query($id: ID!) { store { variant(id: $id) { sku } } }`, map[string]any{"id": relay.ID(relay.KindVariant, theirs.VariantID)}, "NOT_FOUND"},
		{"another store's location", `query($id: ID!) { store { location(id: $id) { code } } }`, map[string]any{"id": relay.ID(relay.KindLocation, theirs.LocationID)}, "NOT_FOUND"},
		{"another store's item", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": relay.ID(relay.KindInventoryItem, theirs.ItemID)}, "NOT_FOUND"},
		{"another store's product in a mutation", `mutation($id: ID!) { deleteProduct(input: {id: $id}) { deletedProductId } }`, map[string]any{"id": relay.ID(relay.KindProduct, theirs.ProductID)}, "NOT_FOUND"},
		{"ID of the wrong kind", `query($id: ID!) { store { product(id: $id) { name } } }`, map[string]any{"id": relay.ID(relay.KindVariant, 1)}, "BAD_USER_INPUT"},
		{"unknown SKU", `{ store { variant(sku: "nope") { id } } }`, nil, "NOT_FOUND"},
		{"id and sku", `{ store { product(id: "x", sku: "y") { id } } }`, nil, "BAD_USER_INPUT"},
		{"first below zero", `{ store { products(first: -1) { totalCount } } }`, nil, "BAD_USER_INPUT"},
		{"first above 250", `{ store { products(first: 251) { totalCount } } }`, nil, "BAD_USER_INPUT"},
		{"nested first above 250", `{ store { products(first: 1) { edges { node { variants(first: 1000) { totalCount } } } } } }`, nil, "BAD_USER_INPUT"},
		{"first with last", `{ store { products(first: 1, last: 1) { totalCount } } }`, nil, "BAD_USER_INPUT"},
		{"bad cursor", `{ store { products(first: 1, after: "garbage") { totalCount } } }`, nil, "BAD_USER_INPUT"},
		{"unknown sort field", `{ store { products(sortBy: {field: PRICE}) { totalCount } } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown sort field in variables", `query($s: ProductSort) { store { products(sortBy: $s) { totalCount } } }`, map[string]any{"s": map[string]any{"field": "PRICE"}}, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown field", `{ store { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"syntax error", `{ store { `, nil, "GRAPHQL_PARSE_FAILED"},
		{"too complex", `{ store { products(first: 250) { nodes { variants(first: 250) { nodes { inventory { byLocation { movements(first: 250) { nodes { quantity } } } } } } } } } }`, nil, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"invalid location ID in filter", `{ store { products(first: 1) { edges { node { inventory { byLocation(locationIds: ["zzz"]) { onHand } } } } } } }`, nil, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(token, tt.query, tt.vars)
			if r.Status >= 500 {
				t.Fatalf("HTTP status = %d, want below 500", r.Status)
			}
			if r.code() != tt.code {
				t.Errorf("extensions.code = %q, want %q (errors: %+v)", r.code(), tt.code, r.Errors)
			}
			if len(r.Errors) > 0 && r.Errors[0].Message == "" {
				t.Errorf("error has no message")
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("authn", 1, 1, 1)
	tests := []struct {
		name   string
		header string
	}{
		{"no token", ""},
		{"not bearer", "Basic dXNlcjpwYXNz"},
		{"unknown token", "Bearer sgt_unknown"},
		{"malformed token", "Bearer nonsense"},
	}
	for _, tt := range tests {
		r := e.doHeader(tt.header, `{ store { name } }`)
		if r.Status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" {
			t.Errorf("%s: HTTP %d, code %q, want 401 UNAUTHENTICATED", tt.name, r.Status, r.code())
		}
	}
	if r := e.doHeader("Bearer "+token, `{ store { handle } }`); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("valid token: HTTP %d, errors %+v, want 200 and none", r.Status, r.Errors)
	}
}

// TestRevokedTokenIsRejected: a token revoked before its first request is
// refused at once; one revoked after requests the handler's token cache
// holds is refused once its entry lapses (auth.Cache's tests bound that
// by the TTL with a clock of their own: here the wait is for a condition).
func TestRevokedTokenIsRejected(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("revoke", 1, 1, 1)
	if err := auth.RevokeToken(t.Context(), e.db.DB, token); err != nil {
		t.Fatal(err)
	}
	if r := e.do(token, `{ store { name } }`, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: HTTP %d, want 401", r.Status)
	}
	used := e.seedStore("revoke-used", 1, 1, 1)
	if r := e.do(used, `{ store { name } }`, nil); r.Status != http.StatusOK {
		t.Fatalf("token before revoking: HTTP %d, want 200", r.Status)
	}
	if err := auth.RevokeToken(t.Context(), e.db.DB, used); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for r := e.do(used, `{ store { name } }`, nil); r.Status != http.StatusUnauthorized; r = e.do(used, `{ store { name } }`, nil) {
		if r.Status != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("revoked token: HTTP %d, want 200 until the cache lapses, then 401", r.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestScopes(t *testing.T) {
	e := newEnv(t)
	e.seedStore("scoped", 1, 1, 1)
	var storeID int64
	e.db.Raw(`SELECT id FROM stores WHERE handle = 'scoped'`).Scan(&storeID)
	readOnly := e.token(storeID, auth.ReadInventory)
	catalog := e.token(storeID, auth.WriteCatalog)
	hooks := e.token(storeID, auth.ManageWebhooks)
	create := `mutation { createLocation(input: {code: "X1", name: "X"}) { location { code } } }`
	adjust := `mutation { adjustInventoryRelative(input: {reason: "count", items: [{locationId: "TG9jYXRpb246MQ", sku: "x", quantity: 1}]}) { items { onHand } } }`
	for _, tt := range []struct {
		name, token, query, code string
	}{
		{"createLocation with read_inventory only", readOnly, create, "FORBIDDEN"},
		{"adjust with write_catalog only", catalog, adjust, "FORBIDDEN"},
		{"adjust with manage_webhooks only", hooks, adjust, "FORBIDDEN"},
		{"createLocation with write_catalog", catalog, create, ""},
		// Every scope includes reading: the payload may show the rest of
		// the store, and so may a query.
		{"payload reading inventoryItems with write_catalog", catalog,
			`mutation { createLocation(input: {code: "X2", name: "X"}) { location { code inventoryItems { totalCount } } } }`, ""},
		{"store with write_catalog", catalog, `{ store { name } }`, ""},
		{"store with manage_webhooks", hooks, `{ store { name } }`, ""},
	} {
		r := e.do(tt.token, tt.query, nil)
		if got := r.code(); got != tt.code {
			t.Errorf("%s: code %q, want %q (%+v)", tt.name, got, tt.code, r.Errors)
		}
	}
}
