package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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
	if err := validateBatch(settingsInput, len(c.Lines), c.Policy); err != nil {
		return ChangeResult{}, err
	}
	res, _, err := runBatch(ctx, db, actor.Store.ID, "", "updateInventorySettings", c, c.DryRun, func(tx *gorm.DB) (ChangeResult, error) {
		return updateSettings(ctx, tx, actor, c)
	})
	res.DryRun = c.DryRun
	return res, err
}

func updateSettings(ctx context.Context, tx *gorm.DB, actor Actor, c SettingsChange) (ChangeResult, error) {
	b := newBatch(ctx, tx, actor, settingsInput)
	refs := make([]VariantRef, len(c.Lines))
	for i, l := range c.Lines {
		refs[i] = l.Variant
	}
	if err := b.resolve(refs); err != nil {
		return ChangeResult{}, err
	}
	// The location is the input's, not a line's: a bad one fails it whole.
	locID, locErr := b.locationOr(line{stockingInput, -1}, c.LocationID)
	if locErr == nil {
		locErr = b.stockHeldAt(line{stockingInput, -1}, locID, "locationId")
	}
	if locErr != nil {
		return ChangeResult{}, locErr
	}
	for i, l := range c.Lines {
		b.fail(i, l.checkSwitches(b.at(i), b.actor.Store))
	}
	b.keyLines(len(c.Lines), func(int) int64 { return locID })
	if err := b.lockLines(); err != nil {
		return ChangeResult{}, err
	}
	changed := map[ItemKey]models.InventoryItem{}
	for i, l := range c.Lines {
		if b.errs.failed(i) {
			continue
		}
		it, lineErr := l.update(b.at(i), b.lockedAt(i), b.actor.Store, b.created[b.keys[i]])
		b.fail(i, lineErr)
		changed[b.keys[i]] = it
	}
	if err := b.rejected(c.Policy); err != nil {
		return ChangeResult{}, err
	}
	written, err := writeItems(ctx, tx, actor.Store.ID, b.passed(changed))
	if err != nil {
		return ChangeResult{}, err
	}
	for _, it := range written {
		changed[ItemKey{it.VariantID, it.LocationID}] = it
	}
	if err := b.recordEvents(changesOf(b.locked, written), nil, changeMeta{reason: "settings"}); err != nil {
		return ChangeResult{}, err
	}
	return b.results(changed), nil
}

// update checks the line against its locked item (created says this
// write created it) and returns the item with the line's settings and
// its next revision.
func (l SettingsLine) update(at line, it models.InventoryItem, store models.Store, created bool) (models.InventoryItem, *apperr.Error) {
	if err := checkRevision(at, it, l.ExpectedRevision, store, created); err != nil {
		return it, err
	}
	it, err := l.apply(at, it)
	it.Revision++
	return it, err
}

// checkSwitches refuses backorder and preorder values the store has
// switched off. Turning them off, or to zero, is always allowed.
func (l SettingsLine) checkSwitches(at line, store models.Store) *apperr.Error {
	backorder := positive(l.BackorderLimit) || positive(l.BackorderThreshold)
	preorder := (l.PreorderEnabled != nil && *l.PreorderEnabled) || positive(l.PreorderLimit) || positive(l.PreorderThreshold) || l.AvailabilityDate != nil
	switch {
	case backorder && !store.BackordersEnabled:
		return at.errorf(apperr.FeatureDisabled, "backorderLimit", "backorders are switched off for this store; switch them on with updateInventoryConfiguration before setting backorder values")
	case preorder && !store.PreordersEnabled:
		return at.errorf(apperr.FeatureDisabled, "preorder.enabled", "preorders are switched off for this store; switch them on with updateInventoryConfiguration before setting preorder values")
	}
	return nil
}

func positive(p *int) bool { return p != nil && *p > 0 }

