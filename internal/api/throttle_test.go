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
