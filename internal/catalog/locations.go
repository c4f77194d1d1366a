package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/models"
)

// Address is a location's postal address and contact.
type Address struct {
	Line1, Line2, City, Region, PostalCode, CountryCode, Phone, Email string
}

// AddressPatch changes the address fields that are not nil.
type AddressPatch struct {
	Line1, Line2, City, Region, PostalCode, CountryCode, Phone, Email *string
}

// LocationPatch changes the location fields that are not nil.
type LocationPatch struct {
	Code     *string
	Name     *string
	Type     *models.LocationType
	Enabled  *bool
	Priority *int
	OnHold   *bool
	Address  *AddressPatch
}

// CreateLocation adds a location to the store.
func CreateLocation(ctx context.Context, db *gorm.DB, storeID int64, patch LocationPatch) (models.Location, error) {
	loc := models.Location{StoreID: storeID, Type: models.LocationWarehouse, Enabled: true}
	applyLocation(&loc, patch)
	if err := validateLocation(loc); err != nil {
		return loc, err
	}
	if !loc.Type.IsPhysical() {
		return loc, errBuiltIn("create another", string(loc.Type))
	}
	// In a transaction, as every audited write, so the audit log names
	// the token (database.WithActor).
	err := database.Tx(ctx, db, func(tx *gorm.DB) error { return tx.Create(&loc).Error })
	if err != nil {
		return loc, locationWriteError(err, loc.Code)
	}
	return loc, nil
}

// UpdateLocation changes a location. The built-in virtual locations keep
// their code and type; only their name and address change.
func UpdateLocation(ctx context.Context, db *gorm.DB, storeID, id int64, patch LocationPatch) (models.Location, error) {
	var loc models.Location
	err := database.RetryTx(ctx, db, 3, func(tx *gorm.DB) error {
		// FOR NO KEY UPDATE: stock writes referencing the location in the
		// ledger at the same time need not wait for us, nor we for them.
		if err := database.LockRow(tx, &loc, storeID, id, database.LockNoKeyUpdate, "location"); err != nil {
			return err
		}
		before := loc
		applyLocation(&loc, patch)
		if err := validateLocation(loc); err != nil {
			return err
		}
		if err := checkBuiltIn(before, loc); err != nil {
			return err
		}
		if before.Enabled && !loc.Enabled {
			if err := refuseDefault(tx, loc, "disable", "enabled"); err != nil {
				return err
			}
		}
		if err := tx.Save(&loc).Error; err != nil {
			return locationWriteError(err, loc.Code)
		}
		return nil
	})
	return loc, err
}

// checkBuiltIn keeps the virtual locations what they are, and physical
// locations physical: stock and ledger history are bound to the type.
func checkBuiltIn(before, after models.Location) error {
	switch {
	case !before.Type.IsPhysical() && (after.Type != before.Type || after.Code != before.Code || after.Enabled != before.Enabled):
		return errBuiltIn("change the code, type or enabled flag of", string(before.Type))
	case before.Type.IsPhysical() && !after.Type.IsPhysical():
		return errBuiltIn("turn a physical location into another", string(after.Type))
	}
	return nil
}

func errBuiltIn(action, typ string) error {
	return apperr.New(apperr.BadUserInput,
		"cannot %s %s location: every store has exactly one SUPPLIER, SOLD and BIN location, built in as the far ends of adjustments", action, typ).WithField("type")
}

// DeleteLocation deletes a physical location that holds no stock and has
// no ledger history, with its (empty) inventory items. A location with
// history is disabled instead, so that the ledger keeps adding up.
func DeleteLocation(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return database.RetryTx(ctx, db, 3, func(tx *gorm.DB) error {
		// Items first: a stock write holds the items it changes, so this
		// waits for one under way, and one that comes later finds the
		// items gone; the ledger history looked for below is then complete.
		if err := requireNoStock(tx, storeID, "location_id = ?", []any{id}, fmt.Sprintf("delete location %d", id)); err != nil {
			return err
		}
		var loc models.Location
		if err := database.LockRow(tx, &loc, storeID, id, database.LockUpdate, "location"); err != nil {
			return err
		}
		if !loc.Type.IsPhysical() {
			return errBuiltIn("delete the", string(loc.Type))
		}
		if err := refuseDefault(tx, loc, "delete", "id"); err != nil {
			return err
		}
		var history bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM inventory_movements WHERE store_id = ? AND (from_location_id = ? OR to_location_id = ?))`,
			storeID, id, id).Scan(&history).Error; err != nil {
			return fmt.Errorf("look for ledger history of location %d: %w", id, err)
		}
		if history {
			return apperr.New(apperr.Conflict, "location %d (%s) has ledger history; disable it with updateLocation(input: {enabled: false}) instead", id, loc.Code).WithField("id")
		}
		if err := tx.Where("store_id = ? AND location_id = ?", storeID, id).Delete(&models.InventoryItem{}).Error; err != nil {
			return fmt.Errorf("delete inventory items of location %d: %w", id, err)
		}
		if err := tx.Delete(&loc).Error; err != nil {
			return fmt.Errorf("delete location %d: %w", id, err)
		}
		return nil
	})
}

// refuseDefault refuses to delete or disable the store's default
// location, where writes without locationId go: the store would be left
// without one, or with one that holds no sellable stock. The caller has
// locked the location, which updateInventoryConfiguration holds FOR
// SHARE while it makes a location the default, so the two cannot cross.
func refuseDefault(tx *gorm.DB, loc models.Location, action, field string) error {
	var isDefault bool
	err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM stores WHERE id = ? AND default_location_id = ?)`, loc.StoreID, loc.ID).Scan(&isDefault).Error
	if err != nil {
		return fmt.Errorf("read the default location of store %d: %w", loc.StoreID, err)
	}
	if isDefault {
		return apperr.New(apperr.DefaultLocationInUse,
			"location %s is the store's default location, where writes without locationId go; make another location the default with updateInventoryConfiguration(input: {defaultLocationId: …}) before you %s it",
			loc.Code, action).WithField(field)
	}
	return nil
}

