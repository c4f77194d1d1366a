// Package api assembles the HTTP server: GraphiQL at /, GraphQL over POST,
// GET and websockets at /graphql, bearer-token authentication, per-request
// dataloaders, and the one error presenter that gives every error a code.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"stockgraph/graph"
	"stockgraph/graph/model"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/apperr"
	"stockgraph/internal/auth"
	"stockgraph/internal/bulk"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/inventory"
	"stockgraph/internal/loaders"
	"stockgraph/internal/metrics"
	"stockgraph/internal/orders"
	"stockgraph/internal/throttle"
	"stockgraph/internal/web"
	"stockgraph/internal/webhooks"
	"stockgraph/resolvers"
)

// Config is what the server needs.
type Config struct {
	DB *database.DB
	// DevToken, when set and DevMode is on, is prefilled into GraphiQL's
	// request headers for pages loaded straight from this machine.
	DevToken string
	// DevMode is the explicit development mode (serve --dev, make run):
	// without it DevToken is never handed out.
	DevMode bool
	// LoaderWait is how long dataloaders collect keys; loaders.DefaultWait when zero.
	LoaderWait time.Duration
	// OneByOne turns off the coalescing of a busy item's single-item
	// adjustments and single-line orders into one transaction
	// (inventory.Coalescer, orders.Coalescer), which is on otherwise; the
	// writes and orders benchmarks compare the two.
	OneByOne bool
	Logger   *slog.Logger
	// WebhookGuard checks webhook URLs at create and update (private
	// addresses refused unless it allows them).
	WebhookGuard webhooks.Guard
	// Events delivers stock events to subscriptions; the caller runs and
	// closes it. NewHandler makes one that only polls when it is nil.
	Events *events.Hub
	// ReauthorizeEvery is how often a subscription checks its token again
	// (5s when zero), so that a revoked token's subscriptions end.
	ReauthorizeEvery time.Duration
	// Throttle is each token's bucket of cost points (DefaultThrottle
	// when zero); AddressThrottle each client address's, charged a point
	// per request or websocket connection_init without a valid token
	// (DefaultAddressThrottle when zero).
	Throttle, AddressThrottle throttle.Config
	// InitTimeout is how long a websocket may take to send connection_init
	// before it is closed with 4408 (DefaultInitTimeout when zero).
	InitTimeout time.Duration
	// Metrics records requests, operations and errors (nothing when nil).
	// PublicMetrics also serves it at /metrics on this handler; otherwise
	// only AdminHandler does.
	Metrics       *metrics.Metrics
	PublicMetrics bool
	// Websockets tracks open websockets for a graceful shutdown
	// (NewHandler makes one when nil).
	Websockets *Websockets
	// RequestTimeout is the deadline of a query or mutation over HTTP
	// (DefaultRequestTimeout when zero).
	RequestTimeout time.Duration
	// MaxBodyBytes is the largest request body (DefaultMaxBodyBytes when zero).
	MaxBodyBytes int64
	// TokenCacheTTL is how long a token's lookup is kept, and so how
	// late a revocation or expiry may take effect on this handler
	// (auth.DefaultCacheTTL when zero; nothing is kept when negative).
	TokenCacheTTL time.Duration

	// BulkSigner signs bulk operations' download URLs (the secret in the
	// database when zero); MaxUploadBytes is the largest import file
	// (bulk.DefaultMaxUploadBytes when zero); PublicURL, when set, is the
	// address the URLs start with (behind a proxy), else the request's.
	BulkSigner     bulk.Signer
	MaxUploadBytes int64
	PublicURL      string

	tokens *auth.Cache // made by NewHandler
}

