package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/database"
	"stockgraph/internal/webhooks"
)

// webhookConfig reads the webhook settings from the environment:
// STOCKGRAPH_WEBHOOK_ALLOW_PRIVATE=1 lets webhooks reach private and
// loopback addresses; STOCKGRAPH_WEBHOOK_TIMEOUT bounds one attempt (10s).
func webhookConfig(logger *slog.Logger) (webhooks.Config, error) {
	cfg := webhooks.DefaultConfig()
	cfg.Guard.AllowPrivate = os.Getenv("STOCKGRAPH_WEBHOOK_ALLOW_PRIVATE") == "1"
	cfg.Names, cfg.Logger = api.WebhookNames{}, logger
	if v := os.Getenv("STOCKGRAPH_WEBHOOK_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > time.Minute {
			return cfg, fmt.Errorf("STOCKGRAPH_WEBHOOK_TIMEOUT %q must be a duration between 0 and 1m, such as 10s", v)
		}
		cfg.Timeout = d
	}
	return cfg, nil
}

// startWebhooks runs the webhook worker, woken by the events doorbell;
// stop ends it and waits for it. Deliveries in flight when it stops are
// tried again once their lease runs out, by this replica or another.
func startWebhooks(ctx context.Context, db *database.DB, cfg webhooks.Config) (stop func(), err error) {
	dsn, err := databaseURL()
	if err != nil {
		return nil, err
	}
	w := webhooks.NewWorker(db.DB, cfg)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); w.Run(ctx) }()
	go func() { defer wg.Done(); w.Listen(ctx, dsn) }()
	return func() { cancel(); wg.Wait() }, nil
}
