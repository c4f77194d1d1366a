package cli

import (
	"strings"
	"testing"
	"time"
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
