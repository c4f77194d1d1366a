package cli

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/bulk"
	"stockgraph/internal/database"
	"stockgraph/internal/throttle"
	"stockgraph/internal/webhooks"
)

// limits are serve's sizes and times, each from its environment variable
// (README, Configuration) or its default.
type limits struct {
	readHeader, read, write, idle time.Duration
	request                       time.Duration
	db                            database.Options
	maxBody                       int64
	maxUpload                     int64 // a bulk import's file
	maxHeader                     int
	// tokens and addresses are the cost buckets per token and per
	// client address without a valid token; webhooks each store's bucket
	// of webhook attempts.
	tokens, addresses, webhooks throttle.Config
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
	l := limits{maxBody: api.DefaultMaxBodyBytes, maxUpload: bulk.DefaultMaxUploadBytes, maxHeader: defaultMaxHeaderBytes}
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
	}{{"STOCKGRAPH_MAX_BODY_BYTES", &l.maxBody}, {"STOCKGRAPH_BULK_MAX_UPLOAD_BYTES", &l.maxUpload}} {
		if v := os.Getenv(n.key); v != "" {
			parsed, err := strconv.ParseInt(v, 10, 64)
			if err != nil || parsed < 1024 {
				return l, fmt.Errorf("%s %q must be a number of bytes, at least 1024, such as %d", n.key, v, *n.dst)
			}
			*n.dst = parsed
		}
	}
	for _, b := range []struct {
		prefix string
		dst    *throttle.Config
		def    throttle.Config
	}{
		{"STOCKGRAPH_COST", &l.tokens, api.DefaultThrottle},
		{"STOCKGRAPH_ADDRESS", &l.addresses, api.DefaultAddressThrottle},
		{"STOCKGRAPH_WEBHOOK", &l.webhooks, webhooks.DefaultThrottle},
	} {
		var err error
		if *b.dst, err = throttleConfig(b.prefix, b.def); err != nil {
			return l, err
		}
	}
	return l, nil
}

// minRestoreRate is the slowest a bucket may refill: a point in about 17
// minutes. Slower rates make Retry-After a number of years.
const minRestoreRate = 0.001

// throttleConfig reads a bucket's PREFIX_BUCKET_SIZE (points, at least 1:
// a smaller bucket could never pay a request) and PREFIX_RESTORE_RATE
// (points a second, at least minRestoreRate), each def's when unset.
func throttleConfig(prefix string, def throttle.Config) (throttle.Config, error) {
	cfg := def
	for _, v := range []struct {
		name string
		dst  *float64
		min  float64
		want string
	}{
		{prefix + "_BUCKET_SIZE", &cfg.Size, 1, "a number of points, at least 1"},
		{prefix + "_RESTORE_RATE", &cfg.Rate, minRestoreRate, "a number of points a second, at least 0.001"},
	} {
		raw := os.Getenv(v.name)
		if raw == "" {
			continue
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f < v.min || math.IsInf(f, 0) || math.IsNaN(f) {
			return cfg, fmt.Errorf("%s %q must be %s, such as %s", v.name, raw, v.want, strconv.FormatFloat(*v.dst, 'f', -1, 64))
		}
		*v.dst = f
	}
	return cfg, nil
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
