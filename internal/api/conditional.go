package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/auth"
	"stockgraph/internal/changes"
	"stockgraph/internal/throttle"
)

// Conditional reads (issue 10): a GET of a persisted query (Apollo's
// automatic persisted queries: extensions.persistedQuery.sha256Hash) by a
// token gets an ETag computed, before the query runs, from the store's
// change position (package changes) and what the request asks for. Sent
// back in If-None-Match while nothing in the store changed, it is answered
// 304 Not Modified from that position alone: one indexed read, no query,
// one cost point. A dashboard polling every second costs almost nothing
// while stock stands still.

// conditionalRead computes ETags and answers 304s.
type conditionalRead struct {
	db      *gorm.DB
	buckets *throttle.Buckets // the tokens', which a 304 takes a point of
	logger  *slog.Logger
}

// etag is the ETag of a GET request for a persisted query by a token, ""
// for any other request (and when the position cannot be read: the query
// then runs as it would without one).
func (c conditionalRead) etag(ctx context.Context, r *http.Request, params *graphql.RawParams, media string) string {
	p := auth.FromContext(ctx)
	hash, _ := persistedHash(params)
	if r.Method != http.MethodGet || p == nil || hash == "" {
		return ""
	}
	pos, err := changes.Read(ctx, c.db, p.StoreID)
	if err != nil {
		c.logger.WarnContext(ctx, "no ETag: the change position could not be read", "err", err)
		return ""
	}
	return etagOf(p, pos, hash, params.OperationName, r.URL.Query().Get("variables"), media)
}

