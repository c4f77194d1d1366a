package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/models"
)

// Limits on catalog fields.
const (
	maxNameLen = 255
	maxSKULen  = 255
	maxText    = 65535
	// MaxVariants is the most variants one createProduct may create.
	MaxVariants = 100
)

// ProductFields are a new product's fields.
type ProductFields struct {
	Name        string
	SKU         string
	Description string
}

// VariantFields are a new variant's fields.
type VariantFields struct {
	SKU  string
	Name string
}

// CreateProduct creates a product with its variants, all or nothing.
func CreateProduct(ctx context.Context, db *gorm.DB, storeID int64, fields ProductFields, variants []VariantFields) (models.Product, error) {
	p := models.Product{StoreID: storeID, Name: strings.TrimSpace(fields.Name), SKU: strings.TrimSpace(fields.SKU), Description: fields.Description}
	if err := validateProduct(p); err != nil {
		return p, err
	}
	if err := validateVariants("variants", variants); err != nil {
		return p, err
	}
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if err := tx.Create(&p).Error; err != nil {
			return productWriteError(err, p.SKU)
		}
		if len(variants) == 0 {
			return nil
		}
		rows := make([]models.Variant, len(variants))
		for i, v := range variants {
			rows[i] = models.Variant{StoreID: storeID, ProductID: p.ID, SKU: strings.TrimSpace(v.SKU), Name: strings.TrimSpace(v.Name)}
		}
		if err := checkSKUsFree(ctx, tx, storeID, "variants", rows); err != nil {
			return err
		}
		if err := tx.Create(&rows).Error; err != nil {
			return variantWriteError(err)
		}
		return nil
	})
	return p, err
}

// ProductPatch changes the fields that are not nil.
type ProductPatch struct {
	Name        *string
	SKU         *string
	Description *string
}

// UpdateProduct changes a product's own fields.
func UpdateProduct(ctx context.Context, db *gorm.DB, storeID, id int64, patch ProductPatch) (models.Product, error) {
	var p models.Product
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, &p, storeID, id, database.LockNoKeyUpdate, "product"); err != nil {
			return err
		}
		if patch.Name != nil {
			p.Name = strings.TrimSpace(*patch.Name)
		}
		if patch.SKU != nil {
			p.SKU = strings.TrimSpace(*patch.SKU)
		}
		if patch.Description != nil {
			p.Description = *patch.Description
		}
		if err := validateProduct(p); err != nil {
			return err
		}
		if err := tx.Select("name", "sku", "description", "updated_at").Save(&p).Error; err != nil {
			return productWriteError(err, p.SKU)
		}
		return nil
	})
	return p, err
}

// DeleteProduct deletes a product with its variants and their inventory
// items, once none of them holds stock.
func DeleteProduct(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return database.RetryTx(ctx, db, 3, func(tx *gorm.DB) error {
		err := requireNoStock(tx, storeID, "variant_id IN (SELECT id FROM variants WHERE store_id = ? AND product_id = ?)", []any{storeID, id}, fmt.Sprintf("delete product %d", id))
		if err != nil {
			return err
		}
		res := tx.Where("store_id = ? AND id = ?", storeID, id).Delete(&models.Product{})
		if res.Error != nil {
			return fmt.Errorf("delete product %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "no product with ID %d", id)
		}
		return nil
	})
}

// CreateVariant adds a variant to a product.
func CreateVariant(ctx context.Context, db *gorm.DB, storeID, productID int64, fields VariantFields) (models.Variant, error) {
	v := models.Variant{StoreID: storeID, ProductID: productID, SKU: strings.TrimSpace(fields.SKU), Name: strings.TrimSpace(fields.Name)}
	if err := validateVariants("", []VariantFields{fields}); err != nil {
		return v, err
	}
	if err := checkSKUsFree(ctx, db, storeID, "", []models.Variant{v}); err != nil {
		return v, err
	}
	if err := database.Tx(ctx, db, func(tx *gorm.DB) error { return tx.Create(&v).Error }); err != nil {
		if database.IsForeignKeyViolation(err) {
			return v, apperr.New(apperr.NotFound, "no product with ID %d", productID).WithField("productId")
		}
		return v, variantWriteError(err)
	}
	return v, nil
}

// VariantPatch changes the fields that are not nil.
type VariantPatch struct {
	SKU  *string
	Name *string
}

// UpdateVariant changes a variant's fields.
func UpdateVariant(ctx context.Context, db *gorm.DB, storeID, id int64, patch VariantPatch) (models.Variant, error) {
	var v models.Variant
	err := database.Tx(ctx, db, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, &v, storeID, id, database.LockNoKeyUpdate, "variant"); err != nil {
			return err
		}
		if patch.SKU != nil {
			v.SKU = strings.TrimSpace(*patch.SKU)
		}
		if patch.Name != nil {
			v.Name = strings.TrimSpace(*patch.Name)
		}
		if err := validateVariants("", []VariantFields{{SKU: v.SKU, Name: v.Name}}); err != nil {
			return err
		}
		if err := checkSKUsFree(ctx, tx, storeID, "", []models.Variant{v}); err != nil {
			return err
		}
		if err := tx.Select("sku", "name", "updated_at").Save(&v).Error; err != nil {
			return variantWriteError(err)
		}
		return nil
	})
	return v, err
}

