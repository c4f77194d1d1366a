package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"stockgraph/internal/api"
	"stockgraph/internal/api/throttle"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/loaders"
	"stockgraph/internal/orders"
)

// Serve is `stockgraph serve`, also what stockgraph does without a command.
func Serve() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve GraphiQL at / and GraphQL at /graphql (the default)",
		Long: `Serve GraphiQL at / and the GraphQL API at /graphql on LISTEN_ADDR
(default 127.0.0.1:8080) until interrupted, and deliver webhooks (any
number of replicas may serve one database). The database must be migrated.`,
		Args: noArgs,
		RunE: runServe,
	}
}

func runServe(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	addr := envOr("LISTEN_ADDR", "127.0.0.1:8080")
	wait, err := loaderWait()
	if err != nil {
		return err
	}
	tokens, err := throttleConfig("STOCKGRAPH_COST", api.DefaultThrottle)
	if err != nil {
		return err
	}
	addresses, err := throttleConfig("STOCKGRAPH_ADDRESS", api.DefaultAddressThrottle)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	hooks, err := webhookConfig(logger)
	if err != nil {
		return err
	}
	wakeHooks, stopHooks := startWebhooks(ctx, db, hooks)
	defer stopHooks()
	hub, stopHub, err := startEvents(ctx, db, logger, wakeHooks)
	if err != nil {
		return err
	}
	defer stopHub()
	defer startExpirer(ctx, db, logger)()
	srv := &http.Server{
		Addr: addr,
		Handler: api.NewHandler(api.Config{DB: db, DevToken: os.Getenv("STOCKGRAPH_DEV_TOKEN"), LoaderWait: wait, Logger: logger,
			WebhookGuard: hooks.Guard, Events: hub, Throttle: tokens, AddressThrottle: addresses}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR %q: %w (pick another with LISTEN_ADDR=127.0.0.1:PORT)", addr, err)
	}
	logger.Info("serving", "graphiql", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Subscriptions end first (each client gets complete), then requests
	// in flight finish; Shutdown does not wait for websockets.
	stopHub()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startEvents starts the hub that delivers stock events to subscriptions,
// with its LISTEN connection; stop ends it and waits for it.
func startEvents(ctx context.Context, db *database.DB, logger *slog.Logger, doorbell func()) (*events.Hub, func(), error) {
	url, err := databaseURL()
	if err != nil {
		return nil, nil, err
	}
	hub := events.NewHub(db.DB, events.HubOptions{Logger: logger, Doorbell: doorbell})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		hub.Run(ctx, url)
	}()
	return hub, func() { cancel(); <-done }, nil
}

// startExpirer lets reservations lapse by themselves: every second it
// returns the units of reservations past their ttl. Several servers may
// run it on one database (see orders.ExpireDue). stop ends it and waits.
func startExpirer(ctx context.Context, db *database.DB, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		orders.RunExpirer(ctx, db.DB, time.Second, logger)
	}()
	return func() { cancel(); <-done }
}

// loaderWait reads STOCKGRAPH_LOADER_WAIT.
func loaderWait() (time.Duration, error) {
	v := os.Getenv("STOCKGRAPH_LOADER_WAIT")
	if v == "" {
		return loaders.DefaultWait, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > time.Second {
		return 0, fmt.Errorf("STOCKGRAPH_LOADER_WAIT %q must be a duration between 0 and 1s, such as 1ms", v)
	}
	return d, nil
}

// throttleConfig reads a bucket's PREFIX_BUCKET_SIZE (points) and
// PREFIX_RESTORE_RATE (points a second), each def's when unset.
func throttleConfig(prefix string, def throttle.Config) (throttle.Config, error) {
	cfg := def
	for name, dst := range map[string]*float64{prefix + "_BUCKET_SIZE": &cfg.Size, prefix + "_RESTORE_RATE": &cfg.Rate} {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || math.IsInf(f, 0) {
			return cfg, fmt.Errorf("%s %q must be a positive number", name, v)
		}
		*dst = f
	}
	return cfg, nil
}
