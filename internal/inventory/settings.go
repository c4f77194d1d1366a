package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/models"
)

// SettingsLine changes the settings of one variant's item at a location;
// nil fields keep their values.
type SettingsLine struct {
	Variant            VariantRef
	SafetyStock        *int
	WarningLevel       *int
	BackorderLimit     *int
	BackorderThreshold *int
	BinPickingNumber   *string
	IsInStock          *bool
	TrackingMode       *models.TrackingMode
	PreorderEnabled    *bool
	PreorderLimit      *int
	PreorderThreshold  *int
	PreorderMessage    *string
	AvailabilityDate   *time.Time
	ExpectedRevision   *int64
}

// SettingsChange changes the settings of many items at one location
// (BigCommerce's "update inventory at a location").
type SettingsChange struct {
	LocationID int64
	Lines      []SettingsLine
	Policy     ErrorPolicy
	DryRun     bool
}

// UpdateSettings changes item settings in one transaction and returns the
// items, all of them or (with an error) none.
func UpdateSettings(ctx context.Context, db *gorm.DB, actor Actor, c SettingsChange) ([]models.InventoryItem, error) {
	c.Policy = RejectEverything
	res, err := UpdateSettingsBatch(ctx, db, actor, c)
	return res.Items, err
}

// UpdateSettingsBatch changes item settings in one transaction: all of
// them, or with RejectFailedRows the lines that pass, each line with its
// result; a dry run writes nothing. Items that do not exist yet are
// created. Backorder values need backorders switched on for the store,
// preorder values preorders, as Oracle requires.
func UpdateSettingsBatch(ctx context.Context, db *gorm.DB, actor Actor, c SettingsChange) (ChangeResult, error) {
	if err := validateBatch(len(c.Lines), c.Policy); err != nil {
		return ChangeResult{}, err
	}
	res, _, err := runBatch(ctx, db, actor.Store.ID, "", "updateInventorySettings", c, c.DryRun, func(tx *gorm.DB) (ChangeResult, error) {
		return updateSettings(ctx, tx, actor, c)
	})
	res.DryRun = c.DryRun
	return res, err
}

func updateSettings(ctx context.Context, tx *gorm.DB, actor Actor, c SettingsChange) (ChangeResult, error) {
	var errs lineErrors
	refs := make([]VariantRef, len(c.Lines))
	for i, l := range c.Lines {
		refs[i] = l.Variant
	}
	r, err := resolve(ctx, tx, actor.Store.ID, refs, "settings.variantId", &errs)
	if err != nil {
		return ChangeResult{}, err
	}
	for i, l := range c.Lines {
		if err := l.checkSwitches(i, r.store); err != nil {
			errs.add(i, err)
		}
	}
	keys := lineKeys(c.Lines, r, &errs, func(SettingsLine) int64 { return c.LocationID })
	locked, err := lockItems(ctx, tx, actor.Store.ID, okKeys(keys, &errs))
	if err != nil {
		return ChangeResult{}, err
	}
	changed := make([]models.InventoryItem, len(c.Lines))
	for i, l := range c.Lines {
		if errs.failed(i) {
			continue
		}
		it := locked[keys[i]]
		if l.ExpectedRevision != nil && *l.ExpectedRevision != it.Revision {
			errs.add(i, revisionConflict(i, it, *l.ExpectedRevision))
			continue
		}
		var lineErr *apperr.Error
		if changed[i], lineErr = l.apply(i, it); lineErr != nil {
			errs.add(i, lineErr)
		}
	}
	if c.Policy != RejectFailedRows && errs.any() {
		return ChangeResult{}, errs.list().Err()
	}
	var passed []models.InventoryItem
	for i := range c.Lines {
		if !errs.failed(i) {
			passed = append(passed, changed[i])
		}
	}
	written, err := writeSettings(ctx, tx, actor.Store.ID, passed)
	if err != nil {
		return ChangeResult{}, err
	}
	res := ChangeResult{Items: written}
	next := 0 // written holds the passed lines' items in line order
	for i := range c.Lines {
		if errs.failed(i) {
			res.Lines = append(res.Lines, LineResult{Index: i, Error: errs.byLine[i]})
			continue
		}
		res.Lines = append(res.Lines, LineResult{Index: i, Item: &res.Items[next]})
		next++
	}
	return res, nil
}

