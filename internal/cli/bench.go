package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"stockgraph/internal/bench"
)

// Bench is `stockgraph bench`, which measures the seed query, with its
// `writes` command.
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
	cmd.AddCommand(benchWrites(), benchEvents())
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
			if err := validateBenchWrites(o); err != nil {
				return err
			}
			url, err := databaseURL()
			if err != nil {
				return err
			}
			o.Pgbench.DatabaseURL = url
			db, err := openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := bench.RunWrites(cmd.Context(), db, o, os.Stderr)
			if err != nil {
				return fmt.Errorf("bench writes: %w", err)
			}
			fmt.Fprint(cmd.OutOrStdout(), rep)
			if err := rep.Err(); err != nil {
				return fmt.Errorf("bench writes failed:\n%w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&o.Clients, "clients", []int{8, 32}, "comma-separated concurrent client counts")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "how long each workload, client count and pgbench run lasts")
	f.IntVar(&o.Items, "items", 1000, "items of the spread workload, all at one location")
	f.StringVar(&o.Pgbench.Path, "pgbench", "", "the pgbench binary (default "+bench.DefaultPgbench+" or $PATH's)")
	f.StringVar(&o.Pgbench.Database, "pgbench-db", "stockgraph_pgbench", "the database pgbench initialises (created when missing)")
	f.IntVar(&o.Pgbench.Scale, "pgbench-scale", 10, "pgbench's scale factor (-i -s)")
	return cmd
}

// validateBenchWrites checks what the flags' types do not.
func validateBenchWrites(o bench.WriteOptions) error {
	for _, n := range o.Clients {
		if n < 1 {
			return fmt.Errorf("bench writes: --clients %v must be positive integers separated by commas", o.Clients)
		}
	}
	if len(o.Clients) == 0 {
		return errors.New("bench writes: --clients needs at least one client count")
	}
	if o.Pgbench.Scale < 1 {
		return fmt.Errorf("bench writes: --pgbench-scale must be at least 1, got %d", o.Pgbench.Scale)
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
			url, err := databaseURL()
			if err != nil {
				return err
			}
			o.DatabaseURL = url
			db, err := openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := bench.RunEvents(cmd.Context(), db, o, os.Stderr)
			if err != nil {
				return fmt.Errorf("bench events: %w", err)
			}
			fmt.Fprint(cmd.OutOrStdout(), rep)
			if err := rep.Err(); err != nil {
				return fmt.Errorf("bench events failed: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Subscribers, "subscribers", 100, "subscribers, split between the two replicas")
	f.IntVar(&o.Writers, "writers", 8, "concurrent writers, split between the two replicas")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "how long the writers write")
	f.IntVar(&o.Items, "items", 100, "items the writers change, all at one location")
	return cmd
}
