package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/metrics"
	"stockgraph/internal/webhooks"
)

// newMetrics makes the server's metrics and registers what the database
// counts itself: the pool, statements, deadlocks.
func newMetrics(db *database.DB) *metrics.Metrics {
	m := metrics.New()
	m.Pool(func() metrics.PoolStats {
		st := db.PoolStat()
		return metrics.PoolStats{MaxConns: st.MaxConns(), Taken: st.AcquiredConns(), Idle: st.IdleConns(),
			Waits: st.EmptyAcquireCount(), WaitTime: st.EmptyAcquireWaitTime(), AcquireTimeouts: db.AcquireTimeouts()}
	})
	m.CounterFunc("db_statements_total", "SQL statements sent to PostgreSQL.",
		func() float64 { return float64(db.Statements()) })
	m.CounterFunc("db_statement_seconds_total", "Time SQL statements took, from sending to PostgreSQL's answer.",
		func() float64 { return db.StatementTime().Seconds() })
	m.CounterFunc("db_deadlocks_total", "Deadlocks met and retried (writes lock in one order: this should stay at zero).",
		func() float64 { return float64(database.Deadlocks()) })
	return m
}

// watchHub registers the events hub's own count: subscribers dropped for
// reading too slowly.
func watchHub(m *metrics.Metrics, hub *events.Hub) {
	m.CounterFunc("events_subscribers_dropped_total", "Subscriptions ended because their client read events too slowly.",
		func() float64 { return float64(hub.Dropped()) })
}

// webhookAttempts counts webhook attempts by their result.
func webhookAttempts(m *metrics.Metrics) func(webhooks.DeliveryStatus) {
	return func(s webhooks.DeliveryStatus) {
		switch s {
		case webhooks.Succeeded:
			m.WebhookAttempt("succeeded")
		case webhooks.Failed:
			m.WebhookAttempt("failed")
		default:
			m.WebhookAttempt("retrying")
		}
	}
}

// publicMetrics reads STOCKGRAPH_PUBLIC_METRICS: whether the public
// listener serves /metrics too (by default only the admin listener does).
func publicMetrics() (bool, error) {
	switch v := strings.ToLower(os.Getenv("STOCKGRAPH_PUBLIC_METRICS")); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, fmt.Errorf("STOCKGRAPH_PUBLIC_METRICS %q must be 1 or 0", v)
	}
}

// startAdmin serves api.AdminHandler (pprof, /metrics, /healthz, /readyz)
// on STOCKGRAPH_ADMIN_ADDR when it is set; stop closes it.
func startAdmin(cfg api.Config, logger *slog.Logger) (stop func(), err error) {
	addr := os.Getenv("STOCKGRAPH_ADMIN_ADDR")
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("STOCKGRAPH_ADMIN_ADDR %q: %w", addr, err)
	}
	srv := &http.Server{Handler: api.AdminHandler(cfg), ReadHeaderTimeout: 10 * time.Second}
	logger.Info("admin listener", "pprof", "http://"+ln.Addr().String()+"/debug/pprof/", "metrics", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin listener", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