// checkSwitches refuses backorder and preorder values the store has
// switched off. Turning them off, or to zero, is always allowed.
func (l SettingsLine) checkSwitches(i int, store models.Store) *apperr.Error {
	backorder := positive(l.BackorderLimit) || positive(l.BackorderThreshold)
	preorder := (l.PreorderEnabled != nil && *l.PreorderEnabled) || positive(l.PreorderLimit) || positive(l.PreorderThreshold) || l.AvailabilityDate != nil
	switch {
	case backorder && !store.BackordersEnabled:
		return apperr.New(apperr.FeatureDisabled, "item %d: backorders are switched off for this store; switch them on with updateInventoryConfiguration before setting backorder values", i).WithField("settings.backorderLimit")
	case preorder && !store.PreordersEnabled:
		return apperr.New(apperr.FeatureDisabled, "item %d: preorders are switched off for this store; switch them on with updateInventoryConfiguration before setting preorder values", i).WithField("settings.preorderEnabled")
	}
	return nil
}

func positive(p *int) bool { return p != nil && *p > 0 }

// apply validates the line's values and returns the item with them.
func (l SettingsLine) apply(i int, it models.InventoryItem) (models.InventoryItem, *apperr.Error) {
	for _, v := range []struct {
		name  string
		value *int
		dst   *int
	}{
		{"safetyStock", l.SafetyStock, &it.SafetyStock},
		{"warningLevel", l.WarningLevel, &it.WarningLevel},
		{"backorderLimit", l.BackorderLimit, &it.BackorderLimit},
		{"backorderThreshold", l.BackorderThreshold, &it.BackorderThreshold},
		{"preorderLimit", l.PreorderLimit, &it.PreorderLimit},
		{"preorderThreshold", l.PreorderThreshold, &it.PreorderThreshold},
	} {
		if v.value == nil {
			continue
		}
		if *v.value < 0 || *v.value > MaxLevel {
			return it, apperr.New(apperr.BadUserInput, "item %d: %s must be between 0 and %d, got %d", i, v.name, MaxLevel, *v.value).WithField("settings." + v.name)
		}
		*v.dst = *v.value
	}
	if l.BinPickingNumber != nil {
		if err := checkText("binPickingNumber", *l.BinPickingNumber, maxShortText); err != nil {
			return it, err
		}
		it.BinPickingNumber = *l.BinPickingNumber
	}
	if l.PreorderMessage != nil {
		if err := checkText("preorderMessage", *l.PreorderMessage, maxMessage); err != nil {
			return it, err
		}
		it.PreorderMessage = *l.PreorderMessage
	}
	if l.IsInStock != nil {
		it.IsInStock = *l.IsInStock
	}
	if l.PreorderEnabled != nil {
		it.PreorderEnabled = *l.PreorderEnabled
	}
	if l.AvailabilityDate != nil {
		it.AvailabilityDate = l.AvailabilityDate
	}
	if l.TrackingMode != nil {
		if err := validTracking(*l.TrackingMode); err != nil {
			return it, err.WithIndex(i)
		}
		it.TrackingMode = *l.TrackingMode
	}
	if it.TrackingMode == models.TrackStatus && (it.PreorderLimit > 0 || it.PreorderThreshold > 0) {
		return it, apperr.New(apperr.BadUserInput, "item %d: an item tracked by status has no quantities, so no preorder limit or threshold (Wix)", i).WithField("settings.preorderLimit")
	}
	return it, nil
}

func validTracking(m models.TrackingMode) *apperr.Error {
	switch m {
	case models.TrackQuantity, models.TrackStatus, models.TrackUntracked:
		return nil
	}
	return apperr.New(apperr.BadUserInput, "unknown tracking mode %q", m).WithField("settings.trackingMode")
}

