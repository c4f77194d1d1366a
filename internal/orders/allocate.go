package orders

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/idempotency"
	"stockgraph/internal/inventory"
	"stockgraph/models"
)

// LineInput is one line of an order or a reservation: a variant (by ID or
// SKU) and how many units.
type LineInput struct {
	Variant  inventory.VariantRef
	Quantity int
}

// Limits of an order's input.
const (
	// MaxLines is the most lines one order or reservation has.
	MaxLines = 250
	// maxReference is the longest reference.
	maxReference = 255
)

// placed is a line as sourcing left it: its variant and the takes that
// cover it.
type placed struct {
	LineInput
	VariantID int64
	SKU       string
	Takes     []Take
}

// allocation is one sourcing of lines inside a transaction: the model,
// its sources per variant, and the sale that locked their items.
type allocation struct {
	sale    *inventory.Sale
	model   models.InventoryModel
	sources map[int64][]*Source // by variant ID
	lines   []placed
}

// allocate sources the lines from the model (the store's default when
// modelID is 0): it locks the items of every variant at every location of
// the model, plans each line in turn, and returns one OUT_OF_STOCK error
// per line it cannot cover (apperr.List), having written nothing. An
// o.Overdraw holds only where the store, as the transaction reads it,
// allows negative stock.
func allocate(ctx context.Context, tx *gorm.DB, actor inventory.Actor, modelID int64, lines []LineInput, o Options) (*allocation, error) {
	a, err := startAllocation(ctx, tx, actor, modelID, lines)
	if err != nil {
		return nil, err
	}
	sw := inventory.SwitchesOf(a.sale.Store())
	o.Overdraw = o.Overdraw && a.sale.Store().AllowNegativeStock
	for i := range a.lines {
		l := &a.lines[i]
		if l.VariantID == 0 {
			continue
		}
		takes, short := Plan(a.sources[l.VariantID], l.Quantity, o, sw)
		if short != nil {
			a.sale.Fail(i, outOfStock(a.sale, l.VariantID, l.SKU, l.Quantity, short), "quantity")
			continue
		}
		l.Takes = takes
	}
	if errs := a.sale.Errors(); len(errs) > 0 {
		return nil, errs
	}
	return a, nil
}

// startAllocation reads the model and its stock levels, resolves the
// lines' variants and locks their items at the model's locations.
func startAllocation(ctx context.Context, tx *gorm.DB, actor inventory.Actor, modelID int64, lines []LineInput) (*allocation, error) {
	model, err := modelFor(ctx, tx, actor.Store.ID, modelID)
	if err != nil {
		return nil, err
	}
	levels, err := levelsOf(ctx, tx, actor.Store.ID, model.ID)
	if err != nil {
		return nil, err
	}
	refs := make([]inventory.VariantRef, len(lines))
	for i, l := range lines {
		refs[i] = l.Variant
	}
	sale, err := inventory.StartSale(ctx, tx, actor, refs)
	if err != nil {
		return nil, err
	}
	a := &allocation{sale: sale, model: model, sources: map[int64][]*Source{}, lines: make([]placed, len(lines))}
	var keys []inventory.ItemKey
	for i, l := range lines {
		a.lines[i].LineInput = l
		if id, sku, ok := sale.Variant(i); ok {
			a.lines[i].VariantID, a.lines[i].SKU = id, sku
			if _, seen := a.sources[id]; !seen {
				a.sources[id] = nil
				keys = append(keys, levelKeys(levels, id)...)
			}
		}
	}
	items, err := sale.Lock(keys)
	if err != nil {
		return nil, err
	}
	for id := range a.sources {
		a.sources[id] = sourcesOf(sale, levels, items, id)
	}
	return a, nil
}

// levelKeys are the items of a variant at every location of the levels.
func levelKeys(levels []models.StockLevel, variantID int64) []inventory.ItemKey {
	keys := make([]inventory.ItemKey, len(levels))
	for i, lv := range levels {
		keys[i] = inventory.ItemKey{VariantID: variantID, LocationID: lv.LocationID}
	}
	return keys
}

// sourcesOf are a variant's sources, one per stock level in shipping
// order, with its locked items.
func sourcesOf(sale *inventory.Sale, levels []models.StockLevel, items map[inventory.ItemKey]models.InventoryItem, variantID int64) []*Source {
	out := make([]*Source, len(levels))
	for i, lv := range levels {
		loc, _ := sale.Location(lv.LocationID)
		it, ok := items[inventory.ItemKey{VariantID: variantID, LocationID: lv.LocationID}]
		out[i] = &Source{Level: lv, Location: loc, Item: it, HasItem: ok}
	}
	return out
}