// NewHandler returns the server's HTTP handler.
func NewHandler(cfg Config) http.Handler {
	if cfg.LoaderWait == 0 {
		cfg.LoaderWait = loaders.DefaultWait
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Events == nil {
		cfg.Events = events.NewHub(cfg.DB.DB, events.HubOptions{Logger: cfg.Logger})
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.Websockets == nil {
		cfg.Websockets = NewWebsockets()
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.TokenCacheTTL == 0 {
		cfg.TokenCacheTTL = auth.DefaultCacheTTL
	}
	cfg.tokens = auth.NewCache(cfg.TokenCacheTTL, auth.DefaultCacheSize)
	if cfg.Throttle == (throttle.Config{}) {
		cfg.Throttle = DefaultThrottle
	}
	if cfg.AddressThrottle == (throttle.Config{}) {
		cfg.AddressThrottle = DefaultAddressThrottle
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = bulk.DefaultMaxUploadBytes
	}
	bulkCfg := bulkConfig(cfg)
	mux := http.NewServeMux()
	addresses := throttle.New(cfg.AddressThrottle)
	mux.Handle("/graphql", withBaseURL(cfg.PublicURL, authenticate(cfg, addresses, newGraphQL(cfg, addresses, bulkCfg))))
	mux.Handle("/bulk/", downloadHandler(cfg, bulkCfg.Signer))
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/readyz", readyz(cfg))
	if cfg.PublicMetrics && cfg.Metrics != nil {
		mux.Handle("/metrics", cfg.Metrics.Handler())
	}
	devToken := ""
	if cfg.DevMode {
		devToken = cfg.DevToken
	}
	mux.Handle("/", web.Handler(web.Options{Endpoint: "/graphql", DevToken: devToken}))
	return observe(cfg, mux)
}

// newGraphQL is the GraphQL server; addresses are the client addresses'
// buckets, which a refused connection_init spends as a refused request
// over HTTP does.
func newGraphQL(cfg Config, addresses *throttle.Buckets, bulkCfg resolvers.BulkConfig) *handler.Server {
	schema := graph.NewExecutableSchema(graph.Config{
		Resolvers: &resolvers.Resolver{DB: cfg.DB, Adjuster: adjuster(cfg), Placer: placer(cfg), WebhookGuard: cfg.WebhookGuard, Events: cfg.Events,
			Reauthorize: reauthorize(cfg), ReauthorizeEvery: cfg.ReauthorizeEvery, Bulk: bulkCfg},
		Directives: graph.DirectiveRoot{RequireScope: requireScope},
	})
	present := observeErrors(presentError(cfg.Logger))
	srv := handler.New(schema)
	srv.AddTransport(transport.Websocket{
		// Keep-alives: "ka" messages for the legacy graphql-ws protocol,
		// ping (answered by pong) for graphql-transport-ws; a client that
		// answers no ping within two intervals is disconnected.
		KeepAlivePingInterval: keepAlive,
		PingPongInterval:      keepAlive,
		// coder/websocket refuses upgrades whose Origin is another host
		// unless told otherwise, so no other site can ride a browser's
		// connection; clients that are not browsers send no Origin. The
		// wrapper closes a connection that sends no connection_init in
		// time with 4408, as graphql-transport-ws says (gqlgen's own
		// InitTimeout closes with 1002).
		Implementation: initDeadline{inner: transport.CoderWebsocketImplementation{}, timeout: cfg.InitTimeout, conns: cfg.Websockets},
		InitFunc: func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			return websocketInit(ctx, cfg, addresses, present, payload)
		},
	})
	srv.AddTransport(transport.Options{})
	buckets := throttle.New(cfg.Throttle)
	srv.AddTransport(httpTransport{maxBody: cfg.MaxBodyBytes, maxUpload: cfg.MaxUploadBytes,
		conditional: conditionalRead{db: cfg.DB.DB, buckets: buckets, logger: cfg.Logger}})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	// Before the other extensions: they need the query it finds.
	srv.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)}})
	// An admin API documents itself: introspection stays on for GraphiQL
	// and code generators, behind the token like everything else.
	srv.Use(extension.Introspection{})
	srv.Use(listLimit{})
	srv.Use(costExtension{db: cfg.DB.DB, wait: cfg.LoaderWait, buckets: buckets})
	srv.AroundOperations(perOperation(cfg, present))
	srv.AroundOperations(observeOperation(cfg))
	srv.AroundResponses(perEvent(cfg))
	srv.AroundResponses(withCost)
	srv.SetErrorPresenter(present)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		cfg.Logger.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return errors.New("internal error")
	})
	return srv
}

// adjuster is what applies adjustments: a Coalescer, or one by one.
func adjuster(cfg Config) resolvers.Adjuster {
	if cfg.OneByOne {
		return inventory.OneByOne{DB: cfg.DB.DB}
	}
	c := inventory.NewCoalescer(cfg.DB.DB)
	c.ObserveGroups(cfg.Metrics.CoalescedGroup("adjustment"))
	return c
}

