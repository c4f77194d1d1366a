package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/changes"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/webhooks"
)

// getResult is the answer to a GET, with its body decoded when it has one.
type getResult struct {
	response
	body []byte
}

// persistedGet is a GET of a persisted query: its hash, the query too
// when register is set, and If-None-Match when it is not "".
type persistedGet struct {
	token, query string
	vars         map[string]any
	register     bool
	ifNoneMatch  string
}

func (e *env) get(g persistedGet) getResult {
	e.t.Helper()
	sum := sha256.Sum256([]byte(g.query))
	ext, _ := json.Marshal(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}})
	params := url.Values{"extensions": {string(ext)}}
	if g.register {
		params.Set("query", g.query)
	}
	if g.vars != nil {
		vars, _ := json.Marshal(g.vars)
		params.Set("variables", string(vars))
	}
	return e.getURL(g.token, "/graphql?"+params.Encode(), g.ifNoneMatch)
}

func (e *env) getURL(token, path, ifNoneMatch string) getResult {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	out := getResult{response: response{Status: resp.StatusCode, Header: resp.Header}}
	out.body, _ = io.ReadAll(resp.Body)
	if len(out.body) > 0 {
		if err := json.Unmarshal(out.body, &out.response); err != nil {
			e.t.Fatalf("GET %s: response is not JSON (HTTP %d): %s", path, resp.StatusCode, out.body)
		}
	}
	return out
}

// settle waits, a minute at most, until only a change to the store can
// move its position (changes.Settle).
func (e *env) settle(storeID int64) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := changes.Settle(ctx, e.db.DB, storeID); err != nil {
		e.t.Fatal(err)
	}
}

const dashboard = `query Dashboard($first: Int) { store { name products(first: $first) { totalCount nodes { name } } } }`

// TestConditionalReads: how a persisted query over GET gets its ETag and
// its 304, and which requests get none.
func TestConditionalReads(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("etags", 2, 2, 2)
	var storeID int64
	e.db.Raw(`SELECT id FROM stores WHERE handle = 'etags'`).Scan(&storeID)
	e.settle(storeID)
	q := persistedGet{token: token, query: dashboard, vars: map[string]any{"first": 2}}
	if r := e.get(q); r.Status != http.StatusOK || r.code() != "PERSISTED_QUERY_NOT_FOUND" || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("GET of an unknown hash = %d %s, want 200 PERSISTED_QUERY_NOT_FOUND with message PersistedQueryNotFound", r.Status, r.body)
	}
	reg := q
	reg.register = true
	first := e.get(reg)
	etag := first.Header.Get("ETag")
	if first.Status != http.StatusOK || len(first.Errors) > 0 || !strings.HasPrefix(etag, `W/"`) ||
		first.Header.Get("Cache-Control") != "private, no-cache" || !strings.Contains(first.Header.Get("Vary"), "Authorization") {
		t.Fatalf("GET with query and hash = %d %v %s, want 200 with a weak ETag, Cache-Control: private, no-cache and Vary: Authorization", first.Status, first.Header, first.body)
	}
	if r := e.get(q); r.Status != http.StatusOK || r.Header.Get("ETag") != etag {
		t.Errorf("GET by hash only = %d, ETag %q, want 200 with %q", r.Status, r.Header.Get("ETag"), etag)
	}
	for _, match := range []string{etag, `"other", ` + etag, strings.TrimPrefix(etag, "W/"), "*"} {
		c := q
		c.ifNoneMatch = match
		if r := e.get(c); r.Status != http.StatusNotModified || r.Header.Get("ETag") != etag || len(r.body) != 0 {
			t.Errorf("GET with If-None-Match: %s = %d, ETag %q, body %q; want 304 with %q and no body", match, r.Status, r.Header.Get("ETag"), r.body, etag)
		}
	}
	checkOtherETags(t, e, q, storeID, etag)
	checkNoETag(t, e, token)
}

