package inventory

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/models"
)

// MaxMetadataBytes is the largest metadata an item keeps, as JSON: it is
// stored whole on the item's row and read back with it. The API refuses
// larger ones before they reach here (api.MaxMetadataBytes, the same).
const MaxMetadataBytes = 16 << 10

// ItemPatch changes an item's own identifiers (Wix's update inventory
// item; Commerce Layer's reference and metadata); nil fields keep their
// values.
type ItemPatch struct {
	ItemID           int64
	ExpectedRevision *int64
	Reference        *string
	// Metadata replaces the item's whole metadata.
	Metadata models.JSONObject
}

// UpdateItem changes an item's reference and metadata in one
// transaction, under the same revision rule as every item write
// (checkRevision), and records the change as settings changes are
// recorded (an event in the same transaction). It returns the item as
// stored, at its next revision.
func UpdateItem(ctx context.Context, db *gorm.DB, actor Actor, p ItemPatch) (models.InventoryItem, error) {
	if err := p.validate(); err != nil {
		return models.InventoryItem{}, err
	}
	it, _, err := runBatch(ctx, db, actor.Store.ID, "", "updateInventoryItem", p, false, func(tx *gorm.DB) (models.InventoryItem, error) {
		return updateItem(ctx, tx, actor, p)
	})
	return it, err
}

func (p ItemPatch) validate() error {
	if p.Reference == nil && p.Metadata == nil {
		return apperr.New(apperr.BadUserInput, "changes nothing; give reference, metadata or both").WithField("reference")
	}
	if p.Reference != nil {
		if err := checkText("reference", *p.Reference, maxShortText); err != nil {
			return err
		}
	}
	if p.Metadata != nil {
		b, err := json.Marshal(p.Metadata)
		if err != nil {
			return apperr.New(apperr.BadUserInput, "metadata is not JSON: %v", err).WithField("metadata")
		}
		if len(b) > MaxMetadataBytes {
			return apperr.New(apperr.BadUserInput, "metadata is %d bytes as JSON; at most %d", len(b), MaxMetadataBytes).WithField("metadata")
		}
	}
	return nil
}

// updateItem locks the item the way every write does (the store's
// settings read first, then the item by its variant and location) and
// writes the patch. The item's variant and location never change, so
// reading them unlocked first is safe.
func updateItem(ctx context.Context, tx *gorm.DB, actor Actor, p ItemPatch) (models.InventoryItem, error) {
	var keys []ItemKey
	if err := tx.WithContext(ctx).Raw(`SELECT variant_id, location_id FROM inventory_items WHERE store_id = ? AND id = ?`,
		actor.Store.ID, p.ItemID).Scan(&keys).Error; err != nil {
		return models.InventoryItem{}, fmt.Errorf("read inventory item %d: %w", p.ItemID, err)
	}
	notFound := apperr.New(apperr.NotFound, "no inventory item with ID %d", p.ItemID).WithField("id")
	if len(keys) == 0 {
		return models.InventoryItem{}, notFound
	}
	b := newBatch(ctx, tx, actor, stockingInput)
	if err := b.resolve([]VariantRef{{VariantID: keys[0].VariantID}}); err != nil {
		return models.InventoryItem{}, err
	}
	locked, err := lockExisting(ctx, tx, actor.Store.ID, keys)
	if err != nil {
		return models.InventoryItem{}, err
	}
	it, ok := locked[keys[0]]
	if !ok { // deleted with its location or variant meanwhile
		return models.InventoryItem{}, notFound
	}
	b.locked = locked
	if err := checkRevision(line{stockingInput, -1}, it, p.ExpectedRevision, b.actor.Store, false); err != nil {
		return models.InventoryItem{}, err
	}
	if p.Reference != nil {
		it.Reference = *p.Reference
	}
	if p.Metadata != nil {
		it.Metadata = p.Metadata
	}
	it.Revision++
	written, err := writeItems(ctx, tx, actor.Store.ID, []models.InventoryItem{it})
	if err != nil {
		return models.InventoryItem{}, err
	}
	if err := b.recordEvents(changesOf(b.locked, written), nil, changeMeta{reason: "item", reference: it.Reference}); err != nil {
		return models.InventoryItem{}, err
	}
	return written[0], nil
}
