package database

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"stockgraph/internal/apperr"
)

// Row lock strengths of PostgreSQL, for LockRow.
const (
	// LockUpdate excludes every other lock: for deleting the row.
	LockUpdate = clause.LockingStrengthUpdate
	// LockNoKeyUpdate excludes other writers but lets rows that refer to
	// this one (foreign keys take KEY SHARE) be written meanwhile.
	LockNoKeyUpdate = "NO KEY UPDATE"
	// LockKeyShare keeps the row from being deleted or re-keyed while a
	// row referring to it is written.
	LockKeyShare = "KEY SHARE"
)

// LockRow loads the store's row id of dest's table with a row lock of the
// given strength, or returns NOT_FOUND naming what ("product").
func LockRow(tx *gorm.DB, dest any, storeID, id int64, strength, what string) error {
	res := tx.Clauses(clause.Locking{Strength: strength}).Where("store_id = ? AND id = ?", storeID, id).Limit(1).Find(dest)
	if res.Error != nil {
		return fmt.Errorf("load %s %d: %w", what, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return apperr.New(apperr.NotFound, "no %s with ID %d", what, id)
	}
	return nil
}
