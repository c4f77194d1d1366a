// This file prepares the orders benchmark's store: a fresh store whose
// default inventory model ships from two locations, spread SKUs stocked
// with plenty at one or two of them, and one hot SKU per hot run stocked
// with a limited number and no backorders, so that the run sells it out.

package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"stockgraph/internal/auth"
	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/sourcing"
)

// Plenty is what each spread SKU has on hand at each location that
// stocks it: far more than a run can order.
const Plenty = 50000

// benchSKU is a variant the orders benchmark orders.
type benchSKU struct {
	VariantID int64
	SKU       string
}

// prepareOrders seeds a fresh store (a new one for every run, so that the
// units earlier runs committed never count), puts its two locations in
// the default inventory model, stocks the spread SKUs and creates the
// hot ones.
func prepareOrders(ctx context.Context, db *database.DB, o OrderOptions, progress *progressLog, rep *OrderReport) (*orderRun, error) {
	if _, err := o.Pgbench.binary(); err != nil {
		return nil, err
	}
	w := &orderRun{progressLog: progress, db: db}
	rep.StoreHandle = fmt.Sprintf("bench-orders-%d", time.Now().UnixMilli())
	storeID, client, err := benchStore(ctx, db, rep.StoreHandle, o.SKUs, 2, slices.Max(o.Clients), progress, auth.ReadInventory, auth.WriteInventory)
	if err != nil {
		return nil, err
	}
	w.store, w.client = storeID, client
	w.oneByOne = &Client{Token: client.Token, HTTP: pooledHTTPClient(slices.Max(o.Clients))}
	if w.actor.Store, err = catalog.StoreByHandle(db.DB, rep.StoreHandle); err != nil {
		return nil, err
	}
	if err := w.rankLocations(ctx); err != nil {
		return nil, err
	}
	if w.spread, err = w.loadSKUs(ctx, o.SKUs); err != nil {
		return nil, err
	}
	progress.say("stocking %d SKUs with %d units at one or two locations", len(w.spread), Plenty)
	if err := w.stockSpread(ctx); err != nil {
		return nil, err
	}
	// A hot SKU for each hot run: coalesced and one by one.
	return w, w.createHot(ctx, 2*len(o.Clients), o.HotStock)
}

// rankLocations puts the store's two locations in its default inventory
// model, LOC-1 shipping first.
func (w *orderRun) rankLocations(ctx context.Context) error {
	var model int64
	if err := w.db.WithContext(ctx).Raw(`SELECT id FROM inventory_models WHERE store_id = ? AND is_default`, w.store).Scan(&model).Error; err != nil {
		return fmt.Errorf("read the default inventory model: %w", err)
	}
	if err := w.db.WithContext(ctx).Raw(`SELECT id FROM locations WHERE store_id = ? AND code LIKE 'LOC-%' ORDER BY code`, w.store).Scan(&w.locations).Error; err != nil {
		return fmt.Errorf("read the benchmark locations: %w", err)
	}
	if len(w.locations) != 2 {
		return fmt.Errorf("the benchmark store has %d locations, want 2", len(w.locations))
	}
	for i, loc := range w.locations {
		priority := 10 - 5*i
		if _, err := sourcing.CreateStockLevel(ctx, w.db.DB, w.store, model, loc, sourcing.LevelPatch{Priority: &priority}); err != nil {
			return fmt.Errorf("put location %d in the default model: %w", loc, err)
		}
	}
	return nil
}

// loadSKUs returns the store's first n variants.
func (w *orderRun) loadSKUs(ctx context.Context, n int) ([]benchSKU, error) {
	var skus []benchSKU
	err := w.db.WithContext(ctx).Raw(`SELECT id AS variant_id, sku FROM variants WHERE store_id = ? ORDER BY id LIMIT ?`, w.store, n).Scan(&skus).Error
	if err != nil {
		return nil, fmt.Errorf("load the benchmark SKUs: %w", err)
	}
	if len(skus) < n {
		return nil, fmt.Errorf("the benchmark store has %d SKUs, want %d", len(skus), n)
	}
	return skus, nil
}

// stockSpread gives every spread SKU Plenty at the first location and,
// for every other SKU, Plenty at the second too (none otherwise).
func (w *orderRun) stockSpread(ctx context.Context) error {
	var lines []inventory.AdjustLine
	for i, s := range w.spread {
		second := Plenty * (i % 2)
		lines = append(lines, stockLine(w.locations[0], s.SKU, Plenty), stockLine(w.locations[1], s.SKU, second))
	}
	return w.setOnHand(ctx, lines)
}

// createHot creates n hot SKUs, HOT-1 to HOT-n, each with stock units
// at the first location, no safety stock and a backorder limit of 0.
func (w *orderRun) createHot(ctx context.Context, n, stock int) error {
	var variants []catalog.VariantFields
	for i := range n {
		variants = append(variants, catalog.VariantFields{SKU: fmt.Sprintf("HOT-%d", i+1), Name: "Hot " + fmt.Sprint(i+1)})
	}
	if _, err := catalog.CreateProduct(ctx, w.db.DB, w.store, catalog.ProductFields{Name: "Hot SKUs", SKU: "HOT"}, variants); err != nil {
		return fmt.Errorf("create the hot SKUs: %w", err)
	}
	var lines []inventory.AdjustLine
	var settings []inventory.SettingsLine
	zero := 0
	for _, v := range variants {
		lines = append(lines, stockLine(w.locations[0], v.SKU, stock))
		settings = append(settings, inventory.SettingsLine{Variant: inventory.VariantRef{SKU: v.SKU}, SafetyStock: &zero, BackorderLimit: &zero})
	}
	if err := w.setOnHand(ctx, lines); err != nil {
		return err
	}
	if _, err := inventory.UpdateSettings(ctx, w.db.DB, w.actor, inventory.SettingsChange{LocationID: w.locations[0], Lines: settings}); err != nil {
		return fmt.Errorf("set the hot SKUs' backorder limit to 0: %w", err)
	}
	return w.db.WithContext(ctx).Raw(`SELECT id AS variant_id, sku FROM variants WHERE store_id = ? AND sku LIKE 'HOT-%' ORDER BY id`, w.store).Scan(&w.hot).Error
}

func stockLine(location int64, sku string, onHand int) inventory.AdjustLine {
	return inventory.AdjustLine{LocationID: location, Variant: inventory.VariantRef{SKU: sku}, Quantity: &onHand}
}

// setOnHand applies absolute adjustments, inventory.MaxBatch lines at a
// time, through the same rules and ledger as the API.
func (w *orderRun) setOnHand(ctx context.Context, lines []inventory.AdjustLine) error {
	for chunk := range slices.Chunk(lines, inventory.MaxBatch) {
		_, err := inventory.Adjust(ctx, w.db.DB, w.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "bench orders", Lines: chunk})
		if err != nil {
			return fmt.Errorf("stock the benchmark SKUs: %w", err)
		}
	}
	return nil
}
