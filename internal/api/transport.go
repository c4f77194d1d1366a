package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"stockgraph/internal/api/jsonscan"
	"stockgraph/internal/apperr"
)

// Limits on a GraphQL request over HTTP. Bodies and nesting beyond them
// are refused with BAD_REQUEST before anything is parsed, so that no
// client can make the server hold or walk an unbounded document.
const (
	// DefaultMaxBodyBytes is the largest request body accepted (HTTP 413
	// above) unless Config.MaxBodyBytes says otherwise.
	DefaultMaxBodyBytes = 8 << 20
	// MaxJSONDepth is the deepest nesting of arrays and objects accepted in
	// a request body or in GET's variables and extensions.
	MaxJSONDepth = 64
)

// The response media types of the GraphQL over HTTP specification.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// httpTransport serves GraphQL over HTTP, POST with a JSON body and GET
// with URL parameters, as the GraphQL over HTTP specification describes.
// It replaces gqlgen's transport.POST and transport.GET, which answer a
// body they cannot decode with an error that has no code (our presenter
// then calls it INTERNAL) and echo the body back, and which answer parse
// and validation failures with HTTP 422 and "data": null. Here:
//   - a request that is not well formed (not one JSON object with a string
//     "query", batched, empty, too deep or too large, of another Content-Type,
//     a mutation over GET) is a 4xx with extensions.code BAD_REQUEST;
//   - a document that fails to parse or validate, or variables that do not
//     coerce, is HTTP 200 for application/json and HTTP 400 for
//     application/graphql-response+json, and the response has no "data".
//
// Every error goes through the executor, and so through presentError.
type httpTransport struct {
	maxBody     int64 // the largest body accepted
	maxUpload   int64 // the largest file of a multipart request
	conditional conditionalRead
}

var _ graphql.Transport = httpTransport{}

// Supports takes every plain HTTP request that the websocket and OPTIONS
// transports leave, so that no request meets gqlgen's code-less
// "transport not supported".
func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method != http.MethodOptions && r.Method != http.MethodHead
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	media := responseMediaType(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", media)
	start := graphql.Now()
	params, status, err := readParams(w, r, t.maxBody, t.maxUpload)
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }() // the spooled files
	}
	if err != nil {
		writeRequestError(w, status, exec.DispatchError(ctx, gqlerror.List{asGraphQLError(err)}))
		return
	}
	// Before the query runs: its response holds at least what the
	// position says.
	etag := t.conditional.etag(ctx, r, params, media)
	if t.conditional.answerNotModified(w, r, exec, etag) {
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		writeOperationError(graphql.WithOperationContext(ctx, opCtx), w, exec, media, errs)
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		// GET must be safe: a link or a prefetch must never change stock.
		w.Header().Set("Allow", "POST")
		err := apperr.New(apperr.BadRequest, "GET runs queries only; send a %s with POST", opCtx.Operation.Operation)
		// With the operation's context, so that its price is given back.
		writeRequestError(w, http.StatusMethodNotAllowed, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlerror.List{asGraphQLError(err)}))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if etag != "" && len(resp.Errors) == 0 && cacheable(opCtx) {
		setValidators(w, etag)
	}
	writeResponse(w, outageStatus(w, resp, http.StatusOK), resp)
}

// writeResponse writes a GraphQL response without encoding its data
// again: the executor wrote it as compact JSON already, and encoding/json
// would check and compact every byte of it once more (about a tenth of
// the CPU of a large read). Only the errors and extensions are encoded.
func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		writeJSON(w, status, resp) // incremental delivery: every field
		return
	}
	var b bytes.Buffer
	b.WriteByte('{')
	if len(resp.Errors) > 0 {
		b.WriteString(`"errors":`)
		b.Write(mustJSON(resp.Errors))
		b.WriteByte(',')
	}
	b.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		b.WriteString("null")
	}
	b.Write(resp.Data)
	if len(resp.Extensions) > 0 {
		b.WriteString(`,"extensions":`)
		b.Write(mustJSON(resp.Extensions))
	}
	b.WriteByte('}')
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// writeOperationError answers a request whose operation could not be
// prepared: not valid GraphQL, refused by a limit or the throttle.
func writeOperationError(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, media string, errs gqlerror.List) {
	status := http.StatusOK
	if media == mediaGraphQLResponse {
		status = http.StatusBadRequest
	}
	if e := throttledError(errs); e != nil {
		status = http.StatusTooManyRequests
		setRetryAfter(w, e)
	}
	writeRequestError(w, status, exec.DispatchError(ctx, errs))
}

// readParams reads the request's GraphQL parameters. On failure it returns
// a BAD_REQUEST error and the HTTP status to answer with.
func readParams(w http.ResponseWriter, r *http.Request, maxBody, maxUpload int64) (*graphql.RawParams, int, error) {
	switch r.Method {
	case http.MethodGet:
		return getParams(r)
	case http.MethodPost:
		if media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); media == mediaMultipart {
			return multipartParams(w, r, maxUpload)
		}
		return postParams(w, r, maxBody)
	}
	w.Header().Set("Allow", "GET, POST, OPTIONS")
	return nil, http.StatusMethodNotAllowed, badRequest("method %s is not supported: send GraphQL with POST (or queries with GET)", r.Method)
}

