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

// LevelPatch sets the stock level fields that are not nil.
type LevelPatch struct {
	Priority  *int
	OnHold    *bool
	Reference *string
	Metadata  *models.JSONObject
}

// CreateStockLevel puts a physical location in an inventory model. A
// location is in a model at most once.
func CreateStockLevel(ctx context.Context, db *gorm.DB, storeID, modelID, locationID int64, p LevelPatch) (models.StockLevel, error) {
	l := models.StockLevel{StoreID: storeID, InventoryModelID: modelID, LocationID: locationID, Metadata: models.JSONObject{}}
	applyLevel(&l, p)
	if len(l.Reference) > maxReferenceLen {
		return l, apperr.New(apperr.BadUserInput, "a reference has at most %d characters", maxReferenceLen).WithField("reference")
	}
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		// Share locks keep the model and location from going away
		// before the insert (the foreign keys would, with a worse message).
		var m models.InventoryModel
		if err := takeRow(tx, &m, storeID, modelID, "inventory model", "inventoryModelId"); err != nil {
			return err
		}
		var loc models.Location
		if err := takeRow(tx, &loc, storeID, locationID, "location", "locationId"); err != nil {
			return err
		}
		if !loc.Type.IsPhysical() {
			return apperr.New(apperr.BadUserInput,
				"location %q is virtual (%s); only physical locations ship orders", loc.Code, loc.Type).WithField("locationId")
		}
		if err := tx.Create(&l).Error; err != nil {
			if database.IsUniqueViolation(err, "stock_levels_store_id_inventory_model_id_location_id_key") {
				return apperr.New(apperr.Conflict, "location %q is already in inventory model %q", loc.Code, m.Name).WithField("locationId")
			}
			return fmt.Errorf("create stock level: %w", err)
		}
		return nil
	})
	return l, err
}

// UpdateStockLevel changes a stock level's priority, hold, reference or
// metadata; its model and location are fixed (delete and create instead).
func UpdateStockLevel(ctx context.Context, db *gorm.DB, storeID, id int64, p LevelPatch) (models.StockLevel, error) {
	var l models.StockLevel
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, &l, storeID, id, database.LockNoKeyUpdate, "stock level"); err != nil {
			return err
		}
		applyLevel(&l, p)
		if len(l.Reference) > maxReferenceLen {
			return apperr.New(apperr.BadUserInput, "a reference has at most %d characters", maxReferenceLen).WithField("reference")
		}
		if err := tx.Select("priority", "on_hold", "reference", "metadata", "updated_at").Save(&l).Error; err != nil {
			return fmt.Errorf("update stock level %d: %w", id, err)
		}
		return nil
	})
	return l, err
}

// DeleteStockLevel takes a location out of an inventory model.
func DeleteStockLevel(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return database.Tx(ctx, db, func(tx *gorm.DB) error {
		res := tx.Where("store_id = ? AND id = ?", storeID, id).Delete(&models.StockLevel{})
		if res.Error != nil {
			return fmt.Errorf("delete stock level %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "no stock level with ID %d", id)
		}
		return nil
	})
}

func applyLevel(l *models.StockLevel, p LevelPatch) {
	if p.Priority != nil {
		l.Priority = *p.Priority
	}
	if p.OnHold != nil {
		l.OnHold = *p.OnHold
	}
	if p.Reference != nil {
		l.Reference = strings.TrimSpace(*p.Reference)
	}
	if p.Metadata != nil {
		l.Metadata = *p.Metadata
	}
}

// takeRow loads a row with a key-share lock (it may not be deleted while
// a stock level refers to it), or returns NOT_FOUND naming what and the
// input field that named it.
func takeRow(tx *gorm.DB, dest any, storeID, id int64, what, field string) error {
	err := database.LockRow(tx, dest, storeID, id, database.LockKeyShare, what)
	if e, ok := apperr.As(err); ok {
		return e.WithField(field)
	}
	return err
}
