package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"

	"stockgraph/internal/apperr"
	"stockgraph/internal/auth"
)

func TestMatchesETag(t *testing.T) {
	const etag = `W/"abc"`
	for _, c := range []struct {
		header string
		want   bool
	}{
		{`W/"abc"`, true},
		{`"abc"`, true}, // weak comparison
		{`*`, true},
		{`"x", W/"abc"`, true},
		{` W/"x" ,W/"abc" `, true},
		{``, false},
		{`W/"abcd"`, false},
		{`abc`, false},
		{`"x", "y"`, false},
	} {
		if got := matchesETag(c.header, etag); got != c.want {
			t.Errorf("matchesETag(%q, %q) = %v, want %v", c.header, etag, got, c.want)
		}
	}
}

// TestPersistedQueryCodes: every refusal of a persisted query has its
// code, for websocket messages too (whose numbers decode as float64),
// where no HTTP transport checked the extension first.
func TestPersistedQueryCodes(t *testing.T) {
	p := persistedQueries{extension.AutomaticPersistedQuery{Cache: lru.New[string](10)}}
	query := "{ store { name } }"
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	for _, c := range []struct {
		name, query string
		pq          any
		want        apperr.Code
	}{
		{"an unknown hash", "", map[string]any{"version": float64(1), "sha256Hash": hash}, apperr.PersistedQueryNotFound},
		{"version 2", "", map[string]any{"version": float64(2), "sha256Hash": hash}, apperr.BadRequest},
		{"not an object", "", "x", apperr.BadRequest},
		{"another query's hash", "{ store { id } }", map[string]any{"version": float64(1), "sha256Hash": hash}, apperr.BadRequest},
		{"the query with its hash", query, map[string]any{"version": float64(1), "sha256Hash": hash}, ""},
		{"then the hash alone", "", map[string]any{"version": float64(1), "sha256Hash": hash}, ""},
	} {
		params := &graphql.RawParams{Query: c.query, Extensions: map[string]any{"persistedQuery": c.pq}}
		ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{})
		err := p.MutateOperationParameters(ctx, params)
		var got apperr.Code
		if err != nil {
			got = apperr.CodeOf(err)
		}
		if got != c.want {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.want)
		}
	}
}

// TestETagCoversThePrincipal: the store, the token and its scopes are
// part of the ETag: two tokens never share one.
func TestETagCoversThePrincipal(t *testing.T) {
	base := func() *auth.Principal {
		return &auth.Principal{StoreID: 1, TokenID: 2, Scopes: []auth.Scope{auth.ReadInventory}}
	}
	want := etagOf(base(), "10", "h", "", "", mediaJSON)
	if again := etagOf(base(), "10", "h", "", "", mediaJSON); again != want {
		t.Fatalf("etagOf twice = %s and %s, want equal", want, again)
	}
	store, scoped, token := base(), base(), base()
	store.StoreID = 4
	scoped.Scopes = append(scoped.Scopes, auth.WriteInventory)
	token.TokenID = 3
	for name, p := range map[string]*auth.Principal{"another store": store, "another scope": scoped, "another token": token} {
		if got := etagOf(p, "10", "h", "", "", mediaJSON); got == want {
			t.Errorf("etagOf(%s) = %s, the same as before", name, got)
		}
	}
	for name, got := range map[string]string{
		"another position":   etagOf(base(), "11", "h", "", "", mediaJSON),
		"another hash":       etagOf(base(), "10", "i", "", "", mediaJSON),
		"an operation name":  etagOf(base(), "10", "h", "Q", "", mediaJSON),
		"variables":          etagOf(base(), "10", "h", "", "{}", mediaJSON),
		"another media":      etagOf(base(), "10", "h", "", "", mediaGraphQLResponse),
		"parts run together": etagOf(base(), "10", "h", "", "{}"+mediaJSON, ""),
	} {
		if got == want {
			t.Errorf("etagOf with %s = %s, the same as before", name, got)
		}
	}
}
