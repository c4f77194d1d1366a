package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"stockgraph/internal/apperr"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"stockgraph/dbmigrate"
)

// readyTimeout bounds /readyz's look at the database: a probe must answer
// even when the database does not.
const readyTimeout = 2 * time.Second

// healthz answers 200 while the process serves: it touches no database,
// so that an orchestrator restarts the process only for its own faults.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz answers 200 when the database answers and its migrations are
// current, and 503 with the reason otherwise, so that a load balancer
// sends no traffic to a replica that could only fail. The reason names
// the cause, never the database's own words (they are logged).
func readyz(cfg Config) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if reason := notReady(ctx, cfg); reason != "" {
			writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": reason})
			return
		}
		writeHealth(w, http.StatusOK, map[string]any{"status": "ready"})
	}
}

func notReady(ctx context.Context, cfg Config) string {
	sqlDB, err := cfg.DB.DB.DB()
	if err == nil {
		err = sqlDB.PingContext(ctx)
	}
	if err != nil {
		cfg.Logger.WarnContext(ctx, "not ready: database unreachable", "err", err)
		return "database unreachable"
	}
	pending, err := dbmigrate.Pending(ctx, sqlDB)
	if err != nil {
		cfg.Logger.WarnContext(ctx, "not ready: migration status unreadable", "err", err)
		return "migration status unreadable"
	}
	if pending > 0 {
		return fmt.Sprintf("%d migrations pending: run `stockgraph migrate`", pending)
	}
	return ""
}

func writeHealth(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// AdminHandler serves the admin listener: pprof under /debug/pprof/,
// /metrics, /healthz and /readyz. pprof is registered on this mux only,
// never on the public one (net/http/pprof's init registers on
// http.DefaultServeMux, which the server never serves). It carries no
// authentication: bind it to a loopback or private address.
func AdminHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = NewLogger(discard{})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if cfg.Metrics != nil {
		mux.Handle("/metrics", cfg.Metrics.Handler())
	}
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/readyz", readyz(cfg))
	return mux
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// Websockets tracks the open websocket connections, so that a server
// shutting down closes each with 1001 (going away) and the clients
// reconnect to another replica, instead of seeing the TCP connection drop.
type Websockets struct {
	mu      sync.Mutex
	conns   map[*trackedConn]struct{}
	closing bool
	// running counts the operations in progress on all websockets.
	running atomic.Int64
}

// NewWebsockets returns an empty set, for Config.Websockets.
func NewWebsockets() *Websockets {
	return &Websockets{conns: map[*trackedConn]struct{}{}}
}

// maxOperationDrain bounds how long GoingAway waits for websocket
// operations to end before closing their connections.
const maxOperationDrain = 2 * time.Second

// GoingAway refuses new websockets and closes the open ones with 1001,
// waiting for their closing handshakes until ctx ends. It first lets the
// operations in progress end (a subscription whose events end sends its
// complete; a query its result), for up to maxOperationDrain.
func (s *Websockets) GoingAway(ctx context.Context) {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	drain, cancel := context.WithTimeout(ctx, maxOperationDrain)
	defer cancel()
	for s.running.Load() > 0 && drain.Err() == nil {
		select {
		case <-drain.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	s.mu.Lock()
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { _ = c.WriteClose(closeGoingAway, "server shutting down") })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// operation counts an operation on a websocket until ctx, the
// operation's own, ends: gqlgen cancels it after the operation's last
// message (complete or error) is written.
func (s *Websockets) operation(ctx context.Context) {
	s.running.Add(1)
	context.AfterFunc(ctx, func() { s.running.Add(-1) })
}

// Open returns how many websockets are open.
func (s *Websockets) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Websockets) shuttingDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// refuseShuttingDown answers an upgrade that comes while shutting down:
// HTTP 503 with Retry-After, so that the client connects again (to
// another replica). The code is UNAVAILABLE, issue 9's code for "try
// again shortly" (apperr gains it with the database outage work).
func refuseShuttingDown(w http.ResponseWriter, r *http.Request) {
	ext := map[string]any{"code": string(apperr.Unavailable)}
	noteError(r.Context(), ext)
	w.Header().Set("Retry-After", "1")
	writeHealth(w, http.StatusServiceUnavailable, map[string]any{
		"errors": []any{map[string]any{"message": "the server is shutting down: connect again", "extensions": ext}},
	})
}

// closeGoingAway is RFC 6455's "going away": the server is shutting down.
const closeGoingAway = 1001

// track adds conn to the set, or refuses it (false) while shutting down.
func (s *Websockets) track(conn transport.WebsocketConn) (*trackedConn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, false
	}
	c := &trackedConn{WebsocketConn: conn, set: s}
	s.conns[c] = struct{}{}
	return c, true
}

// trackedConn leaves its set when it closes.
type trackedConn struct {
	transport.WebsocketConn
	set *Websockets
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.WebsocketConn.Close()
}
