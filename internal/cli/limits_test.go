package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/throttle"
)

// TestServeLimits: each variable sets its limit, defaults fill the rest,
// and a malformed value is an error naming the variable.
func TestServeLimits(t *testing.T) {
	def, err := serveLimits()
	if err != nil {
		t.Fatalf("serveLimits() with no variables: %v", err)
	}
	if def.db.StatementTimeout != 10*time.Second || def.db.LockTimeout != 5*time.Second || def.db.AcquireTimeout != 5*time.Second || def.request != 30*time.Second ||
		def.maxBody != 8<<20 || def.read != 30*time.Second || def.write != 60*time.Second || def.idle != 120*time.Second {
		t.Errorf("serveLimits() defaults = %+v, want statement 10s, lock 5s, acquire 5s, request 30s, body 8 MiB, read 30s, write 60s, idle 120s", def)
	}
	tests := []struct {
		key, value string
		got        func(limits) any
		want       any
	}{
		{"STOCKGRAPH_STATEMENT_TIMEOUT", "2s", func(l limits) any { return l.db.StatementTimeout }, 2 * time.Second},
		{"STOCKGRAPH_LOCK_TIMEOUT", "250ms", func(l limits) any { return l.db.LockTimeout }, 250 * time.Millisecond},
		{"STOCKGRAPH_REQUEST_TIMEOUT", "1m", func(l limits) any { return l.request }, time.Minute},
		{"STOCKGRAPH_ACQUIRE_TIMEOUT", "2s", func(l limits) any { return l.db.AcquireTimeout }, 2 * time.Second},
		{"STOCKGRAPH_READ_HEADER_TIMEOUT", "3s", func(l limits) any { return l.server("", nil).ReadHeaderTimeout }, 3 * time.Second},
		{"STOCKGRAPH_READ_TIMEOUT", "4s", func(l limits) any { return l.server("", nil).ReadTimeout }, 4 * time.Second},
		{"STOCKGRAPH_WRITE_TIMEOUT", "5s", func(l limits) any { return l.server("", nil).WriteTimeout }, 5 * time.Second},
		{"STOCKGRAPH_IDLE_TIMEOUT", "6s", func(l limits) any { return l.server("", nil).IdleTimeout }, 6 * time.Second},
		{"STOCKGRAPH_MAX_BODY_BYTES", "65536", func(l limits) any { return l.maxBody }, int64(65536)},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Setenv(tt.key, tt.value)
			l, err := serveLimits()
			if err != nil {
				t.Fatalf("serveLimits() with %s=%s: %v", tt.key, tt.value, err)
			}
			if got := tt.got(l); got != tt.want {
				t.Errorf("serveLimits() with %s=%s = %v, want %v", tt.key, tt.value, got, tt.want)
			}
			t.Setenv(tt.key, "soon")
			if _, err := serveLimits(); err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("serveLimits() with %s=soon: error %v, want one naming %s", tt.key, err, tt.key)
			}
		})
	}
}

// TestDevMode: development mode only when asked for.
func TestDevMode(t *testing.T) {
	for _, tt := range []struct {
		flag bool
		env  string
		want bool
	}{{false, "", false}, {true, "", true}, {false, "1", true}, {false, "0", false}, {false, "yes", false}} {
		t.Setenv("STOCKGRAPH_DEV_MODE", tt.env)
		if got := devMode(tt.flag); got != tt.want {
			t.Errorf("devMode(%v) with STOCKGRAPH_DEV_MODE=%q = %v, want %v", tt.flag, tt.env, got, tt.want)
		}
	}
}

// TestServeBucketLimits: each bucket's size and restore rate come from
// their variables, defaults otherwise; a size below one point, a rate of
// zero or less and a value that is no number are refused, naming the
// variable.
func TestServeBucketLimits(t *testing.T) {
	def, err := serveLimits()
	if err != nil {
		t.Fatalf("serveLimits() with no variables: %v", err)
	}
	if def.tokens != api.DefaultThrottle || def.addresses != api.DefaultAddressThrottle ||
		def.webhooks != (throttle.Config{Size: 100, Rate: 20}) {
		t.Errorf("serveLimits() buckets = %+v, %+v, %+v; want the defaults (webhooks 100 and 20 a second)", def.tokens, def.addresses, def.webhooks)
	}
	for _, tt := range []struct {
		prefix string
		got    func(limits) throttle.Config
	}{
		{"STOCKGRAPH_COST", func(l limits) throttle.Config { return l.tokens }},
		{"STOCKGRAPH_ADDRESS", func(l limits) throttle.Config { return l.addresses }},
		{"STOCKGRAPH_WEBHOOK", func(l limits) throttle.Config { return l.webhooks }},
	} {
		t.Run(tt.prefix, func(t *testing.T) {
			size, rate := tt.prefix+"_BUCKET_SIZE", tt.prefix+"_RESTORE_RATE"
			t.Setenv(size, "1")
			t.Setenv(rate, "0.5")
			l, err := serveLimits()
			if err != nil || tt.got(l) != (throttle.Config{Size: 1, Rate: 0.5}) {
				t.Errorf("serveLimits() with %s=1, %s=0.5 = %+v, %v; want size 1, rate 0.5", size, rate, tt.got(l), err)
			}
			for _, bad := range []struct{ key, value string }{
				{size, "0.5"}, {size, "0"}, {size, "-3"}, {size, "lots"}, {size, "NaN"}, {size, "+Inf"},
				{rate, "0"}, {rate, "-1"}, {rate, "fast"}, {rate, "Inf"}, {rate, "1e-300"}, {rate, "0.0009"},
			} {
				t.Setenv(size, "1")
				t.Setenv(rate, "1")
				t.Setenv(bad.key, bad.value)
				if _, err := serveLimits(); err == nil || !strings.Contains(err.Error(), bad.key) {
					t.Errorf("serveLimits() with %s=%s: error %v, want one naming %s", bad.key, bad.value, err, bad.key)
				}
			}
		})
	}
}

// TestServeRefusesABadBucketBeforeTheDatabase: serve reports a bad bucket
// variable without reaching for the database (here an unreachable one).
func TestServeRefusesABadBucketBeforeTheDatabase(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	t.Setenv("STOCKGRAPH_WEBHOOK_BUCKET_SIZE", "0.5")
	var out bytes.Buffer
	root := newTestRoot(&out)
	root.SetArgs([]string{"serve"})
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), `STOCKGRAPH_WEBHOOK_BUCKET_SIZE "0.5" must be a number of points, at least 1`) {
		t.Errorf("serve with STOCKGRAPH_WEBHOOK_BUCKET_SIZE=0.5: %v, want the variable refused before the database is opened", err)
	}
}
