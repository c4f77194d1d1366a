// This file runs pgbench's TPC-B-like workload on the benchmark's own
// PostgreSQL server, in a database of its own, as the yardstick the write
// benchmark's requests per second are compared with.

package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"stockgraph/internal/database"
)

// DefaultPgbench is where Debian's PostgreSQL 15 keeps pgbench.
const DefaultPgbench = "/usr/lib/postgresql/15/bin/pgbench"

// PgbenchOptions say how to run pgbench.
type PgbenchOptions struct {
	Path        string // the pgbench binary; DefaultPgbench or $PATH's when empty
	DatabaseURL string // the server to use (its database name is ignored)
	Database    string // the database pgbench initialises, created when missing
	Scale       int    // pgbench -i -s
}

var databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// binary returns the pgbench to run.
func (o PgbenchOptions) binary() (string, error) {
	if o.Path != "" {
		if _, err := os.Stat(o.Path); err != nil {
			return "", fmt.Errorf("pgbench: %w", err)
		}
		return o.Path, nil
	}
	if _, err := os.Stat(DefaultPgbench); err == nil {
		return DefaultPgbench, nil
	}
	path, err := exec.LookPath("pgbench")
	if err != nil {
		return "", fmt.Errorf("pgbench is neither at %s nor on $PATH (apt-get install postgresql-15): %w", DefaultPgbench, err)
	}
	return path, nil
}

// SingleRowUpdate is the pgbench script of the single-row yardstick: one
// statement, one row, every client on the same row: a hot row's ceiling.
const SingleRowUpdate = "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1;\n"

// yardsticks initialises the pgbench database and runs its TPC-B-like
// transaction and the single-row update with each client count, for d
// each, returning what each measured by client count.
func (o PgbenchOptions) yardsticks(ctx context.Context, db *database.DB, clients []int, d time.Duration, p *progressLog) (tpcb, singleRow map[int]PgbenchResult, err error) {
	script, err := os.CreateTemp("", "stockgraph-single-row-update-*.sql")
	if err != nil {
		return nil, nil, fmt.Errorf("write the pgbench script: %w", err)
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(SingleRowUpdate); err != nil {
		return nil, nil, fmt.Errorf("write the pgbench script: %w", err)
	}
	if err := script.Close(); err != nil {
		return nil, nil, fmt.Errorf("write the pgbench script: %w", err)
	}
	if err := o.prepare(ctx, db, p); err != nil {
		return nil, nil, err
	}
	tpcb, singleRow = map[int]PgbenchResult{}, map[int]PgbenchResult{}
	for _, n := range clients {
		if tpcb[n], err = o.measure(ctx, n, d, pgbenchScript{}, p); err != nil {
			return nil, nil, err
		}
		if singleRow[n], err = o.measure(ctx, n, d, pgbenchScript{"single-row update", script.Name()}, p); err != nil {
			return nil, nil, err
		}
	}
	return tpcb, singleRow, nil
}

// tpsOf are the runs' TPS by client count.
func tpsOf(runs map[int]PgbenchResult) map[int]float64 {
	out := make(map[int]float64, len(runs))
	for n, r := range runs {
		out[n] = r.TPS
	}
	return out
}

// prepare creates the pgbench database when missing and initialises it
// at the scale.
func (o PgbenchOptions) prepare(ctx context.Context, db *database.DB, p *progressLog) error {
	if err := ensureDatabase(ctx, db, o.Database); err != nil {
		return err
	}
	p.sayStep("pgbench: initialising database %q at scale %d…", o.Database, o.Scale)
	_, err := o.run(ctx, "-i", "-q", "-s", strconv.Itoa(o.Scale))
	return err
}

// pgbenchScript is a pgbench script file and what to call it; the zero
// value is the builtin TPC-B-like transaction.
type pgbenchScript struct{ Name, Path string }

// tps runs pgbench with n clients for d (whole seconds, at least one) and
// returns the script's transactions per second.
func (o PgbenchOptions) tps(ctx context.Context, n int, d time.Duration, script pgbenchScript, p *progressLog) (float64, error) {
	r, err := o.measure(ctx, n, d, script, p)
	return r.TPS, err
}

// PgbenchResult is what one pgbench run measured.
type PgbenchResult struct {
	TPS          float64
	Transactions int64         // transactions processed
	CPU          time.Duration // of the backends serving the pgbench database
}

// CPUPerTransaction is PostgreSQL's CPU time per pgbench transaction.
func (r PgbenchResult) CPUPerTransaction() time.Duration {
	return r.CPU / time.Duration(max(1, r.Transactions))
}

// measure runs pgbench with n clients for d (whole seconds, at least one)
// and returns its throughput and what its transactions cost PostgreSQL.
func (o PgbenchOptions) measure(ctx context.Context, n int, d time.Duration, script pgbenchScript, p *progressLog) (PgbenchResult, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	what, args := "TPC-B-like", []string{"-n", "-c", strconv.Itoa(n), "-j", strconv.Itoa(min(2, n)), "-T", strconv.Itoa(secs)}
	if script.Path != "" {
		what, args = script.Name, append(args, "-f", script.Path)
	}
	p.sayStep("pgbench %s: %d clients for %ds…", what, n, secs)
	cpu := watchDatabaseCPU(o.Database)
	out, err := o.run(ctx, args...)
	r := PgbenchResult{CPU: cpu()}
	if err != nil {
		return r, err
	}
	if r.TPS, err = ParsePgbenchTPS(out); err != nil {
		return r, fmt.Errorf("pgbench %s with %d clients: %w", what, n, err)
	}
	r.Transactions = parsePgbenchProcessed(out)
	p.say("      %.1f TPS, PostgreSQL CPU %.3f ms a transaction", r.TPS, millis(r.CPUPerTransaction()))
	return r, nil
}

// parsePgbenchProcessed reads "number of transactions actually processed:
// N" (N/M with -t); 0 when missing.
func parsePgbenchProcessed(out string) int64 {
	const prefix = "number of transactions actually processed: "
	for line := range strings.Lines(out) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			field, _, _ := strings.Cut(rest, "/")
			n, _ := strconv.ParseInt(field, 10, 64)
			return n
		}
	}
	return 0
}