// apply validates the line's values and returns the item with them.
func (l SettingsLine) apply(at line, it models.InventoryItem) (models.InventoryItem, *apperr.Error) {
	if err := l.applyLevels(at, &it); err != nil {
		return it, err
	}
	if err := l.applyTexts(at, &it); err != nil {
		return it, err
	}
	if l.PreorderEnabled != nil {
		it.PreorderEnabled = *l.PreorderEnabled
	}
	if l.AvailabilityDate != nil {
		it.AvailabilityDate = l.AvailabilityDate
	}
	if err := l.applyTracking(at, &it); err != nil {
		return it, err
	}
	if it.TrackingMode == models.TrackStatus && (it.PreorderLimit > 0 || it.PreorderThreshold > 0) {
		return it, at.errorf(apperr.BadUserInput, "preorder.limit", "an item tracked by status has no quantities, so no preorder limit or threshold (Wix)")
	}
	return it, nil
}

// applyLevels sets the line's numeric settings, each within 0 to MaxLevel.
func (l SettingsLine) applyLevels(at line, it *models.InventoryItem) *apperr.Error {
	for _, v := range []struct {
		field string
		value *int
		dst   *int
	}{
		{"safetyStock", l.SafetyStock, &it.SafetyStock},
		{"warningLevel", l.WarningLevel, &it.WarningLevel},
		{"backorderLimit", l.BackorderLimit, &it.BackorderLimit},
		{"backorderThreshold", l.BackorderThreshold, &it.BackorderThreshold},
		{"preorder.limit", l.PreorderLimit, &it.PreorderLimit},
		{"preorder.threshold", l.PreorderThreshold, &it.PreorderThreshold},
	} {
		if v.value == nil {
			continue
		}
		if *v.value < 0 || *v.value > MaxLevel {
			return at.errorf(apperr.BadUserInput, v.field, "%s must be between 0 and %d, got %d", v.field, MaxLevel, *v.value)
		}
		*v.dst = *v.value
	}
	return nil
}

// applyTexts sets the line's free texts, each within its limit.
func (l SettingsLine) applyTexts(at line, it *models.InventoryItem) *apperr.Error {
	for _, v := range []struct {
		field string
		value *string
		max   int
		dst   *string
	}{
		{"binPickingNumber", l.BinPickingNumber, maxShortText, &it.BinPickingNumber},
		{"preorder.message", l.PreorderMessage, maxMessage, &it.PreorderMessage},
	} {
		if v.value == nil {
			continue
		}
		if err := checkText(v.field, *v.value, v.max); err != nil {
			return at.errorf(err.Code, v.field, "%s", err.Message)
		}
		*v.dst = *v.value
	}
	return nil
}

// applyTracking sets the tracking mode and the in-stock status. Only an
// item tracked by STATUS has a status of its own: its availability
// follows it. The others are in stock by their quantities (QUANTITY) or
// always (UNTRACKED), so isInStock false is refused on them rather than
// stored where nothing reads it, and leaving STATUS sets it back to true.
func (l SettingsLine) applyTracking(at line, it *models.InventoryItem) *apperr.Error {
	if l.TrackingMode != nil {
		if err := validTracking(*l.TrackingMode); err != nil {
			return at.errorf(err.Code, "trackingMode", "%s", err.Message)
		}
		it.TrackingMode = *l.TrackingMode
	}
	if it.TrackingMode != models.TrackStatus {
		if l.IsInStock != nil && !*l.IsInStock {
			return at.errorf(apperr.BadUserInput, "isInStock", "isInStock false needs trackingMode STATUS; an item tracked by %s is in stock by its quantities", it.TrackingMode)
		}
		it.IsInStock = true
		return nil
	}
	if l.IsInStock != nil {
		it.IsInStock = *l.IsInStock
	}
	return nil
}

func validTracking(m models.TrackingMode) *apperr.Error {
	switch m {
	case models.TrackQuantity, models.TrackStatus, models.TrackUntracked:
		return nil
	}
	return apperr.New(apperr.BadUserInput, "unknown tracking mode %q", m).WithField("trackingMode")
}

