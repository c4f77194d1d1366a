package bench

import (
	"strings"
	"testing"
)

// pg15Output is pgbench 15's report of a TPC-B-like run.
const pg15Output = `pgbench (15.8 (Debian 15.8-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 10
query mode: simple
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 12345
number of failed transactions: 0 (0.000%)
latency average = 6.481 ms
initial connection time = 12.345 ms
tps = 1234.567890 (without initial connection time)
`

// pg13Output is the report of pgbench before 14, with two tps lines.
const pg13Output = `number of transactions actually processed: 999
latency average = 8.000 ms
tps = 998.100000 (including connections establishing)
tps = 1001.250000 (excluding connections establishing)
`

func TestParsePgbenchTPS(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      float64
	}{
		{"pg15", pg15Output, 1234.567890},
		{"pg13 prefers excluding connections", pg13Output, 1001.25},
		{"bare tps line", "tps = 42\n", 42},
	} {
		got, err := ParsePgbenchTPS(c.out)
		if err != nil || got != c.want {
			t.Errorf("%s: ParsePgbenchTPS = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestParsePgbenchTPSFailures(t *testing.T) {
	for _, out := range []string{"", "pgbench: error: connection to server failed\n", "tps = lots (without initial connection time)\n"} {
		if got, err := ParsePgbenchTPS(out); err == nil {
			t.Errorf("ParsePgbenchTPS(%q) = %v, want an error", out, got)
		}
	}
}

func TestReportFailsOnErrorsAndWrongLevels(t *testing.T) {
	ok := WriteReport{Results: []WriteResult{{Workload: Hot, Clients: 8, Requests: 10, Check: LevelCheck{Items: 1, Before: 5, After: 6, Applied: 1}}}}
	if err := ok.Err(); err != nil {
		t.Fatalf("a clean run failed: %v", err)
	}
	bad := ok
	bad.Results = []WriteResult{{Workload: Hot, Clients: 8, Check: LevelCheck{Items: 1, Before: 5, After: 5, Applied: 1}}}
	if err := bad.Err(); err == nil || !strings.Contains(err.Error(), "want 6") {
		t.Errorf("a lost update passed: %v", err)
	}
	if s := bad.String(); !strings.Contains(s, "WRONG") {
		t.Errorf("the report does not flag the lost update:\n%s", s)
	}
}

func TestParsePgbenchProcessed(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      int64
	}{
		{"pg15", pg15Output, 12345},
		{"pg13", pg13Output, 999},
		{"with -t", "number of transactions actually processed: 80/100\n", 80},
		{"missing", "tps = 42\n", 0},
	} {
		if got := parsePgbenchProcessed(c.out); got != c.want {
			t.Errorf("%s: parsePgbenchProcessed = %d, want %d", c.name, got, c.want)
		}
	}
}
