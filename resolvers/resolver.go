// Package resolvers holds the GraphQL resolvers: each checks the caller
// (scopes are checked by the @requireScope directive), calls one domain
// function or loader, and builds the payload. No SQL lives here.
package resolvers

import (
	"context"
	"time"

	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/inventory"
	"stockgraph/internal/orders"
	"stockgraph/internal/webhooks"
	"stockgraph/models"
)

// Resolver is the root resolver; it holds the shared dependencies.
type Resolver struct {
	DB *database.DB
	// Adjuster applies stock adjustments and Placer places orders (an
	// inventory.Coalescer and an orders.Coalescer in the server); one by
	// one over DB when nil.
	Adjuster Adjuster
	Placer   Placer
	// WebhookGuard checks webhook URLs at create and update.
	WebhookGuard webhooks.Guard
	// Events delivers live stock events to subscriptions.
	Events *events.Hub
	// Reauthorize, when set, checks a subscription's caller again every
	// ReauthorizeEvery (events' default when zero): an error (a revoked
	// token) ends the subscription with it.
	Reauthorize      func(context.Context) error
	ReauthorizeEvery time.Duration
	// Bulk signs download URLs and limits uploads.
	Bulk BulkConfig
}

// Adjuster applies an adjustment as inventory.Adjust does.
type Adjuster interface {
	Adjust(ctx context.Context, actor inventory.Actor, a inventory.Adjustment) (inventory.ChangeResult, error)
}

// adjuster is the resolver's Adjuster.
func (r *Resolver) adjuster() Adjuster {
	if r.Adjuster == nil {
		return inventory.OneByOne{DB: r.DB.DB}
	}
	return r.Adjuster
}

// Placer places an order as orders.CreateOrder does.
type Placer interface {
	CreateOrder(ctx context.Context, actor inventory.Actor, in orders.NewOrder) (orders.Result[models.Order], error)
}

// placer is the resolver's Placer.
func (r *Resolver) placer() Placer {
	if r.Placer == nil {
		return orders.OneByOne{DB: r.DB.DB}
	}
	return r.Placer
}
