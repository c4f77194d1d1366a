package metrics_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"stockgraph/internal/metrics"
	"stockgraph/internal/testsupport/testdb"
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
	db, err := sql.Open("pgx", testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := metrics.New()
	m.Database(db)
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
		`stockgraph_db_statements_total 42`,
		`stockgraph_some_gauge 7`,
		`go_sql_max_open_connections{db_name="stockgraph"}`,
		`go_sql_wait_duration_seconds_total{db_name="stockgraph"}`,
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
	m.Database(nil)
	m.CounterFunc("x", "x", nil)
}
