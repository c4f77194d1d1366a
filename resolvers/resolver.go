// Package resolvers holds the GraphQL resolvers: each checks the caller
// (scopes are checked by the @requireScope directive), calls one domain
// function or loader, and builds the payload. No SQL lives here.
package resolvers

import (
	"stockgraph/internal/database"
	"stockgraph/internal/webhooks"
)

// Resolver is the root resolver; it holds the shared dependencies.
type Resolver struct {
	DB *database.DB
	// WebhookGuard checks webhook URLs at create and update.
	WebhookGuard webhooks.Guard
}