// writeItems stores the written columns of the items (models.ItemColumns:
// settings, reference, metadata, revision) as they are on the items, in
// one statement, passing the rows as one JSON parameter that PostgreSQL
// reads with the table's own row type, and returns the items as stored,
// in the order given.
func writeItems(ctx context.Context, tx *gorm.DB, storeID int64, items []models.InventoryItem) ([]models.InventoryItem, error) {
	if len(items) == 0 {
		return nil, nil
	}
	rows := make([]map[string]any, len(items))
	for i := range items {
		row := map[string]any{"id": items[i].ID}
		for _, c := range models.ItemColumns {
			if c.Written {
				row[c.Name] = c.Value(&items[i])
			}
		}
		rows[i] = row
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("encode items: %w", err)
	}
	res, err := tx.WithContext(ctx).Raw(writeItemsSQL, string(payload), storeID).Rows()
	if err != nil {
		return nil, fmt.Errorf("update inventory items: %w", err)
	}
	out, err := scanItems(res)
	if err != nil {
		return nil, fmt.Errorf("update inventory items: %w", err)
	}
	byID := make(map[int64]models.InventoryItem, len(out))
	for _, it := range out {
		byID[it.ID] = it
	}
	written := make([]models.InventoryItem, len(items))
	for i, it := range items {
		written[i] = byID[it.ID]
	}
	return written, nil
}

var writeItemsSQL = func() string {
	var set []string
	for _, c := range models.ItemColumns {
		if c.Written {
			set = append(set, fmt.Sprintf("%[1]s = d.%[1]s", c.Name))
		}
	}
	return `UPDATE inventory_items i SET ` + strings.Join(set, ", ") + `, updated_at = now()
		FROM jsonb_populate_recordset(NULL::inventory_items, ?::jsonb) AS d
		WHERE i.store_id = ? AND i.id = d.id
		RETURNING ` + itemColumns
}()

// ConfigurationPatch changes the store's settings that are not nil.
type ConfigurationPatch struct {
	BackordersEnabled  *bool
	PreordersEnabled   *bool
	AllowNegativeStock *bool
	// DefaultLocationID names an enabled physical location of the store.
	DefaultLocationID       *int64
	RequireExpectedRevision *bool
}

// UpdateConfiguration changes the store's inventory settings, retried as
// every stock write is. It first waits for the writes that read them
// (lock_store_switches, migration 00011), so none of them runs under a
// setting that changed midway, and holds off new ones until it commits.
func UpdateConfiguration(ctx context.Context, db *gorm.DB, storeID int64, p ConfigurationPatch) (models.Store, error) {
	updates := map[string]any{"updated_at": time.Now().UTC()}
	for column, value := range map[string]*bool{
		"backorders_enabled": p.BackordersEnabled, "preorders_enabled": p.PreordersEnabled, "allow_negative_stock": p.AllowNegativeStock,
		"require_expected_revision": p.RequireExpectedRevision,
	} {
		if value != nil {
			updates[column] = *value
		}
	}
	if p.DefaultLocationID != nil {
		updates["default_location_id"] = *p.DefaultLocationID
	}
	store, _, err := runBatch(ctx, db, storeID, "", "updateInventoryConfiguration", p, false, func(tx *gorm.DB) (models.Store, error) {
		var store models.Store
		if err := tx.WithContext(ctx).Exec(`SELECT lock_store_switches(?)`, storeID).Error; err != nil {
			return store, fmt.Errorf("wait for the writes reading the switches: %w", err)
		}
		if p.DefaultLocationID != nil {
			if err := checkDefaultLocation(ctx, tx, storeID, *p.DefaultLocationID); err != nil {
				return store, err
			}
		}
		err := tx.WithContext(ctx).Model(&store).Clauses(clause.Returning{}).Where("id = ?", storeID).Updates(updates).Error
		return store, err
	})
	if err != nil {
		return store, fmt.Errorf("update inventory configuration: %w", err)
	}
	return store, nil
}

