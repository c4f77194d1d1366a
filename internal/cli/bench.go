package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"stockgraph/internal/bench"
	"stockgraph/internal/database"
)

// Bench is `stockgraph bench`, which measures the seed query, with its
// `writes`, `orders` and `events` commands.
func Bench() *cobra.Command {
	o := bench.Options{}
	cmd := &cobra.Command{
		Use:   "bench [--products N --variants M --locations L --requests R --clients C]",
		Short: "Measure the seed query: latency, size and SQL statements per request",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Requests < 1 || o.Clients < 1 {
				return errors.New("bench: --requests and --clients must be at least 1")
			}
			wait, err := loaderWait()
			if err != nil {
				return err
			}
			o.LoaderWait = wait
			db, err := openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := bench.Run(cmd.Context(), db, o, os.Stderr)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep)
			return nil
		},
	}
	cmd.Flags().IntVar(&o.Products, "products", 100, "products in the benchmark store")
	cmd.Flags().IntVar(&o.Variants, "variants", 10, "variants per product")
	cmd.Flags().IntVar(&o.Locations, "locations", 5, "locations")
	cmd.Flags().IntVar(&o.Requests, "requests", 200, "requests to send")
	cmd.Flags().IntVar(&o.Clients, "clients", 4, "concurrent clients")
	cmd.AddCommand(benchWrites(), benchOrders(), benchEvents())
	return cmd
}

// benchWrites measures relative adjustments per second through HTTP,
// spread over many items and on one hot item, next to pgbench's TPS on
// the same server, and fails when a request fails or the levels and the
// ledger disagree afterwards. Progress goes to stderr, the table to stdout.
func benchWrites() *cobra.Command {
	o := bench.WriteOptions{}
	cmd := &cobra.Command{
		Use:   "writes [--clients 8,32] [--duration 10s] [--items 1000]",
		Short: "Adjustments per second through HTTP, next to pgbench's TPS",
		Long: `Send relative adjustments through HTTP from each client count, to many items
and to one hot item, then run pgbench's TPC-B-like workload with the same
client counts on the same PostgreSQL. Fails when a request fails or the
levels and the ledger disagree afterwards.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPgbenchBench(cmd, "writes", o.Clients, &o.Pgbench, func(ctx context.Context, db *database.DB) (bench.WriteReport, error) {
				return bench.RunWrites(ctx, db, o, os.Stderr)
			})
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&o.Clients, "clients", []int{8, 32}, "comma-separated concurrent client counts")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each workload, client count and pgbench run lasts")
	f.IntVar(&o.Items, "items", 1000, "items of the spread workload, all at one location")
	pgbenchFlags(cmd, &o.Pgbench)
	return cmd
}

// benchOrders measures orders per second through HTTP (createOrder, one
// unit each) over many SKUs and on one hot SKU that sells out, next to
// pgbench's TPC-B-like and single-row TPS on the same server, and fails
// when any unit is oversold or the orders, the stock and the ledger
// disagree afterwards. Progress goes to stderr, the table to stdout.
func benchOrders() *cobra.Command {
	o := bench.OrderOptions{}
	cmd := &cobra.Command{
		Use:   "orders [--clients 32] [--duration 10s] [--skus 1000] [--hot-stock 500]",
		Short: "Orders per second through HTTP, next to pgbench's TPS, with the zero-oversell check",
		Long: `Seed a fresh store whose default inventory model ships from two locations, then
place orders of one unit through HTTP (createOrder) from each client count: to a
random SKU among --skus, each stocked with plenty at one or two locations, and to
one hot SKU with --hot-stock units and no backorders, which the run sells out.
Then run pgbench's TPC-B-like workload and a single-row update with the same
client counts on the same PostgreSQL. Fails when a request fails, a unit is
oversold, an order was written but not answered (or the reverse), or the ledger
disagrees with the stored levels.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPgbenchBench(cmd, "orders", o.Clients, &o.Pgbench, func(ctx context.Context, db *database.DB) (bench.OrderReport, error) {
				return bench.RunOrders(ctx, db, o, os.Stderr)
			})
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&o.Clients, "clients", []int{32}, "comma-separated concurrent client counts")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each workload, client count and pgbench run lasts")
	f.IntVar(&o.SKUs, "skus", 1000, "SKUs of the spread workload, each stocked with plenty")
	f.IntVar(&o.HotStock, "hot-stock", 500, "units of the hot SKU (no backorders): the hot run sells them out")
	pgbenchFlags(cmd, &o.Pgbench)
	return cmd
}