// placer is what places orders: a Coalescer, or one by one.
func placer(cfg Config) resolvers.Placer {
	if cfg.OneByOne {
		return orders.OneByOne{DB: cfg.DB.DB}
	}
	c := orders.NewCoalescer(cfg.DB.DB)
	c.ObserveGroups(cfg.Metrics.CoalescedGroup("order"))
	return c
}

// requireScope implements @requireScope.
func requireScope(ctx context.Context, _ any, next graphql.Resolver, scope model.Scope) (any, error) {
	if _, err := auth.Require(ctx, auth.Scope(strings.ToLower(string(scope)))); err != nil {
		return nil, err
	}
	return next(ctx)
}

// authenticate resolves the bearer token of every GraphQL request over HTTP
// (401 without a valid one, before its body is read) and gives the request
// its deadline. Websocket upgrades authenticate in their connection_init
// message instead, since browsers cannot set headers on them.
//
// A request without a valid token costs its client address a point of a
// small budget (the peer's address: forwarding headers can be forged);
// once it is spent, such requests get THROTTLED (HTTP 429) instead.
func authenticate(cfg Config, addresses *throttle.Buckets, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if isWebsocketUpgrade(r) {
			// Its connection_init pays for a refused token (websocketInit).
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddressKey{}, clientAddress(r))))
			return
		}
		r, cancel := withDeadline(r, cfg.RequestTimeout)
		defer cancel()
		p, err := principalFor(r.Context(), cfg, r.Header.Get("Authorization"))
		if err != nil {
			refuseUnread(w, r)
			// Only a token refused costs the address: an outage is not
			// the client's doing, and must keep answering UNAVAILABLE.
			if apperr.CodeOf(err) == apperr.Unauthenticated {
				if st, ok := addresses.Take(clientAddress(r), 1); !ok {
					err = throttled(st)
				}
			}
			writeError(w, cfg.Logger, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func principalFor(ctx context.Context, cfg Config, header string) (*auth.Principal, error) {
	if header == "" {
		return nil, apperr.New(apperr.Unauthenticated, "no API token: send the header Authorization: Bearer <token>")
	}
	token, ok := auth.BearerToken(header)
	if !ok {
		return nil, apperr.New(apperr.Unauthenticated, "the Authorization header must read Bearer <token>")
	}
	return cfg.tokens.Authenticate(ctx, cfg.DB.DB, token)
}

// clientAddressKey holds a websocket's client address (clientAddress).
type clientAddressKey struct{}

// Close codes of a refused connection_init.
const (
	closeForbidden = 4403 // graphql-transport-ws's Forbidden: the token is refused
	closeThrottled = 4429 // the client address has spent its budget of refused tokens
	closeInternal  = 4500 // a fault of ours
	// closeTryAgainLater is RFC 6455's 1013: the database could not
	// answer now.
	closeTryAgainLater = 1013
)

// websocketInit authenticates a websocket connection from its
// connection_init payload. A refused token costs the client address a
// point, as a refused request over HTTP does. A refusal closes the
// connection with a code initRefusal picks and a close reason that starts
// with the presented error's code, such as
// "UNAUTHENTICATED: no API token: ...": the protocol has no other place
// for it, and the message is the presenter's, so no raw database text
// reaches the client.
func websocketInit(ctx context.Context, cfg Config, addresses *throttle.Buckets, present graphql.ErrorPresenterFunc, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	header := payload.Authorization()
	if header == "" {
		if v, ok := payload["Authorization"].(string); ok {
			header = v
		}
	}
	p, err := principalFor(ctx, cfg, header)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unauthenticated {
			address, _ := ctx.Value(clientAddressKey{}).(string)
			if st, ok := addresses.Take(address, 1); !ok {
				err = throttled(st)
			}
		}
		presented := present(ctx, err)
		code, _ := presented.Extensions["code"].(string)
		closeCode, reason := initRefusal(apperr.Code(code), presented.Message)
		if len(reason) > maxCloseReason {
			reason = reason[:maxCloseReason]
		}
		ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, closeCode), reason)
		return ctx, nil, errors.New(presented.Message)
	}
	ctx = auth.WithPrincipal(ctx, p)
	return context.WithValue(ctx, websocketAuthKey{}, header), nil, nil
}

