// Command stockgraph is the inventory GraphQL admin API: one binary that
// serves the API and manages its database.
//
//	stockgraph [serve]                       serve GraphiQL and /graphql (the default)
//	stockgraph migrate                       apply database migrations
//	stockgraph seed --store H --products N --variants M --locations L
//	stockgraph token create --store H --scopes a,b
//	stockgraph bench [--products N ...]      measure the seed query
//	stockgraph bench writes                  adjustments per second next to pgbench
//	stockgraph import --store H FILE         apply a CSV or JSON Lines file
//	stockgraph export --store H [FILE]       write the store's inventory
//
// Configuration comes from the environment: DATABASE_URL (required),
// LISTEN_ADDR (default 127.0.0.1:8080), STOCKGRAPH_DEV_TOKEN (prefilled in
// GraphiQL), STOCKGRAPH_LOADER_WAIT (dataloader batch window, default 1ms).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"stockgraph/dbmigrate"
	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/bench"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/loaders"
	"stockgraph/internal/seed"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "stockgraph:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args)
	case "migrate":
		return migrate(ctx, args)
	case "seed":
		return seedCmd(ctx, args)
	case "token":
		return tokenCmd(ctx, args)
	case "bench":
		if len(args) > 0 && args[0] == "writes" {
			return benchWritesCmd(ctx, args[1:])
		}
		return benchCmd(ctx, args)
	case "import":
		return importCmd(ctx, args)
	case "export":
		return exportCmd(ctx, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  stockgraph [serve]                       serve GraphiQL at / and GraphQL at /graphql
  stockgraph migrate                       apply database migrations
  stockgraph seed --store HANDLE --products N --variants M --locations L
  stockgraph token create --store HANDLE --scopes read_inventory,write_inventory,...
  stockgraph token revoke TOKEN
  stockgraph bench [--products N --variants M --locations L --requests R --clients C]
  stockgraph bench writes [--clients 8,32 ...]  adjustments/s through HTTP next to pgbench
  stockgraph import --store HANDLE [--format csv|jsonl] [--reason TEXT] FILE
                                           apply a CSV or JSON Lines file of levels and settings
  stockgraph export --store HANDLE [--format csv|jsonl] [FILE]
                                           write the store's inventory as CSV or JSON Lines

environment:
  DATABASE_URL           postgres://user@host:port/db (required)
  LISTEN_ADDR            address to serve on (default 127.0.0.1:8080)
  STOCKGRAPH_DEV_TOKEN   token prefilled in GraphiQL's headers (development)
  STOCKGRAPH_LOADER_WAIT dataloader batch window (default 1ms)
`

// openDB opens DATABASE_URL and refuses to go on with pending migrations.
func openDB(ctx context.Context, requireMigrated bool) (*database.DB, error) {
	db, err := database.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	if requireMigrated {
		sqlDB, _ := db.DB.DB()
		pending, err := dbmigrate.Pending(ctx, sqlDB)
		if err != nil {
			db.Close()
			return nil, err
		}
		if pending > 0 {
			db.Close()
			return nil, fmt.Errorf("the database has %d pending migrations: run `stockgraph migrate` first", pending)
		}
	}
	return db, nil
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	addr := envOr("LISTEN_ADDR", "127.0.0.1:8080")
	wait, err := loaderWait()
	if err != nil {
		return err
	}
	db, err := openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv := &http.Server{
		Addr:              addr,
		Handler:           api.NewHandler(api.Config{DB: db, DevToken: os.Getenv("STOCKGRAPH_DEV_TOKEN"), LoaderWait: wait, Logger: logger}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR %q: %w", addr, err)
	}
	logger.Info("serving", "graphiql", "http://"+ln.Addr().String()+"/", "graphql", "http://"+ln.Addr().String()+"/graphql")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	sqlDB, _ := db.DB.DB()
	version, err := dbmigrate.Up(ctx, sqlDB)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "database schema at version %d\n", version)
	return nil
}

func seedCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	o := seed.Options{Progress: os.Stderr}
	fs.StringVar(&o.StoreHandle, "store", "", "store handle, such as demo (created when missing)")
	fs.IntVar(&o.Products, "products", 100, "number of products")
	fs.IntVar(&o.Variants, "variants", 10, "variants per product")
	fs.IntVar(&o.Locations, "locations", 5, "number of locations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	res, err := seed.Run(ctx, db.DB, o)
	if err != nil {
		return err
	}
	if res.Seeded {
		fmt.Fprintf(os.Stderr, "seeded store %q in %s\n", res.Store.Handle, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func tokenCmd(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "revoke" {
		return revokeToken(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: stockgraph token create --store HANDLE --scopes a,b [--name NAME] | stockgraph token revoke TOKEN")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	handle := fs.String("store", "", "store handle")
	scopeList := fs.String("scopes", "read_inventory", "comma-separated scopes")
	name := fs.String("name", "cli", "a name to recognise the token by")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *handle == "" {
		return errors.New("token create: --store is required")
	}
	scopes, err := auth.ParseScopes(*scopeList)
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	db, err := openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := catalog.StoreByHandle(db.WithContext(ctx), *handle)
	if err != nil {
		return err
	}
	token, err := auth.CreateToken(ctx, db.DB, store.ID, *name, scopes)
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

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

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func benchCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o := bench.Options{}
	fs.IntVar(&o.Products, "products", 100, "products in the benchmark store")
	fs.IntVar(&o.Variants, "variants", 10, "variants per product")
	fs.IntVar(&o.Locations, "locations", 5, "locations")
	fs.IntVar(&o.Requests, "requests", 200, "requests to send")
	fs.IntVar(&o.Clients, "clients", 4, "concurrent clients")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Requests < 1 || o.Clients < 1 {
		return errors.New("bench: --requests and --clients must be at least 1")
	}
	wait, err := loaderWait()
	if err != nil {
		return err
	}
	o.LoaderWait = wait
	db, err := openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := bench.Run(ctx, db, o, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Print(rep)
	return nil
}

// revokeToken stops a token from working; the token is read from the
// argument or, when that is "-", from standard input.
func revokeToken(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: stockgraph token revoke TOKEN (or - to read it from standard input)")
	}
	token := args[0]
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 1024))
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(b))
	}
	db, err := openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := auth.RevokeToken(ctx, db.DB, token); err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	fmt.Fprintln(os.Stderr, "token revoked")
	return nil
}
