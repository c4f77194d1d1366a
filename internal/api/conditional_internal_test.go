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