// requireNoStock refuses to lose units: the items that where selects
// (the ones at a location, of a variant, of a product's variants) must
// hold no quantity. It locks them in ID order, as stock writes do, so that
// none can change between this check and the caller's change.
func requireNoStock(tx *gorm.DB, storeID int64, where string, args []any, action string) error {
	var held struct{ Items, Units int64 }
	err := tx.Raw(fmt.Sprintf(`
		WITH locked AS (
			SELECT on_hand, qty_backordered, damaged, quality_control, incoming, committed, qty_preordered
			FROM inventory_items WHERE store_id = ? AND %s ORDER BY id FOR UPDATE
		)
		SELECT count(*) AS items,
		       coalesce(sum(abs(on_hand) + qty_backordered + damaged + quality_control + incoming + committed + qty_preordered), 0) AS units
		FROM locked
		WHERE on_hand <> 0 OR qty_backordered <> 0 OR damaged <> 0 OR quality_control <> 0 OR incoming <> 0 OR committed <> 0 OR qty_preordered <> 0`, where),
		append([]any{storeID}, args...)...).Scan(&held).Error
	if err != nil {
		return fmt.Errorf("check stock before %s: %w", action, err)
	}
	if held.Items > 0 {
		return apperr.New(apperr.Conflict, "cannot %s: %d inventory items still hold %d units (on hand, backordered, damaged, in quality control, incoming, committed or preordered); adjust or move them to zero first",
			action, held.Items, held.Units)
	}
	return nil
}

func applyLocation(loc *models.Location, p LocationPatch) {
	set(&loc.Code, p.Code, strings.TrimSpace)
	set(&loc.Name, p.Name, strings.TrimSpace)
	if p.Type != nil {
		loc.Type = *p.Type
	}
	if p.Enabled != nil {
		loc.Enabled = *p.Enabled
	}
	if p.Priority != nil {
		loc.Priority = *p.Priority
	}
	if p.OnHold != nil {
		loc.OnHold = *p.OnHold
	}
	if a := p.Address; a != nil {
		set(&loc.AddressLine1, a.Line1, strings.TrimSpace)
		set(&loc.AddressLine2, a.Line2, strings.TrimSpace)
		set(&loc.City, a.City, strings.TrimSpace)
		set(&loc.Region, a.Region, strings.TrimSpace)
		set(&loc.PostalCode, a.PostalCode, strings.TrimSpace)
		set(&loc.CountryCode, a.CountryCode, func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) })
		set(&loc.Phone, a.Phone, strings.TrimSpace)
		set(&loc.Email, a.Email, strings.TrimSpace)
	}
}

func set(dst *string, src *string, clean func(string) string) {
	if src != nil {
		*dst = clean(*src)
	}
}

var (
	codePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
)

func validateLocation(loc models.Location) error {
	switch {
	case !codePattern.MatchString(loc.Code):
		return apperr.New(apperr.BadUserInput, "location code %q must be 1 to 64 letters, digits, dots, dashes or underscores", loc.Code).WithField("code")
	case loc.Name == "" || utf8.RuneCountInString(loc.Name) > maxNameLen:
		return apperr.New(apperr.BadUserInput, "a location needs a name of 1 to %d characters", maxNameLen).WithField("name")
	case loc.CountryCode != "" && !countryPattern.MatchString(loc.CountryCode):
		return apperr.New(apperr.BadUserInput, "country code %q is not an ISO 3166-1 alpha-2 code such as DE", loc.CountryCode).WithField("address.countryCode")
	case loc.Priority < -1000000 || loc.Priority > 1000000:
		return apperr.New(apperr.BadUserInput, "priority must be between -1000000 and 1000000").WithField("priority")
	}
	switch loc.Type {
	case models.LocationStore, models.LocationWarehouse, models.LocationSupplier, models.LocationSold, models.LocationBin:
	default:
		return apperr.New(apperr.BadUserInput, "unknown location type %q", loc.Type).WithField("type")
	}
	return nil
}

func locationWriteError(err error, code string) error {
	if database.IsUniqueViolation(err, "locations_store_id_code_key") {
		return apperr.New(apperr.Conflict, "another location already has code %q", code).WithField("code")
	}
	return fmt.Errorf("write location: %w", err)
}
