package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"stockgraph/internal/api"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/throttle"
)

// postRaw posts query and returns the HTTP response with its decoded body.
func postRaw(t *testing.T, url, authorization, query string) (*http.Response, response) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON (HTTP %d): %s", resp.StatusCode, raw)
	}
	return resp, out
}

// TestThrottle spends a tiny bucket: each answer reports what is left,
// and the request that costs more than what is left gets THROTTLED with
// HTTP 429 and Retry-After; requests without a valid token spend their
// address's budget the same way.
func TestThrottle(t *testing.T) {
	db := testdb.MustOpenDB(t)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db,
		Throttle:        throttle.Config{Size: 10, Rate: 0.01},
		AddressThrottle: throttle.Config{Size: 2, Rate: 0.01}}))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, srv: srv}
	token := e.seedStore("throttled", 1, 1, 1)
	const query = `{ store { id name } }` // costs 3
	for i, wantLeft := range []float64{7, 4, 1} {
		_, r := postRaw(t, srv.URL, "Bearer "+token, query)
		c, _ := r.Extensions["cost"].(map[string]any)
		st, _ := c["throttleStatus"].(map[string]any)
		left, _ := st["currentlyAvailable"].(float64)
		if len(r.Errors) > 0 || c["requestedQueryCost"] != 3.0 || c["actualQueryCost"] != 3.0 ||
			st["maximumAvailable"] != 10.0 || st["restoreRate"] != 0.01 || left < wantLeft || left > wantLeft+0.5 {
			t.Fatalf("request %d: errors %+v, extensions.cost = %v, want 3 points and about %v left", i, r.Errors, c, wantLeft)
		}
	}
	resp, r := postRaw(t, srv.URL, "Bearer "+token, query)
	if resp.StatusCode != http.StatusTooManyRequests || r.code() != "THROTTLED" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("4th request: HTTP %d, code %q, Retry-After %q, want 429 THROTTLED with Retry-After",
			resp.StatusCode, r.code(), resp.Header.Get("Retry-After"))
	}
	for i, want := range []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests} {
		resp, r := postRaw(t, srv.URL, "Bearer sgt_unknown", query)
		if resp.StatusCode != want || (want == http.StatusTooManyRequests && (r.code() != "THROTTLED" || resp.Header.Get("Retry-After") == "")) {
			t.Errorf("unknown token, request %d: HTTP %d, code %q, Retry-After %q, want %d", i, resp.StatusCode, r.code(), resp.Header.Get("Retry-After"), want)
		}
	}
}

// costOf is a response's extensions.cost: requested, actual (-1 when
// null) and the bucket's points left.
func costOf(t *testing.T, r response) (requested, actual, left float64) {
	t.Helper()
	c, ok := r.Extensions["cost"].(map[string]any)
	if !ok {
		t.Fatalf("response has no extensions.cost: %+v", r)
	}
	st, _ := c["throttleStatus"].(map[string]any)
	requested, _ = c["requestedQueryCost"].(float64)
	actual = -1
	if a, ok := c["actualQueryCost"].(float64); ok {
		actual = a
	}
	left, _ = st["currentlyAvailable"].(float64)
	return requested, actual, left
}

// TestActualCostRefunds: a page of 250 products over a store of 3 is
// priced for 250 and costs what came back; the difference goes back to
// the bucket, so a second such request fits where the price alone would
// have been refused. A refused request reports a null actual cost.
func TestActualCostRefunds(t *testing.T) {
	db := testdb.MustOpenDB(t)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, Throttle: throttle.Config{Size: 1000, Rate: 0.001}}))
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, srv: srv}
	token := e.seedStore("refunds", 3, 1, 1)
	// store 1 + products (1 + 250 × (nodes 1 + sku 1)) = 502; returned:
	// store, products, nodes and 3 skus = 6.
	const query = `{ store { products(first: 250) { nodes { sku } } } }`
	const requested, actual = 502, 6
	for i := range 2 {
		_, r := postRaw(t, srv.URL, "Bearer "+token, query)
		req, act, left := costOf(t, r)
		want := 1000 - float64(i+1)*actual
		t.Logf("request %d: requested %v, actual %v, bucket %.1f of 1000 (without the refund: %v, and the 2nd request THROTTLED)",
			i+1, req, act, left, 1000-requested)
		if len(r.Errors) > 0 || req != requested || act != actual || left < want || left > want+0.5 {
			t.Errorf("request %d: errors %+v, cost %v/%v, %v left; want %d/%d and about %v left",
				i+1, r.Errors, req, act, left, requested, actual, want)
		}
	}
	// 1 + 1 + 250 × (1 + 3) = 1002 points: more than the bucket holds.
	resp, r := postRaw(t, srv.URL, "Bearer "+token, `{ store { products(first: 250) { nodes { id sku name } } } }`)
	req, act, left := costOf(t, r)
	t.Logf("refused: requested %v, actual %v (-1: null), bucket %.1f", req, act, left)
	if resp.StatusCode != http.StatusTooManyRequests || r.code() != "THROTTLED" || req != 1002 || act != -1 || left < 988 || left > 988.5 {
		t.Errorf("a request priced above the bucket: HTTP %d, code %q, cost %v/%v, %v left; want 429 THROTTLED, 1002/null, 988 left",
			resp.StatusCode, r.code(), req, act, left)
	}
}
