package orders_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/catalog"
	"stockgraph/internal/inventory"
	"stockgraph/internal/ledger"
	"stockgraph/internal/orders"
	"stockgraph/internal/sourcing"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

func ptr[T any](v T) *T { return &v }

var ctx = context.Background()

// fixture is a store with two warehouses in its default inventory model,
// WH-A (priority 10) shipping before WH-B (priority 5), and variants by
// SKU.
type fixture struct {
	db       *gorm.DB
	actor    inventory.Actor
	model    int64
	loc      map[string]int64 // physical locations by code
	variants map[string]int64 // by SKU
	levels   map[string]int64 // stock levels of the default model by location code
	skus     map[int64]string // by variant ID
}

func setup(t testing.TB, skus ...string) *fixture {
	t.Helper()
	return setupIn(t, testdb.MustOpenDB(t).DB, "shop", skus...)
}

// setupIn is setup with a store of the handle in db.
func setupIn(t testing.TB, db *gorm.DB, handle string, skus ...string) *fixture {
	t.Helper()
	store, _, err := catalog.EnsureStore(db, handle)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, actor: inventory.Actor{Store: store}, loc: map[string]int64{}, variants: map[string]int64{},
		levels: map[string]int64{}, skus: map[int64]string{}}
	if err := db.Raw(`SELECT id FROM inventory_models WHERE store_id = ? AND is_default`, store.ID).Scan(&f.model).Error; err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		code     string
		priority int
	}{{"WH-A", 10}, {"WH-B", 5}} {
		loc, err := catalog.CreateLocation(ctx, db, store.ID, catalog.LocationPatch{Code: ptr(l.code), Name: ptr(l.code)})
		if err != nil {
			t.Fatal(err)
		}
		f.loc[l.code] = loc.ID
		lv, err := sourcing.CreateStockLevel(ctx, db, store.ID, f.model, loc.ID, sourcing.LevelPatch{Priority: ptr(l.priority)})
		if err != nil {
			t.Fatal(err)
		}
		f.levels[l.code] = lv.ID
	}
	if len(skus) == 0 {
		skus = []string{"SKU-1"}
	}
	var vs []catalog.VariantFields
	for _, s := range skus {
		vs = append(vs, catalog.VariantFields{SKU: s})
	}
	if _, err := catalog.CreateProduct(ctx, db, store.ID, catalog.ProductFields{Name: "Tee"}, vs); err != nil {
		t.Fatal(err)
	}
	var rows []models.Variant
	db.Where("store_id = ?", store.ID).Find(&rows)
	for _, v := range rows {
		f.variants[v.SKU], f.skus[v.ID] = v.ID, v.SKU
	}
	return f
}

// configure sets the store's switches.
func (f *fixture) configure(t testing.TB, backorders, preorders, negative bool) {
	t.Helper()
	store, err := inventory.UpdateConfiguration(ctx, f.db, f.actor.Store.ID, inventory.ConfigurationPatch{
		BackordersEnabled: &backorders, PreordersEnabled: &preorders, AllowNegativeStock: &negative})
	if err != nil {
		t.Fatal(err)
	}
	f.actor.Store = store
}

// stock sets a variant's on hand at a location.
func (f *fixture) stock(t testing.TB, sku, code string, onHand int) {
	t.Helper()
	_, err := inventory.Adjust(ctx, f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count",
		Lines: []inventory.AdjustLine{{LocationID: f.loc[code], Variant: inventory.VariantRef{SKU: sku}, Quantity: ptr(onHand)}}})
	if err != nil {
		t.Fatalf("stock %s at %s = %d: %v", sku, code, onHand, err)
	}
}

// settings changes a variant's item settings at a location.
func (f *fixture) settings(t testing.TB, sku, code string, l inventory.SettingsLine) {
	t.Helper()
	l.Variant = inventory.VariantRef{SKU: sku}
	if _, err := inventory.UpdateSettings(ctx, f.db, f.actor, inventory.SettingsChange{LocationID: f.loc[code], Lines: []inventory.SettingsLine{l}}); err != nil {
		t.Fatalf("settings of %s at %s: %v", sku, code, err)
	}
}

// item reads a variant's item at a location.
func (f *fixture) item(t testing.TB, sku, code string) models.InventoryItem {
	t.Helper()
	var it models.InventoryItem
	if err := f.db.Where("store_id = ? AND variant_id = ? AND location_id = ?", f.actor.Store.ID, f.variants[sku], f.loc[code]).Take(&it).Error; err != nil {
		t.Fatalf("item %s at %s: %v", sku, code, err)
	}
	return it
}

// levels writes an item's order-held levels as "onHand/committed/backordered/preordered".
func (f *fixture) levelsOf(t testing.TB, sku, code string) string {
	it := f.item(t, sku, code)
	return fmt.Sprintf("%d/%d/%d/%d", it.OnHand, it.Committed, it.QtyBackordered, it.QtyPreordered)
}

