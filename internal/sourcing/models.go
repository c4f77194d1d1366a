// Package sourcing owns inventory models and stock levels (Commerce
// Layer): which of a store's physical locations an order may ship from,
// in which order (priority, highest first) and whether shipments from a
// location are held. Orders will allocate through it later. Functions take
// a context, a *gorm.DB and plain values; they know nothing of GraphQL.
package sourcing

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/models"
)

// Limits on the text fields, as for the catalog's.
const (
	maxNameLen      = 255
	maxReferenceLen = 255
)

// ModelPatch sets the inventory model fields that are not nil. On create a
// name is required.
type ModelPatch struct {
	Name      *string
	Reference *string
	Metadata  *models.JSONObject
	// IsDefault true makes this model the store's default, taking the
	// flag from the previous one. False alone cannot unset it: a store
	// always has a default.
	IsDefault *bool
}

// CreateInventoryModel adds an inventory model to the store.
func CreateInventoryModel(ctx context.Context, db *gorm.DB, storeID int64, p ModelPatch) (models.InventoryModel, error) {
	m := models.InventoryModel{StoreID: storeID, Metadata: models.JSONObject{}}
	if p.IsDefault != nil && !*p.IsDefault {
		p.IsDefault = nil // a new model is not the default unless asked
	}
	applyModel(&m, p)
	if err := validateModel(m); err != nil {
		return m, err
	}
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if m.IsDefault {
			if err := takeDefault(tx, storeID, 0); err != nil {
				return err
			}
		}
		if err := tx.Create(&m).Error; err != nil {
			return modelWriteError(err, m.Name)
		}
		return nil
	})
	return m, err
}

// UpdateInventoryModel changes an inventory model's fields.
func UpdateInventoryModel(ctx context.Context, db *gorm.DB, storeID, id int64, p ModelPatch) (models.InventoryModel, error) {
	var m models.InventoryModel
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, &m, storeID, id, database.LockNoKeyUpdate, "inventory model"); err != nil {
			return err
		}
		if p.IsDefault != nil && !*p.IsDefault && m.IsDefault {
			return apperr.New(apperr.BadUserInput,
				"inventory model %q is the store's default; make another model the default instead", m.Name).WithField("isDefault")
		}
		becomesDefault := p.IsDefault != nil && *p.IsDefault && !m.IsDefault
		applyModel(&m, p)
		if err := validateModel(m); err != nil {
			return err
		}
		if becomesDefault {
			if err := takeDefault(tx, storeID, id); err != nil {
				return err
			}
		}
		if err := tx.Select("name", "reference", "metadata", "is_default", "updated_at").Save(&m).Error; err != nil {
			return modelWriteError(err, m.Name)
		}
		return nil
	})
	return m, err
}

// DeleteInventoryModel deletes an inventory model and its stock levels.
// The store's default cannot be deleted: orders that name no model need it.
func DeleteInventoryModel(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return database.Tx(ctx, db, func(tx *gorm.DB) error {
		var m models.InventoryModel
		if err := database.LockRow(tx, &m, storeID, id, database.LockNoKeyUpdate, "inventory model"); err != nil {
			return err
		}
		if m.IsDefault {
			return apperr.New(apperr.Conflict,
				"inventory model %q is the store's default; make another model the default before deleting it", m.Name)
		}
		if err := tx.Delete(&m).Error; err != nil {
			return fmt.Errorf("delete inventory model %d: %w", id, err)
		}
		return nil
	})
}

// takeDefault clears the store's default flag (but on model keep) so that
// another model can take it. It first locks the store's row: two moves of
// the flag at once would otherwise both clear the old default and clash on
// the one-default index.
func takeDefault(tx *gorm.DB, storeID, keep int64) error {
	if err := tx.Exec(`SELECT 1 FROM stores WHERE id = ? FOR NO KEY UPDATE`, storeID).Error; err != nil {
		return fmt.Errorf("lock store %d: %w", storeID, err)
	}
	if err := database.SetActor(tx); err != nil { // the audit log names who moved the flag
		return err
	}
	err := tx.Exec(`UPDATE inventory_models SET is_default = false, updated_at = now()
		WHERE store_id = ? AND is_default AND id <> ?`, storeID, keep).Error
	if err != nil {
		return fmt.Errorf("clear the default inventory model: %w", err)
	}
	return nil
}

func applyModel(m *models.InventoryModel, p ModelPatch) {
	if p.Name != nil {
		m.Name = strings.TrimSpace(*p.Name)
	}
	if p.Reference != nil {
		m.Reference = strings.TrimSpace(*p.Reference)
	}
	if p.Metadata != nil {
		m.Metadata = *p.Metadata
	}
	if p.IsDefault != nil {
		m.IsDefault = *p.IsDefault
	}
}

func validateModel(m models.InventoryModel) error {
	switch {
	case m.Name == "":
		return apperr.New(apperr.BadUserInput, "an inventory model needs a name").WithField("name")
	case len(m.Name) > maxNameLen:
		return apperr.New(apperr.BadUserInput, "an inventory model name has at most %d characters", maxNameLen).WithField("name")
	case len(m.Reference) > maxReferenceLen:
		return apperr.New(apperr.BadUserInput, "a reference has at most %d characters", maxReferenceLen).WithField("reference")
	}
	return nil
}

func modelWriteError(err error, name string) error {
	if database.IsUniqueViolation(err, "inventory_models_store_id_name_key") {
		return apperr.New(apperr.Conflict, "another inventory model is already named %q", name).WithField("name")
	}
	return fmt.Errorf("save inventory model %q: %w", name, err)
}

// InventoryModelsByIDs returns the store's inventory models with the given
// IDs, keyed by ID.
func InventoryModelsByIDs(ctx context.Context, db *gorm.DB, storeID int64, ids []int64) (map[int64]models.InventoryModel, error) {
	var rows []models.InventoryModel
	if err := db.WithContext(ctx).Where("store_id = ? AND id = ANY(?)", storeID, database.Int64s(ids)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load inventory models: %w", err)
	}
	out := make(map[int64]models.InventoryModel, len(rows))
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}

// InventoryModelByID returns one of the store's inventory models, or
// NOT_FOUND.
func InventoryModelByID(ctx context.Context, db *gorm.DB, storeID, id int64) (models.InventoryModel, error) {
	found, err := InventoryModelsByIDs(ctx, db, storeID, []int64{id})
	if err != nil {
		return models.InventoryModel{}, err
	}
	m, ok := found[id]
	if !ok {
		return m, apperr.New(apperr.NotFound, "no inventory model with ID %d", id)
	}
	return m, nil
}

// StockLevelByID returns one of the store's stock levels, or NOT_FOUND.
func StockLevelByID(ctx context.Context, db *gorm.DB, storeID, id int64) (models.StockLevel, error) {
	var rows []models.StockLevel
	if err := db.WithContext(ctx).Where("store_id = ? AND id = ?", storeID, id).Limit(1).Find(&rows).Error; err != nil {
		return models.StockLevel{}, fmt.Errorf("load stock level %d: %w", id, err)
	}
	if len(rows) == 0 {
		return models.StockLevel{}, apperr.New(apperr.NotFound, "no stock level with ID %d", id)
	}
	return rows[0], nil
}