// DeleteVariant deletes a variant with its inventory items, once none of
// them holds stock.
func DeleteVariant(ctx context.Context, db *gorm.DB, storeID, id int64) error {
	return database.RetryTx(ctx, db, 3, func(tx *gorm.DB) error {
		if err := requireNoStock(tx, storeID, "variant_id = ?", []any{id}, fmt.Sprintf("delete variant %d", id)); err != nil {
			return err
		}
		res := tx.Where("store_id = ? AND id = ?", storeID, id).Delete(&models.Variant{})
		if res.Error != nil {
			return fmt.Errorf("delete variant %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "no variant with ID %d", id)
		}
		return nil
	})
}

func validateProduct(p models.Product) error {
	switch {
	case p.Name == "":
		return apperr.New(apperr.BadUserInput, "a product needs a name").WithField("name")
	case utf8.RuneCountInString(p.Name) > maxNameLen:
		return apperr.New(apperr.BadUserInput, "a product name has at most %d characters", maxNameLen).WithField("name")
	case utf8.RuneCountInString(p.SKU) > maxSKULen:
		return apperr.New(apperr.BadUserInput, "a SKU has at most %d characters", maxSKULen).WithField("sku")
	case len(p.Description) > maxText:
		return apperr.New(apperr.BadUserInput, "a description has at most %d bytes", maxText).WithField("description")
	}
	return nil
}

// validateVariants checks the variants of the input list named list
// ("variants" of createProduct), or of one variant's own input when list
// is "".
func validateVariants(list string, variants []VariantFields) error {
	if list != "" && len(variants) > MaxVariants {
		return apperr.New(apperr.BadUserInput, "a product is created with at most %d variants, got %d; add more with createVariant", MaxVariants, len(variants)).WithField(list)
	}
	seen := map[string]int{}
	for i, v := range variants {
		sku := strings.TrimSpace(v.SKU)
		switch {
		case sku == "":
			return variantError(apperr.New(apperr.BadUserInput, "a variant needs a SKU"), list, "sku", i)
		case utf8.RuneCountInString(sku) > maxSKULen:
			return variantError(apperr.New(apperr.BadUserInput, "SKU %q is longer than %d characters", sku, maxSKULen), list, "sku", i)
		case utf8.RuneCountInString(v.Name) > maxNameLen:
			return variantError(apperr.New(apperr.BadUserInput, "variant %q: a name has at most %d characters", sku, maxNameLen), list, "name", i)
		}
		if j, dup := seen[sku]; dup {
			return variantError(apperr.New(apperr.BadUserInput, "SKU %q is given twice, for variants %d and %d", sku, j, i), list, "sku", i)
		}
		seen[sku] = i
	}
	return nil
}

func productWriteError(err error, sku string) error {
	if database.IsUniqueViolation(err, "products_store_sku_key") {
		return apperr.New(apperr.Conflict, "another product already has SKU %q", sku).WithField("sku")
	}
	return fmt.Errorf("write product: %w", err)
}

// checkSKUsFree returns CONFLICT naming the first variant whose SKU
// another variant already uses. The unique key still guards against a
// concurrent writer; this only gives the client a precise message.
func checkSKUsFree(ctx context.Context, db *gorm.DB, storeID int64, list string, rows []models.Variant) error {
	skus := make([]string, len(rows))
	for i, r := range rows {
		skus[i] = r.SKU
	}
	taken, err := VariantsBySKUs(ctx, db, storeID, skus)
	if err != nil {
		return err
	}
	for i, r := range rows {
		if other, ok := taken[r.SKU]; ok && other.ID != r.ID {
			return variantError(apperr.New(apperr.Conflict, "SKU %q is already used by another variant", r.SKU), list, "sku", i)
		}
	}
	return nil
}

// variantError names the input field of a variant's error: field of the
// i-th item of the list, or of the variant's own input when list is "".
func variantError(e *apperr.Error, list, field string, i int) *apperr.Error {
	if list == "" {
		return e.WithField(field)
	}
	return e.WithField(list + "." + field).WithIndex(i)
}

func variantWriteError(err error) error {
	if database.IsUniqueViolation(err, "variants_store_id_sku_key") {
		return apperr.New(apperr.Conflict, "a SKU is already used by another variant").WithField("sku")
	}
	return fmt.Errorf("write variants: %w", err)
}