// initRefusal is the close code and reason of a refused connection_init:
// 1013 (try again later) when the database could not answer the token's
// lookup in time — an outage, an exhausted pool, a statement or lock
// timeout, all UNAVAILABLE to a client that can only connect again —,
// 4429 once the client address has spent its budget of refused tokens,
// 4500 for a fault of ours, 4403 for the client's credentials.
func initRefusal(code apperr.Code, message string) (int, string) {
	switch code {
	case apperr.Unavailable, apperr.Timeout, apperr.LockTimeout:
		return closeTryAgainLater, string(apperr.Unavailable) + ": the database is unavailable or busy; connect again in a few seconds"
	case apperr.Throttled:
		return closeThrottled, string(code) + ": " + message
	case apperr.Internal:
		return closeInternal, string(code) + ": " + message
	}
	return closeForbidden, string(code) + ": " + message
}

// maxCloseReason is the longest close reason a websocket close frame holds.
const maxCloseReason = 123

// websocketAuthKey holds a websocket connection's Authorization value, so
// that each operation on the connection checks the token again.
type websocketAuthKey struct{}

// perOperation gives every operation fresh loaders, so that a long-lived
// websocket connection never reads another operation's cached data, and
// checks a websocket connection's token again, so that revoking it or
// changing the store's switches takes effect on open connections too.
func perOperation(cfg Config, present graphql.ErrorPresenterFunc) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if header, ok := ctx.Value(websocketAuthKey{}).(string); ok {
			p, err := principalFor(ctx, cfg, header)
			if err != nil {
				// Through the presenter: UNAUTHENTICATED with its code, or
				// INTERNAL with the database's words logged, not sent.
				return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{present(ctx, err)}})
			}
			ctx = auth.WithPrincipal(ctx, p)
		}
		if p := auth.FromContext(ctx); p != nil {
			l := operationLoaders(ctx, p.StoreID)
			if l == nil {
				l = loaders.New(cfg.DB.DB, p.StoreID, cfg.LoaderWait)
			}
			ctx = loaders.With(ctx, l)
		}
		return next(ctx)
	}
}

func isWebsocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// clientAddress is the request's peer address without its port.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusClientClosedRequest is nginx's 499, the status logs and metrics
// give a request its client abandoned; the client never reads it.
const statusClientClosedRequest = 499