// writeSettings stores the items' settings in one statement, passing the
// rows as one JSON parameter, and bumps their revisions.
func writeSettings(ctx context.Context, tx *gorm.DB, storeID int64, items []models.InventoryItem) ([]models.InventoryItem, error) {
	if len(items) == 0 {
		return nil, nil
	}
	type row struct {
		ID                 int64      `json:"id"`
		SafetyStock        int        `json:"safety_stock"`
		WarningLevel       int        `json:"warning_level"`
		BackorderLimit     int        `json:"backorder_limit"`
		BackorderThreshold int        `json:"backorder_threshold"`
		BinPickingNumber   string     `json:"bin_picking_number"`
		IsInStock          bool       `json:"is_in_stock"`
		TrackingMode       string     `json:"tracking_mode"`
		PreorderEnabled    bool       `json:"preorder_enabled"`
		PreorderLimit      int        `json:"preorder_limit"`
		PreorderThreshold  int        `json:"preorder_threshold"`
		PreorderMessage    string     `json:"preorder_message"`
		AvailabilityDate   *time.Time `json:"availability_date"`
	}
	rows := make([]row, len(items))
	for i, it := range items {
		rows[i] = row{it.ID, it.SafetyStock, it.WarningLevel, it.BackorderLimit, it.BackorderThreshold, it.BinPickingNumber,
			it.IsInStock, string(it.TrackingMode), it.PreorderEnabled, it.PreorderLimit, it.PreorderThreshold, it.PreorderMessage, it.AvailabilityDate}
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	var out []models.InventoryItem
	err = tx.WithContext(ctx).Raw(`
		UPDATE inventory_items i SET
			safety_stock = d.safety_stock, warning_level = d.warning_level, backorder_limit = d.backorder_limit,
			backorder_threshold = d.backorder_threshold, bin_picking_number = d.bin_picking_number, is_in_stock = d.is_in_stock,
			tracking_mode = d.tracking_mode, preorder_enabled = d.preorder_enabled, preorder_limit = d.preorder_limit,
			preorder_threshold = d.preorder_threshold, preorder_message = d.preorder_message, availability_date = d.availability_date,
			revision = i.revision + 1, updated_at = now()
		FROM jsonb_to_recordset(?::jsonb) AS d(id bigint, safety_stock int, warning_level int, backorder_limit int,
			backorder_threshold int, bin_picking_number text, is_in_stock boolean, tracking_mode text, preorder_enabled boolean,
			preorder_limit int, preorder_threshold int, preorder_message text, availability_date timestamptz)
		WHERE i.store_id = ? AND i.id = d.id
		RETURNING i.*`, string(payload), storeID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("update settings: %w", err)
	}
	byID := map[int64]models.InventoryItem{}
	for _, it := range out {
		byID[it.ID] = it
	}
	for i, it := range items { // line order
		items[i] = byID[it.ID]
	}
	return items, nil
}

// ConfigurationPatch changes the store's switches that are not nil.
type ConfigurationPatch struct {
	BackordersEnabled  *bool
	PreordersEnabled   *bool
	AllowNegativeStock *bool
}

// UpdateConfiguration changes the store's inventory switches.
func UpdateConfiguration(ctx context.Context, db *gorm.DB, storeID int64, p ConfigurationPatch) (models.Store, error) {
	updates := map[string]any{"updated_at": time.Now().UTC()}
	if p.BackordersEnabled != nil {
		updates["backorders_enabled"] = *p.BackordersEnabled
	}
	if p.PreordersEnabled != nil {
		updates["preorders_enabled"] = *p.PreordersEnabled
	}
	if p.AllowNegativeStock != nil {
		updates["allow_negative_stock"] = *p.AllowNegativeStock
	}
	var store models.Store
	err := db.WithContext(ctx).Model(&models.Store{ID: storeID}).Updates(updates).Error
	if err == nil {
		err = db.WithContext(ctx).Take(&store, storeID).Error
	}
	if err != nil {
		return store, fmt.Errorf("update inventory configuration: %w", err)
	}
	return store, nil
}

// Tracking changes how the items of some variants are counted (Zettle's
// START_TRACKING and STOP_TRACKING, for products or variants in bulk).
type Tracking struct {
	ProductIDs []int64
	VariantIDs []int64
	Mode       models.TrackingMode
}

// SetTracking sets the tracking mode of every item of the named products'
// variants and of the named variants, and returns how many items changed.
func SetTracking(ctx context.Context, db *gorm.DB, storeID int64, t Tracking) (int64, error) {
	if err := validTracking(t.Mode); err != nil {
		return 0, err
	}
	if t.Mode == models.TrackStatus {
		// Status tracking has rules of its own (no preorder limits) that
		// are checked item by item: updateInventorySettings does that.
		return 0, apperr.New(apperr.BadUserInput, "start tracking with QUANTITY or stop it with UNTRACKED; to track by in-stock status, set trackingMode STATUS with updateInventorySettings").WithField("trackingMode")
	}
	if len(t.ProductIDs)+len(t.VariantIDs) == 0 {
		return 0, apperr.New(apperr.BadUserInput, "name at least one product or variant").WithField("productIds")
	}
	if len(t.ProductIDs)+len(t.VariantIDs) > MaxBatch {
		return 0, apperr.New(apperr.BadUserInput, "at most %d products and variants per request", MaxBatch).WithField("productIds")
	}
	var changed int64
	err := database.RetryTx(ctx, db, 5, func(tx *gorm.DB) error {
		// Lock in ID order first, as every stock write does.
		res := tx.WithContext(ctx).Exec(`
			UPDATE inventory_items SET tracking_mode = ?, revision = revision + 1, updated_at = now()
			WHERE store_id = ? AND id IN (
				SELECT id FROM inventory_items
				WHERE store_id = ? AND tracking_mode <> ? AND (variant_id = ANY(?::bigint[])
					OR variant_id IN (SELECT id FROM variants WHERE store_id = ? AND product_id = ANY(?::bigint[])))
				ORDER BY id FOR UPDATE)`,
			t.Mode, storeID, storeID, t.Mode, database.Int64s(t.VariantIDs), storeID, database.Int64s(t.ProductIDs))
		changed = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("set tracking: %w", err)
	}
	return changed, nil
}
