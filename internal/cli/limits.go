package cli

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/api/throttle"
	"stockgraph/internal/database"
)

// limits are serve's sizes and times, each from its environment variable
// (README, Configuration) or its default.
type limits struct {
	readHeader, read, write, idle time.Duration
	request                       time.Duration
	db                            database.Options
	maxBody                       int64
	maxHeader                     int
	// tokens and addresses are the cost buckets per token and per
	// client address without a valid token.
	tokens, addresses throttle.Config
}

// The defaults of serve's limits. A query or mutation has 30 s; writing
// its answer gets as long again. Reads and writes of a websocket are not
// bound by them: net/http clears a connection's deadlines when the
// websocket takes it over, and keep-alive pings find dead peers.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = 30 * time.Second
	defaultWriteTimeout      = 2 * api.DefaultRequestTimeout
	defaultIdleTimeout       = 120 * time.Second
	defaultMaxHeaderBytes    = 64 << 10
)

// serveLimits reads serve's limits from the environment.
func serveLimits() (limits, error) {
	l := limits{maxBody: api.DefaultMaxBodyBytes, maxHeader: defaultMaxHeaderBytes}
	durations := []struct {
		key string
		dst *time.Duration
		def time.Duration
	}{
		{"STOCKGRAPH_READ_HEADER_TIMEOUT", &l.readHeader, defaultReadHeaderTimeout},
		{"STOCKGRAPH_READ_TIMEOUT", &l.read, defaultReadTimeout},
		{"STOCKGRAPH_WRITE_TIMEOUT", &l.write, defaultWriteTimeout},
		{"STOCKGRAPH_IDLE_TIMEOUT", &l.idle, defaultIdleTimeout},
		{"STOCKGRAPH_REQUEST_TIMEOUT", &l.request, api.DefaultRequestTimeout},
		{"STOCKGRAPH_ACQUIRE_TIMEOUT", &l.db.AcquireTimeout, database.DefaultAcquireTimeout},
		{"STOCKGRAPH_STATEMENT_TIMEOUT", &l.db.StatementTimeout, database.DefaultStatementTimeout},
		{"STOCKGRAPH_LOCK_TIMEOUT", &l.db.LockTimeout, database.DefaultLockTimeout},
	}
	for _, d := range durations {
		*d.dst = d.def
		if v := os.Getenv(d.key); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed < time.Millisecond {
				return l, fmt.Errorf("%s %q must be a duration of at least 1ms, such as %s", d.key, v, d.def)
			}
			*d.dst = parsed
		}
	}
	for _, n := range []struct {
		key string
		dst *int64
	}{{"STOCKGRAPH_MAX_BODY_BYTES", &l.maxBody}} {
		if v := os.Getenv(n.key); v != "" {
			parsed, err := strconv.ParseInt(v, 10, 64)
			if err != nil || parsed < 1024 {
				return l, fmt.Errorf("%s %q must be a number of bytes, at least 1024, such as %d", n.key, v, *n.dst)
			}
			*n.dst = parsed
		}
	}
	var err error
	if l.tokens, err = throttleConfig("STOCKGRAPH_COST", api.DefaultThrottle); err != nil {
		return l, err
	}
	l.addresses, err = throttleConfig("STOCKGRAPH_ADDRESS", api.DefaultAddressThrottle)
	return l, err
}

// server returns the HTTP server with l's timeouts.
func (l limits) server(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: l.readHeader,
		ReadTimeout:       l.read,
		WriteTimeout:      l.write,
		IdleTimeout:       l.idle,
		MaxHeaderBytes:    l.maxHeader,
	}
}

// devMode reports whether serve runs in development mode: --dev or
// STOCKGRAPH_DEV_MODE=1. Only then does GraphiQL prefill
// STOCKGRAPH_DEV_TOKEN, and only for pages loaded straight from this
// machine.
func devMode(flag bool) bool {
	return flag || os.Getenv("STOCKGRAPH_DEV_MODE") == "1"
}
