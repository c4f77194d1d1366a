package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"stockgraph/internal/api"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/catalog"
)

// httpResult is a response read without assuming its shape.
type httpResult struct {
	Status      int
	ContentType string
	Keys        map[string]json.RawMessage // the body's top-level entries
	Errors      []gqlError
	Raw         []byte
}

func (r httpResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (r httpResult) field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// httpRequest is one request as a client could send it, malformed or not.
type httpRequest struct {
	method      string     // POST when empty
	contentType string     // application/json when empty; "none" sends no Content-Type
	accept      string     // no Accept header when empty
	body        string     // POST's body
	params      url.Values // GET's URL parameters
}

func (e *env) send(token string, req httpRequest) httpResult {
	e.t.Helper()
	method := orDefault(req.method, http.MethodPost)
	target := e.srv.URL + "/graphql"
	if req.params != nil {
		target += "?" + req.params.Encode()
	}
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(req.body)
	}
	r, _ := http.NewRequest(method, target, body)
	if ct := orDefault(req.contentType, "application/json"); ct != "none" && method != http.MethodGet {
		r.Header.Set("Content-Type", ct)
	}
	if req.accept != "" {
		r.Header.Set("Accept", req.accept)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		e.t.Fatalf("%s /graphql: %v", method, err)
	}
	defer resp.Body.Close()
	out := httpResult{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	out.Raw, _ = io.ReadAll(resp.Body)
	if err := json.Unmarshal(out.Raw, &out.Keys); err != nil {
		e.t.Fatalf("response is not a JSON object (HTTP %d): %.300s", resp.StatusCode, out.Raw)
	}
	if raw, ok := out.Keys["errors"]; ok {
		_ = json.Unmarshal(raw, &out.Errors)
	}
	return out
}

func orDefault(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// gqlBody is a well-formed request body.
func gqlBody(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

func manyStrings(n int, format string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

const graphQLResponse = "application/graphql-response+json"

// TestBadInputIsTheClientsError sends each client mistake over real HTTP
// and checks the status, extensions.code and extensions.field: never
// INTERNAL, never a 5xx. A request error (one refused before execution)
// has no "data" entry at all.
func TestBadInputIsTheClientsError(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("bad", 2, 2, 2)
	var ids struct{ VariantID, LocationID int64 }
	if err := e.db.Raw(`SELECT v.id AS variant_id, l.id AS location_id FROM variants v JOIN locations l ON l.store_id = v.store_id
		WHERE l.type IN ('STORE', 'WAREHOUSE') ORDER BY v.id, l.id LIMIT 1`).Scan(&ids).Error; err != nil || ids.VariantID == 0 {
		t.Fatalf("a variant and a physical location of the seeded store: %+v, %v", ids, err)
	}
	variant, location := relay.ID(relay.KindVariant, ids.VariantID), relay.ID(relay.KindLocation, ids.LocationID)
	b64 := func(s string) string { return base64URL(s) }
	products := `query($f: ProductFilter) { store { products(first: 1, filter: $f) { totalCount } } }`
	stock := `mutation($v: ID!, $l: ID!, $m: JSON) { stockVariant(input: {variantId: $v, locationId: $l, metadata: $m}) { inventoryItem { id } } }`
	asOf := `query($t: DateTime) { store { products(first: 1) { nodes { inventory(asOf: $t) { aggregated { onHand } } } } } }`
	deep := strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)

	tests := []struct {
		name   string
		req    httpRequest
		status int
		code   string
		field  string // "" leaves extensions.field unchecked
		data   bool   // whether the response has a "data" entry
	}{
		// Not a well-formed GraphQL-over-HTTP request: BAD_REQUEST.
		{"malformed JSON", httpRequest{body: `{"query": "{ store { name } }"`}, 400, "BAD_REQUEST", "", false},
		{"batched array", httpRequest{body: `[{"query": "{ store { name } }"}, {"query": "{ store { handle } }"}]`}, 400, "BAD_REQUEST", "", false},
		{"JSON nested 10,000 deep", httpRequest{body: `{"query": "query($v: JSON) { store { name } }", "variables": {"v": ` + deep + `}}`}, 400, "BAD_REQUEST", "", false},
		{"text/plain", httpRequest{contentType: "text/plain", body: gqlBody(`{ store { name } }`, nil)}, 415, "BAD_REQUEST", "", false},
		{"no Content-Type", httpRequest{contentType: "none", body: gqlBody(`{ store { name } }`, nil)}, 415, "BAD_REQUEST", "", false},
		{"empty body", httpRequest{body: ""}, 400, "BAD_REQUEST", "", false},
		{"blank body", httpRequest{body: " \n"}, 400, "BAD_REQUEST", "", false},
		{"null body", httpRequest{body: "null"}, 400, "BAD_REQUEST", "", false},
		{"query not a string", httpRequest{body: `{"query": 42}`}, 400, "BAD_REQUEST", "", false},
		{"variables not an object", httpRequest{body: `{"query": "{ store { name } }", "variables": [1]}`}, 400, "BAD_REQUEST", "", false},
		{"no query", httpRequest{body: `{"variables": {}}`}, 400, "BAD_REQUEST", "", false},
		{"data after the object", httpRequest{body: `{"query": "{ store { name } }"} {}`}, 400, "BAD_REQUEST", "", false},
		{"body too large", httpRequest{body: `{"query": "` + strings.Repeat(" ", api.DefaultMaxBodyBytes) + `{ store { name } }"}`}, 413, "BAD_REQUEST", "", false},
		{"PUT", httpRequest{method: http.MethodPut, body: gqlBody(`{ store { name } }`, nil)}, 405, "BAD_REQUEST", "", false},
		{"mutation over GET", httpRequest{method: http.MethodGet, params: url.Values{"query": {`mutation { deleteProduct(input: {id: "x"}) { deletedProductId } }`}}}, 405, "BAD_REQUEST", "", false},
		{"GET with malformed variables", httpRequest{method: http.MethodGet, params: url.Values{"query": {`{ store { name } }`}, "variables": {"{"}}}, 400, "BAD_REQUEST", "", false},
		{"GET without a query", httpRequest{method: http.MethodGet, params: url.Values{}}, 400, "BAD_REQUEST", "", false},

		// Parse, validation and variable-coercion failures: 200 for
		// application/json, 400 for application/graphql-response+json.
		{"syntax error", httpRequest{body: gqlBody(`{ store { `, nil)}, 200, "GRAPHQL_PARSE_FAILED", "", false},
		{"unknown field", httpRequest{body: gqlBody(`{ store { nope } }`, nil)}, 200, "GRAPHQL_VALIDATION_FAILED", "", false},
		{"variable of the wrong type", httpRequest{body: gqlBody(`query($n: Int) { store { products(first: $n) { totalCount } } }`, map[string]any{"n": "ten"})}, 200, "GRAPHQL_VALIDATION_FAILED", "", false},
		{"list literal nested 10,000 deep", httpRequest{body: gqlBody(`{ store { products(filter: {skus: `+deep+`}) { totalCount } } }`, nil)}, 200, "GRAPHQL_PARSE_FAILED", "", false},
		{"syntax error, graphql-response+json", httpRequest{accept: graphQLResponse, body: gqlBody(`{ store { `, nil)}, 400, "GRAPHQL_PARSE_FAILED", "", false},
		{"unknown field, graphql-response+json", httpRequest{accept: graphQLResponse, body: gqlBody(`{ store { nope } }`, nil)}, 400, "GRAPHQL_VALIDATION_FAILED", "", false},
		{"variable of the wrong type, graphql-response+json", httpRequest{accept: graphQLResponse, body: gqlBody(`query($n: Int) { store { products(first: $n) { totalCount } } }`, map[string]any{"n": "ten"})}, 400, "GRAPHQL_VALIDATION_FAILED", "", false},
		{"GET syntax error, graphql-response+json", httpRequest{method: http.MethodGet, accept: graphQLResponse, params: url.Values{"query": {`{ store {`}}}, 400, "GRAPHQL_PARSE_FAILED", "", false},

		// Lists longer than api.MaxListLength are refused before anything runs.
		{"100,000 SKUs", httpRequest{body: gqlBody(products, map[string]any{"f": map[string]any{"skus": manyStrings(100_000, "SKU-%d")}})}, 200, "BAD_USER_INPUT", "filter.skus", false},
		{"100,000 IDs", httpRequest{body: gqlBody(products, map[string]any{"f": map[string]any{"ids": manyStrings(100_000, "id-%d")}})}, 200, "BAD_USER_INPUT", "filter.ids", false},
		{"100,000 SKUs, graphql-response+json", httpRequest{accept: graphQLResponse, body: gqlBody(products, map[string]any{"f": map[string]any{"skus": manyStrings(100_000, "SKU-%d")}})}, 400, "BAD_USER_INPUT", "filter.skus", false},
		{"100,000 SKUs in an inline list", httpRequest{body: gqlBody(`{ store { locations(first: 1) { nodes { inventoryItems(filter: {skus: ["`+strings.Join(manyStrings(100_000, "S%d"), `","`)+`"]}) { totalCount } } } } }`, nil)}, 200, "BAD_USER_INPUT", "filter.skus", false},

		// Scalars the client sent wrong: BAD_USER_INPUT naming the argument.
		{"DateTime out of range", httpRequest{body: gqlBody(`{ store { products(first: 1) { nodes { inventory(asOf: "2026-13-45T99:00:00Z") { aggregated { onHand } } } } } }`, nil)}, 200, "BAD_USER_INPUT", "asOf", true},
		{"DateTime out of range in a variable", httpRequest{body: gqlBody(asOf, map[string]any{"t": "2026-13-45T99:00:00Z"})}, 200, "BAD_USER_INPUT", "asOf", true},
		{"DateTime not RFC 3339", httpRequest{body: gqlBody(asOf, map[string]any{"t": "2026-01-02 03:04:05"})}, 200, "BAD_USER_INPUT", "asOf", true},
		{"DateTime as a number", httpRequest{body: gqlBody(asOf, map[string]any{"t": 1700000000})}, 200, "BAD_USER_INPUT", "asOf", true},
		{"DateTime in a filter", httpRequest{body: gqlBody(`{ inventoryMovements(filter: {from: "yesterday"}) { nodes { id } } }`, nil)}, 200, "BAD_USER_INPUT", "filter.from", true},
		{"metadata as an array", httpRequest{body: gqlBody(stock, map[string]any{"v": variant, "l": location, "m": []any{1, 2}})}, 200, "BAD_USER_INPUT", "input.metadata", true},
		{"metadata as an inline array", httpRequest{body: gqlBody(`mutation { stockVariant(input: {variantId: "`+variant+`", locationId: "`+location+`", metadata: [1]}) { inventoryItem { id } } }`, nil)}, 200, "BAD_USER_INPUT", "input.metadata", true},
		{"metadata as a number", httpRequest{body: gqlBody(stock, map[string]any{"v": variant, "l": location, "m": 7})}, 200, "BAD_USER_INPUT", "input.metadata", true},
		{"metadata as a string of an array", httpRequest{body: gqlBody(stock, map[string]any{"v": variant, "l": location, "m": "[1]"})}, 200, "BAD_USER_INPUT", "input.metadata", true},

		// Sizes: every string, list and JSON input is bounded.
		{"search of 201 characters", httpRequest{body: gqlBody(products, map[string]any{"f": map[string]any{"search": strings.Repeat("é", catalog.MaxSearchLen+1)}})}, 200, "BAD_USER_INPUT", "filter.search", true},
		{"search of 100,000 characters", httpRequest{body: gqlBody(products, map[string]any{"f": map[string]any{"search": strings.Repeat("a", 100_000)}})}, 200, "BAD_USER_INPUT", "filter.search", false},
		{"metadata over 16 KiB", httpRequest{body: gqlBody(stock, map[string]any{"v": variant, "l": location, "m": map[string]any{"note": strings.Repeat("x", api.MaxMetadataBytes)}})}, 200, "BAD_USER_INPUT", "input.metadata", false},
		{"metadata of many small keys", httpRequest{body: gqlBody(stock, map[string]any{"v": variant, "l": location, "m": manyKeys(2000)})}, 200, "BAD_USER_INPUT", "input.metadata", false},
		{"description over 64 KiB", httpRequest{body: gqlBody(`mutation($d: String) { createProduct(input: {name: "Big", description: $d}) { product { id } } }`, map[string]any{"d": strings.Repeat("x", api.MaxStringBytes+1)})}, 200, "BAD_USER_INPUT", "input.description", false},
		{"101 variants in createProduct", httpRequest{body: gqlBody(`mutation($v: [VariantFieldsInput!]) { createProduct(input: {name: "Many", variants: $v}) { product { id } } }`, map[string]any{"v": variantInputs(catalog.MaxVariants + 1)})}, 200, "BAD_USER_INPUT", "input.variants", true},

		// Non-canonical global IDs name no object; ID errors name the
		// argument that held the ID.
		{"ID with leading zeros", httpRequest{body: gqlBody(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": b64(fmt.Sprintf("Variant:0%d", ids.VariantID))})}, 200, "BAD_USER_INPUT", "id", true},
		{"ID with a plus sign", httpRequest{body: gqlBody(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": b64(fmt.Sprintf("Variant:+%d", ids.VariantID))})}, 200, "BAD_USER_INPUT", "id", true},
		{"malformed ID in a filter list", httpRequest{body: gqlBody(products, map[string]any{"f": map[string]any{"ids": []string{relay.ID(relay.KindProduct, 1), "zzz"}}})}, 200, "BAD_USER_INPUT", "filter.ids[1]", true},
		{"malformed ID in a mutation input", httpRequest{body: gqlBody(stock, map[string]any{"v": "nope", "l": location})}, 200, "BAD_USER_INPUT", "input.variantId", true},
		{"ID of the wrong kind", httpRequest{body: gqlBody(stock, map[string]any{"v": variant, "l": variant})}, 200, "BAD_USER_INPUT", "input.locationId", true},
		{"malformed location ID inline", httpRequest{body: gqlBody(`{ store { products(first: 1) { nodes { inventory { byLocation(locationIds: ["zzz"]) { onHand } } } } } }`, nil)}, 200, "BAD_USER_INPUT", "locationIds[0]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(token, tt.req)
			if r.Status != tt.status {
				t.Errorf("HTTP status = %d, want %d (%.300s)", r.Status, tt.status, r.Raw)
			}
			if r.Status >= 500 {
				t.Errorf("HTTP status = %d, want below 500", r.Status)
			}
			if r.code() != tt.code {
				t.Errorf("extensions.code = %q, want %q (errors: %+v)", r.code(), tt.code, r.Errors)
			}
			if tt.field != "" && r.field() != tt.field {
				t.Errorf("extensions.field = %q, want %q (errors: %+v)", r.field(), tt.field, r.Errors)
			}
			for _, err := range r.Errors {
				if err.Extensions["code"] == "INTERNAL" || err.Message == "" {
					t.Errorf("error %+v: want a client error with a message", err)
				}
			}
			if _, ok := r.Keys["data"]; ok != tt.data {
				t.Errorf("response has data = %v, want %v (%.300s)", ok, tt.data, r.Raw)
			}
			wantType := "application/json"
			if tt.req.accept == graphQLResponse {
				wantType = graphQLResponse
			}
			if r.ContentType != wantType {
				t.Errorf("Content-Type = %q, want %q", r.ContentType, wantType)
			}
		})
	}
}

// manyKeys is a metadata object of n short keys.
func manyKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("key-%d", i)] = i
	}
	return m
}

// variantInputs is n variants with distinct SKUs.
func variantInputs(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"sku": fmt.Sprintf("many-%d", i)}
	}
	return out
}

func base64URL(s string) string {
	// relay.ID's encoding, written out so the test does not trust it.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	var acc, bits uint
	for _, c := range []byte(s) {
		acc, bits = acc<<8|uint(c), bits+8
		for bits >= 6 {
			bits -= 6
			b.WriteByte(alphabet[acc>>bits&63])
		}
	}
	if bits > 0 {
		b.WriteByte(alphabet[acc<<(6-bits)&63])
	}
	return b.String()
}

// TestGraphQLResponseMediaType checks that a successful request answers
// in the media type the client accepts, with HTTP 200 and data.
func TestGraphQLResponseMediaType(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("media", 1, 1, 1)
	tests := []struct{ accept, want string }{
		{"", "application/json"},
		{"application/json", "application/json"},
		{"*/*", "application/json"},
		{graphQLResponse, graphQLResponse},
		{graphQLResponse + ", application/json;q=0.9", graphQLResponse},
		{"application/json, " + graphQLResponse, "application/json"},
	}
	for _, tt := range tests {
		r := e.send(token, httpRequest{accept: tt.accept, body: gqlBody(`{ store { handle } }`, nil)})
		if r.Status != http.StatusOK || r.ContentType != tt.want || !bytes.Contains(r.Keys["data"], []byte(`"media"`)) {
			t.Errorf("Accept %q: HTTP %d, Content-Type %q, data %s; want 200, %q and the store", tt.accept, r.Status, r.ContentType, r.Keys["data"], tt.want)
		}
	}
	get := e.send(token, httpRequest{method: http.MethodGet, params: url.Values{"query": {`query($h: Int) { store { products(first: $h) { totalCount } } }`}, "variables": {`{"h": 1}`}}})
	if get.Status != http.StatusOK || len(get.Errors) > 0 {
		t.Errorf("GET query: HTTP %d, errors %+v; want 200 and none", get.Status, get.Errors)
	}
}

// TestLongListFilters checks that filters up to api.MaxListLength values
// work: they pass as one array parameter, not one parameter per value.
func TestLongListFilters(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("long", 3, 2, 1)
	var p struct {
		ID  int64
		SKU string
	}
	e.db.Raw(`SELECT p.id, v.sku FROM products p JOIN variants v ON v.product_id = p.id ORDER BY p.id LIMIT 1`).Scan(&p)
	skus := append(manyStrings(api.MaxListLength-1, "NOPE-%d"), p.SKU)
	gids := make([]string, api.MaxListLength-1)
	for i := range gids {
		gids[i] = relay.ID(relay.KindProduct, int64(1_000_000+i))
	}
	gids = append(gids, relay.ID(relay.KindProduct, p.ID))
	query := `query($f: ProductFilter) { store { products(first: 5, filter: $f) { totalCount nodes { id } } } }`
	for name, filter := range map[string]map[string]any{"skus": {"skus": skus}, "ids": {"ids": gids}} {
		var got struct {
			Store struct {
				Products struct {
					TotalCount int
					Nodes      []struct{ ID string }
				}
			}
		}
		e.mustData(token, query, map[string]any{"f": filter}, &got)
		if got.Store.Products.TotalCount != 1 || len(got.Store.Products.Nodes) != 1 || got.Store.Products.Nodes[0].ID != relay.ID(relay.KindProduct, p.ID) {
			t.Errorf("products(filter: %d %s) = %+v, want the one product %d", api.MaxListLength, name, got.Store.Products, p.ID)
		}
	}
}