func postParams(w http.ResponseWriter, r *http.Request, maxBody int64) (*graphql.RawParams, int, error) {
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || media != mediaJSON {
		refuseUnread(w, r)
		w.Header().Set("Accept-Post", mediaJSON+", "+mediaMultipart)
		return nil, http.StatusUnsupportedMediaType, badRequest("send the request body as Content-Type: %s (or %s with a file), got %q", mediaJSON, mediaMultipart, r.Header.Get("Content-Type"))
	}
	if r.ContentLength > maxBody {
		// Refused on its announced length, before a byte is read.
		refuseUnread(w, r)
		return nil, http.StatusRequestEntityTooLarge, badRequest("the request body is larger than %d bytes", maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, badRequest("the request body is larger than %d bytes", maxBody)
	case err != nil:
		return nil, http.StatusBadRequest, badRequest("the request body could not be read")
	}
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, http.StatusBadRequest, badRequest(`the request body is empty: send a JSON object such as {"query": "{ store { name } }"}`)
	case body[0] == '[':
		return nil, http.StatusBadRequest, badRequest("batched operations are not supported: send one JSON object per request (a document may hold several fields)")
	case body[0] != '{':
		return nil, http.StatusBadRequest, badRequest(`the request body must be a JSON object with a "query"`)
	}
	params := &graphql.RawParams{}
	if err := decodeJSON(body, params); err != nil {
		return nil, http.StatusBadRequest, badRequest("the request body is not a valid GraphQL request: %s", err)
	}
	return checkQuery(params, `the request has no "query"`)
}

func getParams(r *http.Request) (*graphql.RawParams, int, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, http.StatusBadRequest, badRequest("the URL's query string is malformed")
	}
	params := &graphql.RawParams{Query: values.Get("query"), OperationName: values.Get("operationName")}
	for name, dst := range map[string]*map[string]any{"variables": &params.Variables, "extensions": &params.Extensions} {
		if v := values.Get(name); v != "" {
			if err := decodeJSON([]byte(v), dst); err != nil {
				return nil, http.StatusBadRequest, badRequest("the %q parameter is not a JSON object: %s", name, err)
			}
		}
	}
	return checkQuery(params, `the request has no "query" parameter`)
}

// checkQuery refuses a request with neither a query nor a persisted
// query's hash, or with a malformed persisted query extension.
func checkQuery(params *graphql.RawParams, noQuery string) (*graphql.RawParams, int, error) {
	hash, err := persistedHash(params)
	switch {
	case err != nil:
		return nil, http.StatusBadRequest, err
	case hash == "" && strings.TrimSpace(params.Query) == "":
		return nil, http.StatusBadRequest, badRequest("%s", noQuery)
	}
	return params, 0, nil
}

// decodeJSON decodes exactly one JSON value into dst, keeping numbers as
// json.Number as gqlgen expects, and refusing nesting deeper than
// MaxJSONDepth and anything after the value.
func decodeJSON(data []byte, dst any) error {
	if depth := jsonDepth(data); depth > MaxJSONDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", MaxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more data after the JSON value")
	}
	return nil
}

// describeJSONError says what is wrong without echoing the client's body
// back, and names the offending key.
func describeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Errorf("%q must be %s, not a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &typ):
		return fmt.Errorf("expected a JSON object, not a JSON %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("the JSON ends too early")
	}
	return errors.New("malformed JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "map":
		return "an object"
	}
	return goKind
}

// jsonDepth returns the deepest nesting of arrays and objects in data,
// skipping strings; it does not validate the JSON.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	jsonscan.Structural(data, func(c byte) {
		switch c {
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth--
		}
	})
	return deepest
}

// responseMediaType picks the response's media type from the Accept
// header: the first of the two GraphQL media types the client names, and
// application/json when it names neither (as the specification allows
// for clients from before application/graphql-response+json).
func responseMediaType(accept string) string {
	for part := range strings.SplitSeq(accept, ",") {
		media, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch media {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON:
			return mediaJSON
		}
	}
	return mediaJSON
}

func badRequest(format string, args ...any) error {
	return apperr.New(apperr.BadRequest, format, args...)
}

// asGraphQLError carries err to the executor, which hands it to
// presentError; the presenter finds the *apperr.Error through Unwrap.
func asGraphQLError(err error) *gqlerror.Error {
	return &gqlerror.Error{Message: err.Error(), Err: err}
}

// writeRequestError answers a request that was refused before execution
// began. Such a response has no "data" entry at all (the GraphQL
// specification's "request error"), unlike an execution error's null data.
func writeRequestError(w http.ResponseWriter, status int, resp *graphql.Response) {
	writeJSON(w, status, struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{resp.Errors, resp.Extensions})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b := mustJSON(v)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a bug can get here: every value we answer with is JSON.
		panic(fmt.Errorf("marshal GraphQL response: %w", err))
	}
	return b
}

// throttledError is the THROTTLED error among errs, if there is one.
func throttledError(errs gqlerror.List) *apperr.Error {
	for _, err := range errs {
		if e, ok := apperr.As(err); ok && e.Code == apperr.Throttled {
			return e
		}
	}
	return nil
}