// writeError answers a request that never reached GraphQL, in GraphQL's
// error shape; UNAUTHENTICATED is HTTP 401, THROTTLED 429.
func writeError(w http.ResponseWriter, logger *slog.Logger, r *http.Request, err error) {
	e, ok := apperr.As(err)
	if down, isOutage := outage(err); isOutage && !ok {
		e, ok = down, true
	}
	if !ok && abandoned(r.Context(), err) {
		e, ok = cancelled(), true
	}
	status := http.StatusUnauthorized
	switch {
	case ok && e.Code == apperr.Cancelled:
		status = statusClientClosedRequest
	case ok && e.Code == apperr.Unavailable:
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", retryAfterSeconds)
	case ok && e.Code == apperr.Timeout:
		status = http.StatusServiceUnavailable
	case ok && e.Code == apperr.Throttled:
		status = http.StatusTooManyRequests
		setRetryAfter(w, e)
	}
	if !ok {
		logger.ErrorContext(r.Context(), "request failed", "err", err)
		e, status = apperr.New(apperr.Internal, "internal error"), http.StatusInternalServerError
	}
	if e.Code == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="stockgraph"`)
	}
	ext := e.Extensions()
	noteError(r.Context(), ext)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": bounded(e.Message), "extensions": ext}},
	})
}

// presentError gives every GraphQL error an extensions.code: the domain's
// code for *apperr.Error, GraphQL's own for parse and validation errors,
// BAD_USER_INPUT for a value the client sent that its type refuses, and
// INTERNAL, with the details logged and hidden, for anything else. An
// error about an argument's value names the argument in extensions.field
// ("asOf", "input.metadata") and has the field's response path.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	present := presentFull(logger)
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := present(ctx, err)
		gqlErr.Message = bounded(gqlErr.Message)
		return gqlErr
	}
}

// maxMessage bounds an error's message: messages quote what the client
// sent (an unknown field's name, a value), and a client must not get its
// megabytes back.
const maxMessage = 1000

// bounded cuts a message to maxMessage bytes, on a rune boundary.
func bounded(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "… (cut)"
}

// presentFull presents an error with its whole message.
func presentFull(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		input := argumentPath(ctx, gqlErr)
		if e, ok := apperr.As(err); ok {
			gqlErr.Message = e.Message
			gqlErr.Extensions = e.Extensions()
			globalIDs(gqlErr.Extensions)
			switch {
			case e.Field != "":
				qualify(ctx, gqlErr.Extensions)
			case input != "":
				gqlErr.Message = input + ": " + e.Message
				gqlErr.Extensions["field"] = input
			case e.Value != "":
				if path := argumentHolding(ctx, e.Value); path != "" {
					gqlErr.Extensions["field"] = path
				}
			}
			return gqlErr
		}
		if input != "" {
			// Only the scalars' and enums' unmarshalling runs on an
			// argument's value before the resolver: its error is about
			// what the client sent.
			gqlErr.Extensions = map[string]any{"code": string(apperr.BadUserInput), "field": input}
			return gqlErr
		}
		if code, ok := clientErrorCode(err); ok {
			if code != "" {
				gqlErr.Extensions = map[string]any{"code": string(code)}
			}
			if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) {
				gqlErr.Message = dataException(pgErr.Code)
				logger.WarnContext(ctx, "input refused by the database", "sqlstate", pgErr.Code, "err", err)
			}
			return gqlErr
		}
		if e, ok := outage(err); ok {
			logger.WarnContext(ctx, "request failed", "code", e.Code, "err", err)
			gqlErr.Message, gqlErr.Extensions = e.Message, e.Extensions()
			return gqlErr
		}
		if abandoned(ctx, err) {
			logger.InfoContext(ctx, "request abandoned by its client", "err", err)
			e := cancelled()
			gqlErr.Message, gqlErr.Extensions = e.Message, e.Extensions()
			return gqlErr
		}
		logger.ErrorContext(ctx, "internal error", "err", err, "path", fmt.Sprint(graphql.GetPath(ctx)))
		gqlErr.Message = "internal error"
		gqlErr.Extensions = map[string]any{"code": string(apperr.Internal)}
		return gqlErr
	}
}

// idKinds are the extensions that name objects: the domain puts their
// database IDs there, clients get the global IDs they send back.
var idKinds = map[string]relay.Kind{"variantId": relay.KindVariant, "locationId": relay.KindLocation}

// globalIDs turns the object IDs in an error's extensions, and in those of
// the errors it lists, into global IDs, so that every code (OUT_OF_STOCK,
// NEGATIVE_STOCK) names objects the way the rest of the API does.
func globalIDs(ext map[string]any) {
	for key, kind := range idKinds {
		switch id := ext[key].(type) {
		case int64:
			ext[key] = relay.ID(kind, id)
		case int:
			ext[key] = relay.ID(kind, int64(id))
		}
	}
	if list, ok := ext["errors"].([]map[string]any); ok {
		for _, e := range list {
			globalIDs(e)
		}
	}
}

// clientErrorCode tells whether err, not an *apperr.Error, is still the
// client's doing, and with which code ("" to keep GraphQL's own code).
// dataException says in our words what a PostgreSQL data exception (class
// 22) found wrong with the input: the database's own message, which can
// quote schema details, stays in the log.
func dataException(sqlstate string) string {
	switch sqlstate {
	case "22021", "22P05":
		return "a text value in the input holds a character that cannot be stored, such as a NUL byte"
	case "22003":
		return "a number in the input is out of range"
	case "22001":
		return "a text value in the input is too long"
	case "22007", "22008":
		return "a date or time in the input is out of range"
	}
	return "a value in the input cannot be stored"
}

func clientErrorCode(err error) (apperr.Code, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		// A data exception (a NUL byte, a value out of a column's
		// range) is the client's input that got past our checks.
		return apperr.BadUserInput, true
	}
	var parsed *gqlerror.Error
	if !errors.As(err, &parsed) || parsed.Err != nil {
		return "", false
	}
	if parsed.Extensions["code"] != nil {
		return "", true // GRAPHQL_PARSE_FAILED and friends
	}
	if len(parsed.Path) > 0 {
		// Argument coercion errors (a bad enum value or type in the
		// variables) come from gqlgen without a code.
		return apperr.BadUserInput, true
	}
	return "", false
}