// checkDefaultLocation accepts an enabled physical location of the store
// as its default: the one a write without locationId can hold stock at.
// It holds the location FOR SHARE, so that updateLocation cannot disable
// it before this commits (it checks the store's default after locking).
func checkDefaultLocation(ctx context.Context, tx *gorm.DB, storeID, id int64) error {
	var locs []models.Location
	if err := tx.WithContext(ctx).Raw(`SELECT * FROM locations WHERE store_id = ? AND id = ? FOR SHARE`, storeID, id).Scan(&locs).Error; err != nil {
		return fmt.Errorf("read location %d: %w", id, err)
	}
	switch {
	case len(locs) == 0:
		return apperr.New(apperr.NotFound, "no location with ID %d", id).WithField("defaultLocationId")
	case !locs[0].Type.IsPhysical():
		return apperr.New(apperr.BadUserInput, "location %s is a virtual %s location; the default location holds stock, so it is a STORE or WAREHOUSE", locs[0].Code, locs[0].Type).WithField("defaultLocationId")
	case !locs[0].Enabled:
		return apperr.New(apperr.BadUserInput, "location %s is disabled; enable it with updateLocation before making it the default", locs[0].Code).WithField("defaultLocationId")
	}
	return nil
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
// Items that leave STATUS tracking are in stock by their quantities (or
// always), so their in-stock status goes back to true.
func SetTracking(ctx context.Context, db *gorm.DB, actor Actor, t Tracking) (int64, error) {
	if err := t.validate(); err != nil {
		return 0, err
	}
	changed, _, err := runBatch(ctx, db, actor.Store.ID, "", "setInventoryTracking", t, false, func(tx *gorm.DB) (int64, error) {
		return setTracking(ctx, tx, actor, t)
	})
	if err != nil {
		return 0, fmt.Errorf("set tracking: %w", err)
	}
	return changed, nil
}

// setTracking locks the named items not yet in the mode, in ID order as
// every stock write does, and writes the mode with its events. Leaving
// STATUS puts isInStock back to true: only STATUS items have a status of
// their own.
func setTracking(ctx context.Context, tx *gorm.DB, actor Actor, t Tracking) (int64, error) {
	b := newBatch(ctx, tx, actor, input{})
	store, locations, err := storeAndLocations(ctx, tx, actor.Store.ID)
	if err != nil {
		return 0, err
	}
	b.actor.Store, b.locations = store, locations
	if err := b.lockTracked(t); err != nil {
		return 0, err
	}
	var next []models.InventoryItem
	for _, it := range b.locked {
		it.TrackingMode, it.IsInStock = t.Mode, true
		it.Revision++
		next = append(next, it)
	}
	written, err := writeItems(ctx, tx, store.ID, next)
	if err != nil {
		return 0, err
	}
	if err := b.recordEvents(changesOf(b.locked, written), nil, changeMeta{reason: "tracking"}); err != nil {
		return 0, err
	}
	return int64(len(written)), nil
}

// lockTracked locks the items of t's variants and products whose mode
// differs from t's, with their variants' products.
func (b *batch) lockTracked(t Tracking) error {
	storeID := b.actor.Store.ID
	rows, err := b.tx.WithContext(b.ctx).Raw(`
		SELECT `+itemColumns+`, v.product_id FROM inventory_items i
		JOIN variants v ON v.store_id = i.store_id AND v.id = i.variant_id
		WHERE i.store_id = ? AND i.tracking_mode <> ? AND (v.id = ANY(?::bigint[]) OR v.product_id = ANY(?::bigint[]))
		ORDER BY i.id FOR UPDATE OF i`,
		storeID, t.Mode, database.Int64s(t.VariantIDs), database.Int64s(t.ProductIDs)).Rows()
	if err != nil {
		return fmt.Errorf("lock items to track: %w", err)
	}
	defer rows.Close()
	b.locked, b.resolved.products = map[ItemKey]models.InventoryItem{}, map[int64]int64{}
	var product int64
	scan := newItemScanner(&product)
	for rows.Next() {
		it, err := scan.scan(rows)
		if err != nil {
			return err
		}
		b.locked[ItemKey{it.VariantID, it.LocationID}], b.products[it.VariantID] = it, product
	}
	return rows.Err()
}

func (t Tracking) validate() error {
	if err := validTracking(t.Mode); err != nil {
		return err
	}
	switch {
	case t.Mode == models.TrackStatus:
		// Status tracking has rules of its own (no preorder limits) that
		// are checked item by item: updateInventorySettings does that.
		return apperr.New(apperr.BadUserInput, "start tracking with QUANTITY or stop it with UNTRACKED; to track by in-stock status, set trackingMode STATUS with updateInventorySettings").WithField("trackingMode")
	case len(t.ProductIDs)+len(t.VariantIDs) == 0:
		return apperr.New(apperr.BadUserInput, "name at least one product or variant").WithField("productIds")
	case len(t.ProductIDs)+len(t.VariantIDs) > MaxBatch:
		return apperr.New(apperr.BadUserInput, "at most %d products and variants per request", MaxBatch).WithField("productIds")
	}
	return nil
}