// line is an order line of units of a SKU.
func line(sku string, n int) orders.LineInput {
	return orders.LineInput{Variant: inventory.VariantRef{SKU: sku}, Quantity: n}
}

// order places an order that must succeed.
func (f *fixture) order(t testing.TB, in orders.NewOrder) models.Order {
	t.Helper()
	res, err := orders.CreateOrder(ctx, f.db, f.actor, in)
	if err != nil {
		t.Fatalf("CreateOrder(%+v) error = %v", in, err)
	}
	return res.Value
}

// allocations writes an order's allocations as "SKU@LOC:KIND×n[held]"
// sorted by line then allocation, open units only.
func (f *fixture) allocations(t testing.TB, orderID int64) string {
	t.Helper()
	var rows []struct {
		models.Allocation
		SKU string `gorm:"column:sku"`
	}
	err := f.db.Raw(`SELECT a.*, l.sku FROM allocations a JOIN order_lines l ON l.store_id = a.store_id AND l.id = a.line_id
		WHERE l.store_id = ? AND l.order_id = ? AND a.quantity > 0 ORDER BY l.position, a.id`, f.actor.Store.ID, orderID).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	codes := map[int64]string{}
	for c, id := range f.loc {
		codes[id] = c
	}
	var parts []string
	for _, r := range rows {
		p := fmt.Sprintf("%s@%s:%s×%d", r.SKU, codes[r.LocationID], r.Kind, r.Quantity)
		if r.OnHold {
			p += "[held]"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// mustAddUp checks the invariants every step keeps: the ledger explains
// every item's levels, each item's committed, backordered and preordered
// units are the open units of its counted allocations, and each line's
// open units are its allocations'.
func (f *fixture) mustAddUp(t testing.TB) {
	t.Helper()
	bad, err := ledger.Inconsistencies(ctx, f.db, f.actor.Store.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("ledger inconsistencies: %+v", bad)
	}
	var drift []string
	err = f.db.Raw(`
		WITH held AS (
			SELECT l.variant_id, a.location_id,
			       sum(a.quantity) FILTER (WHERE a.kind = 'STOCK') AS committed,
			       sum(a.quantity) FILTER (WHERE a.kind = 'BACKORDER') AS backordered,
			       sum(a.quantity) FILTER (WHERE a.kind = 'PREORDER') AS preordered
			FROM allocations a JOIN order_lines l ON l.store_id = a.store_id AND l.id = a.line_id
			WHERE a.store_id = ? AND a.counted GROUP BY 1, 2)
		SELECT format('item %s: committed %s/%s backordered %s/%s preordered %s/%s', i.id,
		              i.committed, coalesce(h.committed, 0), i.qty_backordered, coalesce(h.backordered, 0), i.qty_preordered, coalesce(h.preordered, 0))
		FROM inventory_items i LEFT JOIN held h ON h.variant_id = i.variant_id AND h.location_id = i.location_id
		WHERE i.store_id = ? AND (i.committed, i.qty_backordered, i.qty_preordered)
		      IS DISTINCT FROM (coalesce(h.committed, 0), coalesce(h.backordered, 0), coalesce(h.preordered, 0))
		UNION ALL
		SELECT format('line %s: open %s, allocated %s', l.id, l.quantity - l.quantity_fulfilled - l.quantity_cancelled, coalesce(sum(a.quantity), 0))
		FROM order_lines l LEFT JOIN allocations a ON a.store_id = l.store_id AND a.line_id = l.id
		WHERE l.store_id = ? GROUP BY l.store_id, l.id HAVING l.quantity - l.quantity_fulfilled - l.quantity_cancelled <> coalesce(sum(a.quantity), 0)`,
		f.actor.Store.ID, f.actor.Store.ID, f.actor.Store.ID).Scan(&drift).Error
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Errorf("allocations and items disagree: %v", drift)
	}
}

// wantCode checks err carries the code, and returns its errors (one per
// line for a list).
func wantCode(t testing.TB, what string, err error, code apperr.Code) []*apperr.Error {
	t.Helper()
	var list apperr.List
	switch e := err.(type) {
	case apperr.List:
		list = e
	case nil:
		t.Fatalf("%s error = nil, want %s", what, code)
	default:
		one, ok := apperr.As(err)
		if !ok {
			t.Fatalf("%s error = %v, want %s", what, err, code)
		}
		list = apperr.List{one}
	}
	for _, e := range list {
		if e.Code != code {
			t.Fatalf("%s error = %v (code %s), want %s", what, e, e.Code, code)
		}
	}
	return list
}

// eventTypes lists the store's stock events' types in order, joined.
func (f *fixture) eventTypes(t testing.TB, reason string) string {
	t.Helper()
	var types []string
	if err := f.db.Raw(`SELECT type::text FROM stock_events WHERE store_id = ? AND reason = ? ORDER BY id`, f.actor.Store.ID, reason).
		Scan(&types).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Join(types, " ")
}

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