// checkOtherETags: another token, other variables or another media type
// get another ETag, and do not match this one.
func checkOtherETags(t *testing.T, e *env, q persistedGet, storeID int64, etag string) {
	t.Helper()
	other := q
	other.token = e.token(storeID, auth.ReadInventory)
	e.settle(storeID)
	vars := q
	vars.vars = map[string]any{"first": 1}
	for name, g := range map[string]persistedGet{"another token": other, "other variables": vars} {
		g.ifNoneMatch = etag
		if r := e.get(g); r.Status != http.StatusOK || r.Header.Get("ETag") == "" || r.Header.Get("ETag") == etag {
			t.Errorf("GET with %s and If-None-Match of the first = %d, ETag %q; want 200 with another ETag", name, r.Status, r.Header.Get("ETag"))
		}
	}
}

// checkNoETag: what gets no ETag, and the refusals.
func checkNoETag(t *testing.T, e *env, token string) {
	t.Helper()
	if r := e.getURL(token, "/graphql?query="+url.QueryEscape(dashboard), ""); r.Status != http.StatusOK || r.Header.Get("ETag") != "" {
		t.Errorf("GET without a hash = %d, ETag %q; want 200 without an ETag", r.Status, r.Header.Get("ETag"))
	}
	clock := persistedGet{token: token, query: `{ inventoryConsistencyReport { consistent checkedAt } }`, register: true}
	if r := e.get(clock); r.Status != http.StatusOK || len(r.Errors) > 0 || r.Header.Get("ETag") != "" {
		t.Errorf("GET of a query showing the clock (checkedAt) = %d %s, ETag %q; want 200 without an ETag", r.Status, r.body, r.Header.Get("ETag"))
	}
	mutation := persistedGet{token: token, query: `mutation { updateInventoryConfiguration(input: {backordersEnabled: true}) { configuration { backordersEnabled } } }`, register: true}
	if r := e.get(mutation); r.Status != http.StatusMethodNotAllowed || r.code() != "BAD_REQUEST" || r.Header.Get("ETag") != "" {
		t.Errorf("GET of a persisted mutation = %d %s; want 405 BAD_REQUEST without an ETag", r.Status, r.body)
	}
	for name, ext := range map[string]string{
		"version 2":           `{"persistedQuery": {"version": 2, "sha256Hash": "` + strings.Repeat("a", 64) + `"}}`,
		"a short hash":        `{"persistedQuery": {"version": 1, "sha256Hash": "abc"}}`,
		"not the query's":     `{"persistedQuery": {"version": 1, "sha256Hash": "` + strings.Repeat("a", 64) + `"}}`,
		"not an object":       `{"persistedQuery": "x"}`,
		"a hash not a string": `{"persistedQuery": {"version": 1, "sha256Hash": 5}}`,
	} {
		path := "/graphql?" + url.Values{"query": {"{ store { name } }"}, "extensions": {ext}}.Encode()
		if r := e.getURL(token, path, ""); r.Status != http.StatusBadRequest || r.code() != "BAD_REQUEST" {
			t.Errorf("GET with a persisted query extension of %s = %d %s; want 400 BAD_REQUEST", name, r.Status, r.body)
		}
	}
	sum := sha256.Sum256([]byte(dashboard))
	r := e.post("Bearer "+token, "", nil)
	if r.code() != "BAD_REQUEST" {
		t.Errorf("POST without a query = %+v, want BAD_REQUEST", r.Errors)
	}
	body := `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "` + hex.EncodeToString(sum[:]) + `"}}, "variables": {"first": 1}}`
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != "" {
		t.Errorf("POST of a persisted query by hash = %d, ETag %q; want 200 without an ETag (POST is not cached)", resp.StatusCode, resp.Header.Get("ETag"))
	}
}

// newConditionalEnv is the API with loopback webhook URLs allowed.
func newConditionalEnv(t *testing.T) *env {
	t.Helper()
	db := testdb.MustOpenDB(t)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db, WebhookGuard: webhooks.Guard{AllowPrivate: true}}))
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, srv: srv}
}
