package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"stockgraph/internal/api"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// env is a running API on a fresh database.
type env struct {
	t   *testing.T
	db  *database.DB
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testdb.MustOpenDB(t)
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db}))
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, srv: srv}
}

// serveWith replaces the env's server with one of cfg (its DB is the
// env's), for a test that needs a setting the fixture did not give.
func (e *env) serveWith(cfg api.Config) {
	e.t.Helper()
	cfg.DB = e.db
	e.srv.Close()
	e.srv = httptest.NewServer(api.NewHandler(cfg))
	e.t.Cleanup(e.srv.Close)
}

// seedStore seeds a store and returns a token with every scope.
func (e *env) seedStore(handle string, products, variants, locations int) string {
	e.t.Helper()
	res, err := seed.Run(context.Background(), e.db.DB, seed.Options{StoreHandle: handle, Products: products, Variants: variants, Locations: locations})
	if err != nil {
		e.t.Fatalf("seed %s: %v", handle, err)
	}
	return e.token(res.Store.ID, auth.AllScopes...)
}

func (e *env) token(storeID int64, scopes ...auth.Scope) string {
	e.t.Helper()
	tok, err := auth.CreateToken(context.Background(), e.db.DB, storeID, "test", scopes)
	if err != nil {
		e.t.Fatalf("create token: %v", err)
	}
	return tok
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Status int
	Header http.Header     `json:"-"`
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	// Extensions are the response's, such as cost.
	Extensions map[string]any `json:"extensions"`
}

// code returns the first error's code, or "" when there is none.
func (r response) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// do posts a query with the token ("" for none) and decodes the response.
func (e *env) do(token, query string, vars map[string]any) response {
	e.t.Helper()
	header := ""
	if token != "" {
		header = "Bearer " + token
	}
	return e.post(header, query, vars)
}

// doHeader posts a query with a raw Authorization header ("" for none).
func (e *env) doHeader(authorization, query string) response {
	e.t.Helper()
	return e.post(authorization, query, nil)
}

func (e *env) post(authorization, query string, vars map[string]any) response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("response is not JSON (HTTP %d): %s", resp.StatusCode, raw)
	}
	return out
}

// mustData runs a query that must succeed and decodes its data into dst.
func (e *env) mustData(token, query string, vars map[string]any, dst any) {
	e.t.Helper()
	r := e.do(token, query, vars)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		e.t.Fatalf("query failed (HTTP %d): %+v\nquery: %s", r.Status, r.Errors, query)
	}
	if dst != nil {
		if err := json.Unmarshal(r.Data, dst); err != nil {
			e.t.Fatalf("decode data: %v\n%s", err, r.Data)
		}
	}
}

// entityID decodes a global ID in tests.
func (e *env) entityID(gid string) int64 {
	e.t.Helper()
	_, id, err := relay.ParseID(gid)
	if err != nil {
		e.t.Fatalf("ParseID(%q): %v", gid, err)
	}
	return id
}
