package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"stockgraph/internal/bench"
)

// benchWritesCmd measures relative adjustments per second through HTTP,
// spread over many items and on one hot item, next to pgbench's TPS on
// the same server, and fails when a request fails or the levels and the
// ledger disagree afterwards. Progress goes to stderr, the table to stdout.
//
//	stockgraph bench writes [--clients 8,32] [--duration 10s] [--items 1000]
func benchWritesCmd(ctx context.Context, args []string) error {
	o, err := parseBenchWrites(args)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := bench.RunWrites(ctx, db, o, os.Stderr)
	if err != nil {
		return fmt.Errorf("bench writes: %w", err)
	}
	fmt.Print(rep)
	if err := rep.Err(); err != nil {
		return fmt.Errorf("bench writes failed:\n%w", err)
	}
	return nil
}

// parseBenchWrites reads the flags of `bench writes`.
func parseBenchWrites(args []string) (bench.WriteOptions, error) {
	fs := flag.NewFlagSet("bench writes", flag.ContinueOnError)
	o := bench.WriteOptions{Pgbench: bench.PgbenchOptions{DatabaseURL: os.Getenv("DATABASE_URL")}}
	clients := fs.String("clients", "8,32", "comma-separated concurrent client counts")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each workload, client count and pgbench run lasts")
	fs.IntVar(&o.Items, "items", 1000, "items of the spread workload, all at one location")
	fs.StringVar(&o.Pgbench.Path, "pgbench", "", "the pgbench binary (default "+bench.DefaultPgbench+" or $PATH's)")
	fs.StringVar(&o.Pgbench.Database, "pgbench-db", "stockgraph_pgbench", "the database pgbench initialises (created when missing)")
	fs.IntVar(&o.Pgbench.Scale, "pgbench-scale", 10, "pgbench's scale factor (-i -s)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("bench writes: unexpected argument %q", fs.Arg(0))
	}
	if o.Pgbench.Scale < 1 {
		return o, fmt.Errorf("bench writes: --pgbench-scale must be at least 1, got %d", o.Pgbench.Scale)
	}
	var err error
	o.Clients, err = parseClientCounts(*clients)
	return o, err
}

// parseClientCounts reads a comma-separated list of positive integers.
func parseClientCounts(list string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bench writes: --clients %q must be positive integers separated by commas", list)
		}
		counts = append(counts, n)
	}
	return counts, nil
}
