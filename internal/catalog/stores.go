package catalog

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/models"
)

// EnsureStore returns the store with the handle, creating it when missing.
func EnsureStore(tx *gorm.DB, handle string) (models.Store, bool, error) {
	var store models.Store
	res := tx.Raw(`INSERT INTO stores (handle, name) VALUES (?, ?) ON CONFLICT (handle) DO NOTHING RETURNING *`,
		handle, storeName(handle)).Scan(&store)
	if res.Error != nil {
		return store, false, fmt.Errorf("create store %q: %w", handle, res.Error)
	}
	if res.RowsAffected == 1 {
		if err := EnsureVirtualLocations(tx, store.ID); err != nil {
			return store, true, err
		}
		return store, true, ensureDefaultInventoryModel(tx, store.ID)
	}
	if err := tx.Where("handle = ?", handle).Take(&store).Error; err != nil {
		return store, false, fmt.Errorf("load store %q: %w", handle, err)
	}
	return store, false, nil
}

func storeName(handle string) string {
	words := strings.Fields(strings.ReplaceAll(handle, "-", " "))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// StoreByHandle returns the store with the handle.
func StoreByHandle(tx *gorm.DB, handle string) (models.Store, error) {
	var stores []models.Store
	if err := tx.Where("handle = ?", handle).Limit(1).Find(&stores).Error; err != nil {
		return models.Store{}, fmt.Errorf("load store %q: %w", handle, err)
	}
	if len(stores) == 0 {
		return models.Store{}, apperr.New(apperr.NotFound, "no store with handle %q (`stockgraph seed --store %s` creates it)", handle, handle)
	}
	return stores[0], nil
}

// StoreByID returns the store with the ID: a token's store, which
// exists as long as the token does (a deleted store is NOT_FOUND).
func StoreByID(ctx context.Context, db *gorm.DB, id int64) (models.Store, error) {
	var stores []models.Store
	if err := db.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&stores).Error; err != nil {
		return models.Store{}, fmt.Errorf("load store %d: %w", id, err)
	}
	if len(stores) == 0 {
		return models.Store{}, apperr.New(apperr.NotFound, "no store with ID %d", id)
	}
	return stores[0], nil
}

// The virtual locations every store has: the far ends of adjustments.
// Their codes are reserved.
var virtualLocations = []models.Location{
	{Code: "SUPPLIER", Name: "Supplier", Type: models.LocationSupplier},
	{Code: "SOLD", Name: "Sold", Type: models.LocationSold},
	{Code: "BIN", Name: "Shrinkage bin", Type: models.LocationBin},
}

// EnsureVirtualLocations creates the store's virtual locations when missing.
func EnsureVirtualLocations(tx *gorm.DB, storeID int64) error {
	for _, v := range virtualLocations {
		err := tx.Exec(`INSERT INTO locations (store_id, code, name, type, priority) VALUES (?, ?, ?, ?, -1000)
			ON CONFLICT (store_id, code) DO NOTHING`, storeID, v.Code, v.Name, v.Type).Error
		if err != nil {
			return fmt.Errorf("create virtual location %s: %w", v.Code, err)
		}
	}
	return nil
}

// ensureDefaultInventoryModel gives a new store its default inventory
// model, the one orders use when they name none (migration 00007 did the
// same for the stores that existed before).
func ensureDefaultInventoryModel(tx *gorm.DB, storeID int64) error {
	err := tx.Exec(`INSERT INTO inventory_models (store_id, name, is_default) VALUES (?, 'Default', true)
		ON CONFLICT DO NOTHING`, storeID).Error
	if err != nil {
		return fmt.Errorf("create default inventory model: %w", err)
	}
	return nil
}
