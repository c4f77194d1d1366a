package api

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"stockgraph/internal/auth"
	"stockgraph/internal/metrics"
)

// Request ids: a client's own X-Request-Id is kept when it is one to
// MaxRequestID characters of [A-Za-z0-9_-] (so that a proxy's id follows
// the request through), anything else is replaced by one of ours.
const (
	RequestIDHeader = "X-Request-Id"
	MaxRequestID    = 64
)

// MaxLoggedString is the most of any one string a log line holds: client
// input, error texts and database messages are cut there, so that no
// request can write an unbounded line.
const MaxLoggedString = 200

// NewLogger returns the server's structured logger: JSON lines on w,
// every string and error value cut to MaxLoggedString bytes, and the
// request's id on every line logged with a request's context.
func NewLogger(w interface{ Write([]byte) (int, error) }) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: boundAttr})})
}

// requestIDHandler adds the request's id to records that lack one, so
// that an error logged deep in a request leads to its request line.
// (Under WithGroup the id lands in the group; the server logs no groups.)
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "requestId"
			return !has
		})
		if !has {
			r.AddAttrs(slog.String("requestId", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

func boundAttr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value.Any().(type) {
	case string:
		a.Value = slog.StringValue(truncate(v))
	case error:
		a.Value = slog.StringValue(truncate(v.Error()))
	default:
		if a.Value.Kind() == slog.KindAny {
			// fmt-able values (a panic's value) would be printed whole.
			a.Value = slog.StringValue(truncate(a.Value.String()))
		}
	}
	return a
}

// truncate cuts s to MaxLoggedString bytes, on a rune boundary.
func truncate(s string) string {
	if len(s) <= MaxLoggedString {
		return s
	}
	cut := MaxLoggedString
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// requestRecord is what one HTTP request's log line and metrics say; the
// GraphQL layers fill it in as they learn it.
type requestRecord struct {
	id      string
	metrics *metrics.Metrics

	mu        sync.Mutex
	operation string
	opType    string
	tokenID   int64
	codes     []string
}

type recordKey struct{}

func recordFrom(ctx context.Context) *requestRecord {
	rec, _ := ctx.Value(recordKey{}).(*requestRecord)
	return rec
}

// RequestID returns the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	if rec := recordFrom(ctx); rec != nil {
		return rec.id
	}
	return ""
}

// observe gives every request its id (in the X-Request-Id response
// header), and when it is answered records its metrics and writes one log
// line: id, route, status, duration, operation, token id and error codes.
// A websocket's line is written when it closes; its operations have lines
// of their own (observeOperation).
func observe(cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &requestRecord{id: requestID(r.Header.Get(RequestIDHeader)), metrics: cfg.Metrics}
		w.Header().Set(RequestIDHeader, rec.id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)))
		took := time.Since(start)
		route := routeOf(r.URL.Path)
		cfg.Metrics.HTTPRequest(route, sw.code(), took)
		rec.log(r.Context(), cfg.Logger, "request", slog.String("method", r.Method), slog.String("path", route),
			slog.Int("status", sw.code()), slog.Float64("durationMs", float64(took.Microseconds())/1000))
	})
}

// log writes the record's line with attrs.
func (rec *requestRecord) log(ctx context.Context, logger *slog.Logger, msg string, attrs ...slog.Attr) {
	rec.mu.Lock()
	attrs = append(attrs, slog.String("requestId", rec.id))
	if rec.operation != "" || rec.opType != "" {
		attrs = append(attrs, slog.String("operation", truncate(rec.operation)), slog.String("type", rec.opType))
	}
	if rec.tokenID != 0 {
		attrs = append(attrs, slog.Int64("tokenId", rec.tokenID))
	}
	if len(rec.codes) > 0 {
		attrs = append(attrs, slog.String("errorCodes", strings.Join(slices.Compact(slices.Sorted(slices.Values(rec.codes))), ",")))
	}
	rec.mu.Unlock()
	logger.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
}

// routeOf names a path by the server's own routes, so that the metrics'
// labels never take the client's URL.
func routeOf(path string) string {
	switch path {
	case "/graphql", "/healthz", "/readyz", "/metrics":
		return path
	}
	return "/"
}

// requestID keeps a well-formed incoming id and makes one otherwise.
func requestID(incoming string) string {
	if n := len(incoming); n > 0 && n <= MaxRequestID && wellFormedID(incoming) {
		return incoming
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func wellFormedID(s string) bool {
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// noteError gives an error's extensions the request's id and counts its
// code, for every error a client is answered with.
func noteError(ctx context.Context, ext map[string]any) {
	rec := recordFrom(ctx)
	if rec == nil {
		return
	}
	ext["requestId"] = rec.id
	code, _ := ext["code"].(string)
	if code == "" {
		code = "NONE"
	}
	rec.metrics.Error(code)
	rec.mu.Lock()
	rec.codes = append(rec.codes, code)
	rec.mu.Unlock()
}

// observeErrors wraps the presenter with noteError.
func observeErrors(present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := present(ctx, err)
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		noteError(ctx, e.Extensions)
		return e
	}
}

// observeOperation records each GraphQL operation: its name, type and
// token in the request's record, its metrics (the time to its first
// response: the whole of a query or mutation), and for websockets, where
// one connection carries many operations, a log line of its own.
func observeOperation(cfg Config) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		start := time.Now()
		op := graphql.GetOperationContext(ctx)
		name, typ := op.OperationName, ""
		if op.Operation != nil {
			name, typ = op.Operation.Name, string(op.Operation.Operation)
		}
		var tokenID int64
		if p := auth.FromContext(ctx); p != nil {
			tokenID = p.TokenID
		}
		rec := recordFrom(ctx)
		_, websocket := ctx.Value(websocketAuthKey{}).(string)
		if websocket {
			cfg.Websockets.operation(ctx)
		}
		if rec != nil && !websocket {
			rec.mu.Lock()
			rec.operation, rec.opType, rec.tokenID = name, typ, tokenID
			rec.mu.Unlock()
		}
		handler := next(ctx)
		first := true
		return func(ctx context.Context) *graphql.Response {
			resp := handler(ctx)
			if first {
				first = false
				took := time.Since(start)
				cfg.Metrics.Operation(name, typ, resp != nil && len(resp.Errors) > 0, took)
				if websocket && rec != nil {
					opRec := &requestRecord{id: rec.id, operation: name, opType: typ, tokenID: tokenID, codes: codesOf(resp)}
					opRec.log(ctx, cfg.Logger, "websocket operation", slog.Float64("durationMs", float64(took.Microseconds())/1000))
				}
			}
			return resp
		}
	}
}

func codesOf(resp *graphql.Response) []string {
	if resp == nil {
		return nil
	}
	var codes []string
	for _, e := range resp.Errors {
		if code, ok := e.Extensions["code"].(string); ok {
			codes = append(codes, code)
		}
	}
	return codes
}

// statusWriter remembers the response's status. It passes Hijack and
// Flush through, which websockets need.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be taken over")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
