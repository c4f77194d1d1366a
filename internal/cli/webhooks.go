package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
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

// startWebhooks runs the webhook worker, woken by the events hub's
// doorbell (wake); stop ends it and waits for it. Deliveries in flight
// when it stops are tried again once their lease runs out, by this
// replica or another.
func startWebhooks(ctx context.Context, db *database.DB, cfg webhooks.Config) (wake func(), stop func()) {
	w := webhooks.NewWorker(db.DB, cfg)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	return w.Wake, func() { cancel(); <-done }
}
