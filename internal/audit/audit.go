// Package audit reads the audit log: who changed the catalog, the store's
// configuration, webhooks and tokens, what and when. The log is written
// by the database itself (triggers of migration 00009), in each change's
// transaction, naming the API token that internal/database.WithActor put
// in the writing request's context; this package only reads it.
package audit

import (
	"context"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/page"
	"stockgraph/models"
)

// Query selects a page of the audit log, newest first.
type Query struct {
	// Subjects keeps entries about these kinds of object (product,
	// variant, location, inventory_model, stock_level, store, webhook,
	// api_token); nil keeps all.
	Subjects []string
	// SubjectID keeps entries about one object, when not 0.
	SubjectID int64
	// TokenID keeps the changes one token made, when not 0.
	TokenID   int64
	Window    page.Window
	WithTotal bool
}

// List returns one page of the store's audit log, newest first.
func List(ctx context.Context, db *gorm.DB, storeID int64, q Query) (page.Page[models.AuditEntry], error) {
	sel := db.WithContext(ctx).Model(&models.AuditEntry{}).Where("store_id = ?", storeID)
	if q.Subjects != nil {
		sel = sel.Where("subject IN ?", q.Subjects)
	}
	if q.SubjectID != 0 {
		sel = sel.Where("subject_id = ?", q.SubjectID)
	}
	if q.TokenID != 0 {
		sel = sel.Where("token_id = ?", q.TokenID)
	}
	return database.NewestFirst(sel, q.Window, q.WithTotal, func(e models.AuditEntry) int64 { return e.ID }, "audit entries")
}