// outOfStock is the OUT_OF_STOCK error of a line short of units, with
// BigCommerce's figures.
func outOfStock(sale *inventory.Sale, variantID int64, sku string, requested int, s *Shortfall) *apperr.Error {
	where := fmt.Sprintf("SKU %q", sku)
	if s.LocationID != 0 {
		where = sale.Where(variantID, s.LocationID)
	}
	msg := fmt.Sprintf("%s is out of stock for %d units: %d available, %d more can be backordered", where, requested,
		s.AvailableQuantity, s.AvailableForBackorder)
	if s.AvailableForPreorder > 0 {
		msg += fmt.Sprintf(", %d preordered", s.AvailableForPreorder)
	}
	e := apperr.New(apperr.OutOfStock, "%s", msg).WithField("lines.quantity").
		With("variantId", variantID).With("sku", sku).
		With("availableQuantity", s.AvailableQuantity).
		With("availableQuantityForBackorder", s.AvailableForBackorder).
		With("availableQuantityForPreorder", s.AvailableForPreorder).
		With("quantityRequested", requested)
	if s.LocationID != 0 {
		e = e.With("locationId", s.LocationID)
	}
	return e
}

// shifts are the stock changes of the lines' takes: committed, backordered
// or preordered at the take's location.
func (a *allocation) shifts() []inventory.Shift {
	var out []inventory.Shift
	for _, l := range a.lines {
		for _, t := range l.Takes {
			if t.Counted {
				out = append(out, inventory.Shift{VariantID: l.VariantID, LocationID: t.Source.Location.ID,
					To: t.Kind.State(), Quantity: t.Quantity, Step: stepOf(t.Kind)})
			}
		}
	}
	return out
}

// stepOf is the event an allocation of a kind emits.
func stepOf(kind models.AllocationKind) models.StockEventType {
	switch kind {
	case models.AllocateBackorder:
		return models.EventBackordered
	case models.AllocatePreorder:
		return models.EventPreordered
	}
	return models.EventAllocated
}

// modelFor returns the inventory model named, or the store's default.
func modelFor(ctx context.Context, tx *gorm.DB, storeID, id int64) (models.InventoryModel, error) {
	var m models.InventoryModel
	q := tx.WithContext(ctx).Where("store_id = ?", storeID)
	if id == 0 {
		q = q.Where("is_default")
	} else {
		q = q.Where("id = ?", id)
	}
	err := q.Take(&m).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return m, apperr.New(apperr.NotFound, "no inventory model with ID %d", id).WithField("inventoryModelId")
	case err != nil:
		return m, fmt.Errorf("read inventory model: %w", err)
	}
	return m, nil
}

// levelsOf returns the model's stock levels in shipping order: highest
// priority first, then oldest.
func levelsOf(ctx context.Context, tx *gorm.DB, storeID, modelID int64) ([]models.StockLevel, error) {
	var out []models.StockLevel
	err := tx.WithContext(ctx).Where("store_id = ? AND inventory_model_id = ?", storeID, modelID).
		Order("priority DESC, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("read stock levels: %w", err)
	}
	return out, nil
}

// validateLines checks an order's or reservation's lines before any
// reading.
func validateLines(lines []LineInput, reference string) error {
	switch {
	case len(lines) == 0:
		return apperr.New(apperr.BadUserInput, "an order needs at least one line").WithField("lines")
	case len(lines) > MaxLines:
		return apperr.New(apperr.BadUserInput, "at most %d lines, got %d", MaxLines, len(lines)).WithField("lines")
	case len(reference) > maxReference:
		return apperr.New(apperr.BadUserInput, "a reference has at most %d characters", maxReference).WithField("reference")
	}
	var errs apperr.List
	for i, l := range lines {
		if l.Quantity < 1 || l.Quantity > inventory.MaxLevel {
			errs = append(errs, apperr.New(apperr.BadUserInput, "line %d: quantity %d is outside 1 to %d", i, l.Quantity, inventory.MaxLevel).
				WithField("lines.quantity").WithIndex(i))
		}
	}
	return errs.Err()
}

// run runs an order step in a transaction, retried on deadlocks and on
// concurrent use of its idempotency key; the result stored with the key
// is the ID of the order or reservation the step returns.
func run(ctx context.Context, db *gorm.DB, storeID int64, key, operation string, request any, fn func(tx *gorm.DB) (int64, error)) (id int64, replayed bool, err error) {
	err = database.RetryTx(ctx, db, retries, func(tx *gorm.DB) error {
		var err error
		id, replayed, err = idempotency.Run(ctx, tx, storeID, key, operation, request, func() (int64, error) { return fn(tx) })
		return err
	})
	return id, replayed, err
}

// retries is how many times in all an order step's transaction runs
// before a deadlock or serialization failure is returned.
const retries = 5
