package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/metrics"
)

// scrape returns what the handler exposes.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

// TestFamiliesExposed: every family records and is exposed, with its
// labels.
func TestFamiliesExposed(t *testing.T) {
	m := metrics.New()
	m.Pool(func() metrics.PoolStats {
		return metrics.PoolStats{MaxConns: 40, Taken: 3, Idle: 5, Waits: 7, WaitTime: 1500 * time.Millisecond, AcquireTimeouts: 2}
	})
	m.CounterFunc("db_statements_total", "statements", func() float64 { return 42 })
	m.GaugeFunc("some_gauge", "a gauge", func() float64 { return 7 })
	m.HTTPRequest("/graphql", 200, time.Millisecond)
	m.Operation("Stock", "query", false, time.Millisecond)
	m.Operation("", "mutation", true, time.Millisecond)
	m.Error("FORBIDDEN")
	m.WebhookAttempt("failed")
	m.WebhookThrottled()
	m.ReservationsExpired(3)
	m.EventsLag(20 * time.Millisecond)
	m.CoalescedGroup("adjustment")(5)
	got := scrape(t, m)
	for _, want := range []string{
		`stockgraph_http_requests_total{path="/graphql",status="200"} 1`,
		`stockgraph_http_request_duration_seconds_count{path="/graphql"} 1`,
		`stockgraph_graphql_operations_total{operation="Stock",outcome="ok",type="query"} 1`,
		`stockgraph_graphql_operations_total{operation="_anonymous",outcome="error",type="mutation"} 1`,
		`stockgraph_graphql_operation_duration_seconds_count{operation="Stock",type="query"} 1`,
		`stockgraph_graphql_errors_total{code="FORBIDDEN"} 1`,
		`stockgraph_webhook_attempts_total{result="failed"} 1`,
		`stockgraph_webhook_attempts_total{result="succeeded"} 0`,
		`stockgraph_webhook_deliveries_throttled_total 1`,
		`stockgraph_reservations_expired_total 3`,
		`stockgraph_events_lag_seconds_bucket{le="0.025"} 1`,
		`stockgraph_events_lag_seconds_count 1`,
		`stockgraph_coalesced_group_size_bucket{kind="adjustment",le="4"} 0`,
		`stockgraph_coalesced_group_size_bucket{kind="adjustment",le="8"} 1`,
		`stockgraph_db_statements_total 42`,
		`stockgraph_some_gauge 7`,
		"stockgraph_db_pool_max_connections 40",
		"stockgraph_db_pool_connections_taken 3",
		"stockgraph_db_pool_connections_idle 5",
		"stockgraph_db_pool_waits_total 7",
		"stockgraph_db_pool_wait_seconds_total 1.5",
		"stockgraph_db_pool_acquire_timeouts_total 2",
		"# TYPE stockgraph_db_pool_waits_total counter",
		"# TYPE stockgraph_db_pool_connections_taken gauge",
		`go_goroutines`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape holds %q = false, want true", want)
		}
	}
}

// TestOperationNamesBounded: client-chosen operation names past
// MaxOperationNames (or too long) share one series.
func TestOperationNamesBounded(t *testing.T) {
	m := metrics.New()
	for i := range metrics.MaxOperationNames + 50 {
		m.Operation(fmt.Sprintf("Op%d", i), "query", false, 0)
	}
	m.Operation(strings.Repeat("x", 65), "query", false, 0)
	got := scrape(t, m)
	if n := strings.Count(got, "stockgraph_graphql_operations_total{"); n != metrics.MaxOperationNames+1 {
		t.Errorf("operation series = %d, want %d", n, metrics.MaxOperationNames+1)
	}
	if want := `stockgraph_graphql_operations_total{operation="_other",outcome="ok",type="query"} 51`; !strings.Contains(got, want) {
		t.Errorf("scrape holds %q = false, want true", want)
	}
}

// TestNilRecordsNothing: a nil *Metrics is safe to call.
func TestNilRecordsNothing(t *testing.T) {
	var m *metrics.Metrics
	m.HTTPRequest("/", 200, 0)
	m.Operation("x", "query", false, 0)
	m.Error("X")
	m.WebhookAttempt("failed")
	m.WebhookThrottled()
	m.ReservationsExpired(1)
	m.EventsLag(time.Second)
	m.Pool(nil)
	m.CounterFunc("x", "x", nil)
}