// pgbenchFlags are the flags of the benchmarks that run pgbench.
func pgbenchFlags(cmd *cobra.Command, o *bench.PgbenchOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Path, "pgbench", "", "the pgbench binary (default "+bench.DefaultPgbench+" or $PATH's)")
	f.StringVar(&o.Database, "pgbench-db", "stockgraph_pgbench", "the database pgbench initialises (created when missing)")
	f.IntVar(&o.Scale, "pgbench-scale", 10, "pgbench's scale factor (-i -s)")
}

// validatePgbenchClients checks what the flags' types do not.
func validatePgbenchClients(name string, clients []int, pg bench.PgbenchOptions) error {
	for _, n := range clients {
		if n < 1 {
			return fmt.Errorf("bench %s: --clients %v must be positive integers separated by commas", name, clients)
		}
	}
	if len(clients) == 0 {
		return fmt.Errorf("bench %s: --clients needs at least one client count", name)
	}
	if pg.Scale < 1 {
		return fmt.Errorf("bench %s: --pgbench-scale must be at least 1, got %d", name, pg.Scale)
	}
	return nil
}

// runPgbenchBench checks the client counts and pgbench's options, points
// pgbench at DATABASE_URL's server and runs the benchmark as runBench.
func runPgbenchBench[R benchReport](cmd *cobra.Command, name string, clients []int, pg *bench.PgbenchOptions, run func(context.Context, *database.DB) (R, error)) error {
	if err := validatePgbenchClients(name, clients, *pg); err != nil {
		return err
	}
	return runBench(cmd, name, func(ctx context.Context, db *database.DB, url string) (R, error) {
		pg.DatabaseURL = url
		return run(ctx, db)
	})
}

// benchReport is what a benchmark prints and judges.
type benchReport interface {
	String() string
	Err() error
}

// runBench opens the database, runs a benchmark with it and DATABASE_URL,
// prints its report to stdout and fails when the report says it failed.
func runBench[R benchReport](cmd *cobra.Command, name string, run func(context.Context, *database.DB, string) (R, error)) error {
	url, err := databaseURL()
	if err != nil {
		return err
	}
	db, err := openDB(cmd.Context(), true)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := run(cmd.Context(), db, url)
	if err != nil {
		return fmt.Errorf("bench %s: %w", name, err)
	}
	fmt.Fprint(cmd.OutOrStdout(), rep)
	if err := rep.Err(); err != nil {
		return fmt.Errorf("bench %s failed:\n%w", name, err)
	}
	return nil
}

// benchEvents measures live stock events: subscribers on two replicas
// while writers adjust stock through HTTP. Progress goes to stderr, the
// figures to stdout; it fails when a subscriber misses an event.
func benchEvents() *cobra.Command {
	o := bench.EventOptions{}
	cmd := &cobra.Command{
		Use:   "events [--subscribers 100] [--writers 8] [--duration 10s] [--items 100]",
		Short: "Delay from a stock change to its subscribers, on two replicas, and events per second",
		Long: `Serve two replicas (two API handlers, each with its own event hub and LISTEN
connection) on loopback, split the subscribers between them, and send relative
adjustments through HTTP for the duration. Prints p50 and p99 of the delay from
an event's writing (its occurredAt) to its receipt, events delivered per second,
and dropped or incomplete subscribers; fails when a subscriber misses an event.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, "events", func(ctx context.Context, db *database.DB, url string) (bench.EventReport, error) {
				o.DatabaseURL = url
				return bench.RunEvents(ctx, db, o, os.Stderr)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Subscribers, "subscribers", 100, "subscribers, split between the two replicas")
	f.IntVar(&o.Writers, "writers", 8, "concurrent writers, split between the two replicas")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "how long the writers write")
	f.IntVar(&o.Items, "items", 100, "items the writers change, all at one location")
	return cmd
}
