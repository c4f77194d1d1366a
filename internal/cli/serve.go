package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"stockgraph/internal/api"
	"stockgraph/internal/bulk"
	"stockgraph/internal/changes"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/loaders"
	"stockgraph/internal/orders"
)

// Serve is `stockgraph serve`, also what stockgraph does without a command.
func Serve() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve GraphiQL at / and GraphQL at /graphql (the default)",
		Long: `Serve GraphiQL at / and the GraphQL API at /graphql on LISTEN_ADDR
(default 127.0.0.1:8080) until interrupted, and deliver webhooks (any
number of replicas may serve one database). The database must be migrated.`,
		Args: noArgs,
		RunE: runServe,
	}
	cmd.Flags().Bool("dev", false, "development mode: GraphiQL prefills STOCKGRAPH_DEV_TOKEN for pages loaded from this machine (make run)")
	return cmd
}

func runServe(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	addr := envOr("LISTEN_ADDR", "127.0.0.1:8080")
	wait, err := loaderWait()
	if err != nil {
		return err
	}
	lim, err := serveLimits()
	if err != nil {
		return err
	}
	dev, _ := cmd.Flags().GetBool("dev")
	db, err := openDBWith(ctx, true, lim.db)
	if err != nil {
		return err
	}
	defer db.Close()
	logger := api.NewLogger(os.Stderr)
	slog.SetDefault(logger) // libraries' log.Printf lines become bounded JSON too
	logger.Info("garbage collection", "GOGC", tuneGC(), "GOMEMLIMIT", os.Getenv("GOMEMLIMIT"))
	m := newMetrics(db)
	public, err := publicMetrics()
	if err != nil {
		return err
	}
	hooks, err := webhookConfig(logger)
	if err != nil {
		return err
	}
	hooks.OnAttempt, hooks.OnThrottled, hooks.Throttle = webhookAttempts(m), m.WebhookThrottled, lim.webhooks
	if os.Getenv("STOCKGRAPH_DEV_TOKEN") != "" && !devMode(dev) {
		logger.Warn("STOCKGRAPH_DEV_TOKEN is ignored outside development mode (serve --dev or STOCKGRAPH_DEV_MODE=1)")
	}
	wakeHooks, stopHooks := startWebhooks(ctx, db, hooks)
	defer stopHooks()
	hub, stopHub, err := startEvents(ctx, db, logger, wakeHooks, m.EventsLag)
	if err != nil {
		return err
	}
	defer stopHub()
	watchHub(m, hub)
	defer startExpirer(ctx, db, logger, m.ReservationsExpired)()
	defer startPruner(ctx, db, logger)()
	lease, err := bulkLease()
	if err != nil {
		return err
	}
	defer startBulk(ctx, db, logger, lease)()
	signer, err := bulk.LoadSigner(ctx, db.DB, os.Getenv("STOCKGRAPH_BULK_URL_SECRET"))
	if err != nil {
		return err
	}
	sockets := api.NewWebsockets()
	cfg := api.Config{DB: db, DevToken: os.Getenv("STOCKGRAPH_DEV_TOKEN"), DevMode: devMode(dev), LoaderWait: wait, Logger: logger,
		WebhookGuard: hooks.Guard, Events: hub, Metrics: m, PublicMetrics: public, Websockets: sockets,
		RequestTimeout: lim.request, MaxBodyBytes: lim.maxBody, MaxUploadBytes: lim.maxUpload,
		BulkSigner: signer, PublicURL: os.Getenv("STOCKGRAPH_PUBLIC_URL"),
		Throttle: lim.tokens, AddressThrottle: lim.addresses, OneByOne: os.Getenv("STOCKGRAPH_COALESCE") == "0"}
	stopAdmin, err := startAdmin(cfg, logger)
	if err != nil {
		return err
	}
	defer stopAdmin()
	srv := lim.server(addr, api.NewHandler(cfg))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR %q: %w (pick another with LISTEN_ADDR=127.0.0.1:PORT)", addr, err)
	}
	logger.Info("serving", "graphiql", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	return serveUntilDone(ctx, srv, ln, stopHub, sockets)
}

// serveUntilDone serves on ln until ctx ends, then shuts down gracefully:
// subscriptions end first (each client gets complete), then the
// websockets close with 1001 (going away: clients reconnect to another
// replica), then requests in flight finish, with their transactions;
// Shutdown does not wait for websockets.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, stopHub func(), sockets *api.Websockets) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stopHub()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sockets.GoingAway(shutdown)
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startEvents starts the hub that delivers stock events to subscriptions,
// with its LISTEN connection; stop ends it and waits for it.
func startEvents(ctx context.Context, db *database.DB, logger *slog.Logger, doorbell func(), lag func(time.Duration)) (*events.Hub, func(), error) {
	url, err := databaseURL()
	if err != nil {
		return nil, nil, err
	}
	hub := events.NewHub(db.DB, events.HubOptions{Logger: logger, Doorbell: doorbell, Lag: lag})
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
// run it on one database (see orders.ExpireDue); expired hears how many
// lapsed. stop ends it and waits.
func startExpirer(ctx context.Context, db *database.DB, logger *slog.Logger, expired func(int)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		orders.RunExpirer(ctx, db.DB, time.Second, logger, expired)
	}()
	return func() { cancel(); <-done }
}

// startPruner keeps store_changes small: every minute it deletes the rows
// no change position needs (changes.Prune). stop ends it and waits.
func startPruner(ctx context.Context, db *database.DB, logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		changes.RunPruner(ctx, db.DB, time.Minute, logger)
	}()
	return func() { cancel(); <-done }
}

// startBulk runs a bulk operations worker; stop ends it and waits. An
// operation it was running is resumed, by this replica or another, once
// its lease runs out.
func startBulk(ctx context.Context, db *database.DB, logger *slog.Logger, lease time.Duration) (stop func()) {
	cfg := bulk.DefaultConfig()
	cfg.Logger, cfg.Lease = logger, lease
	w := bulk.NewWorker(db.DB, cfg)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	return func() { cancel(); <-done }
}

// bulkLease reads STOCKGRAPH_BULK_LEASE: how long a bulk operation whose
// replica died waits before another resumes it.
func bulkLease() (time.Duration, error) {
	v := os.Getenv("STOCKGRAPH_BULK_LEASE")
	if v == "" {
		return bulk.DefaultConfig().Lease, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second || d > time.Hour {
		return 0, fmt.Errorf("STOCKGRAPH_BULK_LEASE %q must be a duration between 1s and 1h, such as 30s", v)
	}
	return d, nil
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