// ensureDatabase creates the database name when the server lacks it.
func ensureDatabase(ctx context.Context, db *database.DB, name string) error {
	if !databaseName.MatchString(name) {
		return fmt.Errorf("pgbench database name %q must be lower-case letters, digits and underscores", name)
	}
	var exists bool
	if err := db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT FROM pg_database WHERE datname = ?)`, name).Scan(&exists).Error; err != nil {
		return fmt.Errorf("look for database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if err := db.WithContext(ctx).Exec(`CREATE DATABASE "` + name + `"`).Error; err != nil {
		return fmt.Errorf("create database %q for pgbench: %w", name, err)
	}
	return nil
}

// run runs pgbench with args against the pgbench database and returns
// its combined output; a failure carries the output's end.
func (o PgbenchOptions) run(ctx context.Context, args ...string) (string, error) {
	bin, err := o.binary()
	if err != nil {
		return "", err
	}
	env, err := libpqEnv(o.DatabaseURL)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, append(args, o.Database)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("pgbench %s: %w\n%s", strings.Join(args, " "), err, tail(string(out), 1500))
	}
	return string(out), nil
}

// libpqEnv is the environment without PG* variables, plus the PGHOST,
// PGPORT, PGUSER, PGPASSWORD and PGSSLMODE of dsn.
func libpqEnv(dsn string) ([]string, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL %q: %w", database.Redact(dsn), err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	env = append(env, "PGHOST="+cfg.Host, "PGPORT="+strconv.Itoa(int(cfg.Port)), "PGUSER="+cfg.User)
	if cfg.Password != "" {
		env = append(env, "PGPASSWORD="+cfg.Password)
	}
	if cfg.TLSConfig == nil {
		env = append(env, "PGSSLMODE=disable")
	}
	return env, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// ParsePgbenchTPS reads the throughput from pgbench's output: the line
// "tps = 1234.5 (without initial connection time)" (PostgreSQL 14 and
// later), else "tps = … (excluding connections establishing)" (before
// 14), else the first "tps = " line.
func ParsePgbenchTPS(out string) (float64, error) {
	var first string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "tps = ") {
			continue
		}
		if strings.Contains(line, "without initial connection time") || strings.Contains(line, "excluding connections") {
			return parseTPSLine(line)
		}
		if first == "" {
			first = line
		}
	}
	if first == "" {
		return 0, errors.New("pgbench printed no \"tps = \" line")
	}
	return parseTPSLine(first)
}

func parseTPSLine(line string) (float64, error) {
	field, _, _ := strings.Cut(strings.TrimPrefix(line, "tps = "), " ")
	tps, err := strconv.ParseFloat(field, 64)
	if err != nil {
		return 0, fmt.Errorf("pgbench tps line %q: %w", line, err)
	}
	return tps, nil
}