// etagOf is weak: the body's extensions.cost differs between responses
// with the same data. It covers the server's build, the position, the
// request as sent (the query's hash, operationName, the variables' text,
// the media type) and the principal: the store, the token and its
// scopes. The principal carries no data the response shows: the store
// row is read while the query runs, after the position (a principal that
// carried it, read before the position, could show an older store under
// a newer position).
func etagOf(p *auth.Principal, pos changes.Position, hash, operationName, variables, media string) string {
	principal, _ := json.Marshal(struct {
		Store  int64
		Token  int64
		Scopes []auth.Scope
	}{p.StoreID, p.TokenID, p.Scopes})
	h := sha256.New()
	for _, part := range []string{buildID(), string(principal), string(pos), hash, operationName, variables, media} {
		// Each part with its length, so that no two requests run together.
		h.Write(binary.AppendUvarint(nil, uint64(len(part))))
		_, _ = io.WriteString(h, part)
	}
	return `W/"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
}

// answerNotModified answers 304 when If-None-Match names etag (and takes
// the token's point for it), and reports whether it answered.
func (c conditionalRead) answerNotModified(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, etag string) bool {
	if etag == "" || !matchesETag(r.Header.Get("If-None-Match"), etag) {
		return false
	}
	p := auth.FromContext(r.Context())
	if st, ok := c.buckets.Take(strconv.FormatInt(p.TokenID, 10), 1); !ok {
		e := throttled(st)
		setRetryAfter(w, e)
		writeRequestError(w, http.StatusTooManyRequests, exec.DispatchError(r.Context(), gqlerror.List{asGraphQLError(e)}))
		return true
	}
	setValidators(w, etag)
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusNotModified)
	return true
}

// setValidators sets the headers of a response with an ETag, 200 or 304:
// only the client may keep it (private), and must ask again each time
// (no-cache), with its token and media type.
func setValidators(w http.ResponseWriter, etag string) {
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Set("Vary", "Authorization, Accept")
}

// matchesETag is If-None-Match's weak comparison (RFC 9110 13.1.2): "*",
// or a list of entity tags one of which equals etag, W/ aside.
func matchesETag(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || (tag != "" && strings.TrimPrefix(tag, "W/") == want) {
			return true
		}
	}
	return false
}

// cacheable tells whether a successful response may carry the request's
// ETag: the operation is a query, and none of its fields shows the clock
// (a value that changes with no write, which the position cannot see).
func cacheable(op *graphql.OperationContext) bool {
	return op != nil && op.Operation != nil && op.Operation.Operation == ast.Query &&
		!selectsAny(op.Operation.SelectionSet, clockFields, map[string]bool{})
}

// clockFields are the fields whose values come from the clock instead of
// the store's rows (grep the resolvers for time.Now and now()). Every
// other time the API shows is a column that a write sets: a reservation's
// status moves to EXPIRED by the expirer's write, an expired token is
// refused by authentication before any ETag is computed.
// A bulk operation's download URLs carry an expiry taken from the clock.
var clockFields = map[string]bool{"InventoryConsistencyReport.checkedAt": true,
	"BulkOperation.resultUrl": true, "BulkOperation.errorsUrl": true}

// selectsAny tells whether the selection, fragments expanded, holds one
// of fields ("Type.field").
func selectsAny(set ast.SelectionSet, fields map[string]bool, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition != nil && fields[s.ObjectDefinition.Name+"."+s.Name] || selectsAny(s.SelectionSet, fields, seen) {
				return true
			}
		case *ast.InlineFragment:
			if selectsAny(s.SelectionSet, fields, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if selectsAny(s.Definition.SelectionSet, fields, seen) {
					return true
				}
			}
		}
	}
	return false
}

// persistedHash is the request's extensions.persistedQuery.sha256Hash, ""
// without one; BAD_REQUEST when the extension is malformed, of another
// version than 1, or its hash is not the query's sent with it.
func persistedHash(params *graphql.RawParams) (string, error) {
	raw, ok := params.Extensions["persistedQuery"]
	if !ok {
		return "", nil
	}
	pq, _ := raw.(map[string]any)
	hash, _ := pq["sha256Hash"].(string)
	if !isOne(pq["version"]) {
		return "", badRequest(`extensions.persistedQuery must be {"version": 1, "sha256Hash": "<SHA-256 of the query, hex>"}`)
	}
	if len(hash) != sha256.Size*2 || strings.ToLower(hash) != hash {
		return "", badRequest("extensions.persistedQuery.sha256Hash must be the query's SHA-256 in 64 lowercase hex digits")
	}
	if params.Query != "" {
		if sum := sha256.Sum256([]byte(params.Query)); hex.EncodeToString(sum[:]) != hash {
			return "", badRequest("extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it")
		}
	}
	return hash, nil
}

// isOne tells whether a JSON value is the number 1, decoded as HTTP
// bodies are (json.Number) or as websocket messages are (float64).
func isOne(v any) bool {
	switch v := v.(type) {
	case json.Number:
		return v.String() == "1"
	case float64:
		return v == 1
	}
	return false
}

// persistedQueries is gqlgen's automatic persisted queries, with a code on
// every refusal: an unknown hash is PERSISTED_QUERY_NOT_FOUND (Apollo's
// code, which clients answer by sending the query with its hash), a
// malformed extension BAD_REQUEST (over HTTP the transport refuses it
// first, with HTTP 400; this covers websockets).
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

func (p persistedQueries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if _, err := persistedHash(params); err != nil {
		return asGraphQLError(err)
	}
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, params)
	switch {
	case err == nil:
		return nil
	case err.Extensions["code"] == string(apperr.PersistedQueryNotFound):
		// Apollo's clients look for this message as well as the code.
		return asGraphQLError(apperr.New(apperr.PersistedQueryNotFound, "PersistedQueryNotFound"))
	}
	return asGraphQLError(apperr.New(apperr.BadRequest, "extensions.persistedQuery: %s", err.Message))
}

// buildID identifies the server's build (a hash of its executable): a
// new release may show the same rows differently, so its ETags differ.
// Replicas of one build agree.
var buildID = sync.OnceValue(func() string {
	h := sha256.New()
	if path, err := os.Executable(); err == nil {
		if f, err := os.Open(path); err == nil {
			_, _ = io.Copy(h, f)
			_ = f.Close()
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
})
