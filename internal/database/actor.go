package database

import (
	"context"
	"database/sql"
	"slices"
	"strconv"

	"gorm.io/gorm"
)

// The audit log (migration 00009) names the API token behind each change
// of the catalog, the configuration, webhooks and tokens. Its triggers
// read the transaction-local setting stockgraph.token_id; WithActor puts
// the token in the context, and a GORM callback sets the setting in the
// transaction before each write to an audited table. Writes outside a
// transaction, or through raw SQL, are logged without a token.

type actorKey struct{}

// WithActor returns a context whose writes are made by the API token.
func WithActor(ctx context.Context, tokenID int64) context.Context {
	return context.WithValue(ctx, actorKey{}, tokenID)
}

// ActorOf returns the API token of the context's writes, or 0.
func ActorOf(ctx context.Context) int64 {
	id, _ := ctx.Value(actorKey{}).(int64)
	return id
}

// auditedTables are the tables whose changes the audit log records.
var auditedTables = []string{"products", "variants", "locations", "inventory_models", "stock_levels", "webhooks", "api_tokens", "stores"}

// SetActor sets stockgraph.token_id in tx's transaction to the context's
// actor, for an audited write GORM's callbacks do not see (raw SQL).
func SetActor(tx *gorm.DB) error {
	id := ActorOf(tx.Statement.Context)
	if id == 0 {
		return nil
	}
	if _, inTx := tx.Statement.ConnPool.(*sql.Tx); !inTx {
		return nil
	}
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, `SELECT set_config('stockgraph.token_id', $1, true)`, strconv.FormatInt(id, 10))
	return err
}

// registerActor sets stockgraph.token_id before GORM writes an audited
// table inside a transaction under an actor.
func (db *DB) registerActor() error {
	set := func(tx *gorm.DB) {
		if tx.Error == nil && slices.Contains(auditedTables, tx.Statement.Table) {
			if err := SetActor(tx); err != nil {
				_ = tx.AddError(err)
			}
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("stockgraph:actor", set),
		cb.Update().Before("gorm:update").Register("stockgraph:actor", set),
		cb.Delete().Before("gorm:delete").Register("stockgraph:actor", set),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
