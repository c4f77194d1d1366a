package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"stockgraph/apperr"
	"stockgraph/database"
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
	if err := db.WithContext(ctx).Create(&loc).Error; err != nil {
		return loc, locationWriteError(err, loc.Code)
	}
	return loc, nil
}

// UpdateLocation changes a location.
func UpdateLocation(ctx context.Context, db *gorm.DB, storeID, id int64, patch LocationPatch) (models.Location, error) {
	var loc models.Location
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if err := lockRow(tx, &loc, storeID, id, "location"); err != nil {
			return err
		}
		wasPhysical := loc.Type.IsPhysical()
		applyLocation(&loc, patch)
		if err := validateLocation(loc); err != nil {
			return err
		}
		if wasPhysical && !loc.Type.IsPhysical() {
			if err := requireNoStock(tx, storeID, id, "turn into a virtual location"); err != nil {
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

// DeleteLocation deletes a location that holds no stock, with its (empty)
// inventory items.
func DeleteLocation(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return database.Tx(ctx, db, func(tx *gorm.DB) error {
		var loc models.Location
		if err := lockRow(tx, &loc, storeID, id, "location"); err != nil {
			return err
		}
		if err := requireNoStock(tx, storeID, id, "delete"); err != nil {
			return err
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

// requireNoStock refuses to lose units: a location still holding stock
// cannot be deleted or made virtual until the stock is moved away.
func requireNoStock(tx *gorm.DB, storeID, id int64, action string) error {
	// Lock the location's items first: stock changes lock the items they
	// change, so none can slip in between this check and the change.
	if err := tx.Exec(`SELECT 1 FROM inventory_items WHERE store_id = ? AND location_id = ? ORDER BY id FOR UPDATE`, storeID, id).Error; err != nil {
		return fmt.Errorf("lock items at location %d: %w", id, err)
	}
	var held struct{ Items, OnHand, Backordered int64 }
	err := tx.Raw(`SELECT count(*) AS items, coalesce(sum(abs(on_hand)), 0) AS on_hand, coalesce(sum(qty_backordered), 0) AS backordered
		FROM inventory_items WHERE store_id = ? AND location_id = ? AND (on_hand <> 0 OR qty_backordered <> 0 OR committed <> 0)`, storeID, id).Scan(&held).Error
	if err != nil {
		return fmt.Errorf("count stock at location %d: %w", id, err)
	}
	if held.Items > 0 {
		return apperr.New(apperr.Conflict, "cannot %s location %d: %d items there still hold %d units on hand and %d backordered; move them first or disable the location",
			action, id, held.Items, held.OnHand, held.Backordered)
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
