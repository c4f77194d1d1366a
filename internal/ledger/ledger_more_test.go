package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"stockgraph/internal/ledger"
	paging "stockgraph/internal/page"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// store is a seeded store: its variants, physical locations and virtual ones.
type store struct {
	db       *gorm.DB
	id       int64
	variants []int64
	physical []int64
	virt     ledger.Virtual
}

func newStore(t *testing.T, variants, locations int) store {
	t.Helper()
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: "ledger", Products: 1, Variants: variants, Locations: locations})
	if err != nil {
		t.Fatal(err)
	}
	s := store{db: db.DB, id: res.Store.ID}
	db.Raw(`SELECT id FROM variants ORDER BY id`).Scan(&s.variants)
	db.Raw(`SELECT id FROM locations WHERE type IN ('STORE', 'WAREHOUSE') ORDER BY id`).Scan(&s.physical)
	if s.virt, err = ledger.VirtualLocations(ctx, db.DB, s.id); err != nil {
		t.Fatalf("VirtualLocations error = %v", err)
	}
	return s
}

func (s store) inconsistencies(t *testing.T) []ledger.Mismatch {
	t.Helper()
	bad, err := ledger.Inconsistencies(context.Background(), s.db, s.id)
	if err != nil {
		t.Fatalf("Inconsistencies error = %v", err)
	}
	return bad
}

func (s store) item(t *testing.T, variant, location int64) models.InventoryItem {
	t.Helper()
	var it models.InventoryItem
	if err := s.db.Where("store_id = ? AND variant_id = ? AND location_id = ?", s.id, variant, location).Take(&it).Error; err != nil {
		t.Fatalf("load item: %v", err)
	}
	return it
}

// move is a movement of q units of variant between two ends.
func (s store) move(variant, from int64, fromState models.QuantityState, to int64, toState models.QuantityState, q int) models.Movement {
	return models.Movement{StoreID: s.id, OperationID: uuid.NewString(), VariantID: variant, FromLocationID: from, FromState: fromState,
		ToLocationID: to, ToState: toState, Quantity: q, Reason: "test"}
}

func (s store) appendMovements(t *testing.T, ms ...models.Movement) []models.Movement {
	t.Helper()
	if err := ledger.Append(context.Background(), s.db, ms); err != nil {
		t.Fatalf("Append error = %v", err)
	}
	return ms
}

// TestInconsistenciesFindsDrift: the report is empty for a seeded store
// and names each level changed behind the ledger's back.
func TestInconsistenciesFindsDrift(t *testing.T) {
	s := newStore(t, 2, 2)
	if bad := s.inconsistencies(t); len(bad) != 0 {
		t.Fatalf("Inconsistencies(seeded store) = %+v, want none", bad)
	}
	it := s.item(t, s.variants[0], s.physical[0])
	s.db.Exec(`UPDATE inventory_items SET on_hand = on_hand + 2, damaged = 1 WHERE id = ?`, it.ID)
	bad := s.inconsistencies(t)
	want := []ledger.Mismatch{
		{ItemID: it.ID, VariantID: it.VariantID, LocationID: it.LocationID, State: models.StateOnHand, Stored: it.OnHand + 2, Ledger: it.OnHand},
		{ItemID: it.ID, VariantID: it.VariantID, LocationID: it.LocationID, State: models.StateDamaged, Stored: 1, Ledger: 0},
	}
	if len(bad) != len(want) || bad[0] != want[0] || bad[1] != want[1] {
		t.Errorf("Inconsistencies(after tampering) = %+v, want %+v", bad, want)
	}
	s.db.Exec(`UPDATE inventory_items SET on_hand = on_hand - 2, damaged = 0 WHERE id = ?`, it.ID)

	// Stock the ledger puts at a location where the item is gone.
	gone := s.item(t, s.variants[1], s.physical[1])
	if gone.OnHand == 0 {
		t.Fatalf("seeded item %d has nothing on hand; the test needs some", gone.ID)
	}
	s.db.Exec(`DELETE FROM inventory_items WHERE id = ?`, gone.ID)
	bad = s.inconsistencies(t)
	if len(bad) != 2 || bad[0].ItemID != 0 || bad[0].LocationID != gone.LocationID || bad[0].Stored != 0 {
		t.Errorf("Inconsistencies(item deleted) = %+v, want its ON_HAND and BACKORDERED balances with item 0 at location %d", bad, gone.LocationID)
	}
	for _, m := range bad {
		if want := map[models.QuantityState]int{models.StateOnHand: gone.OnHand, models.StateBackordered: gone.QtyBackordered}[m.State]; m.Ledger != want {
			t.Errorf("Inconsistencies(item deleted) %s ledger = %d, want %d", m.State, m.Ledger, want)
		}
	}
}

// TestRecordOpeningBalances: levels set without the ledger, negative on
// hand and backorders included, are brought into it.
func TestRecordOpeningBalances(t *testing.T) {
	s := newStore(t, 3, 1)
	ctx := context.Background()
	l := s.physical[0]
	s.db.Exec(`DELETE FROM inventory_movements WHERE store_id = ?`, s.id)
	s.db.Exec(`UPDATE inventory_items SET on_hand = -4, qty_backordered = 3 WHERE variant_id = ?`, s.variants[0])
	s.db.Exec(`UPDATE inventory_items SET on_hand = 0, qty_backordered = 0 WHERE variant_id = ?`, s.variants[1])
	s.db.Exec(`UPDATE inventory_items SET on_hand = 7, qty_backordered = 0 WHERE variant_id = ?`, s.variants[2])
	if bad := s.inconsistencies(t); len(bad) != 3 {
		t.Fatalf("Inconsistencies(no ledger) = %+v, want 3 mismatches", bad)
	}
	if err := ledger.RecordOpeningBalances(ctx, s.db, s.id); err != nil {
		t.Fatalf("RecordOpeningBalances error = %v", err)
	}
	if bad := s.inconsistencies(t); len(bad) != 0 {
		t.Errorf("Inconsistencies(after opening balances) = %+v, want none", bad)
	}
	var ms []models.Movement
	s.db.Where("store_id = ?", s.id).Order("variant_id, from_state").Find(&ms)
	if len(ms) != 3 {
		t.Fatalf("opening movements = %+v, want 3", ms)
	}
	check := func(m models.Movement, from, to int64, state models.QuantityState, q int, fromBal, toBal *int) {
		t.Helper()
		if m.FromLocationID != from || m.ToLocationID != to || m.FromState != state || m.ToState != state || m.Quantity != q ||
			!sameInt(m.FromBalance, fromBal) || !sameInt(m.ToBalance, toBal) || m.Reason != "opening_balance" {
			t.Errorf("opening movement = %+v, want %d units of %s from %d to %d, balances %v → %v", m, q, state, from, to, show(fromBal), show(toBal))
		}
	}
	four, three, seven := -4, 3, 7
	check(ms[0], l, s.virt.Bin, models.StateOnHand, 4, &four, nil)
	check(ms[1], s.virt.Sold, l, models.StateBackordered, 3, nil, &three)
	check(ms[2], s.virt.Supplier, l, models.StateOnHand, 7, nil, &seven)
}

func sameInt(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(p *int) any {
	if p == nil {
		return "none"
	}
	return *p
}

// TestAppendAndLevelsAsOf: Append fills in IDs and times; LevelsAsOf
// sums the movements up to a time.
func TestAppendAndLevelsAsOf(t *testing.T) {
	s := newStore(t, 1, 2)
	ctx := context.Background()
	v, a, b := s.variants[0], s.physical[0], s.physical[1]
	s.db.Exec(`DELETE FROM inventory_movements WHERE store_id = ?`, s.id)
	dbNow := func() time.Time {
		var now time.Time
		s.db.Raw(`SELECT clock_timestamp()`).Scan(&now)
		return now
	}
	start := dbNow()
	first := s.appendMovements(t,
		s.move(v, s.virt.Supplier, models.StateOnHand, a, models.StateOnHand, 10),
		s.move(v, a, models.StateOnHand, a, models.StateDamaged, 2))
	mid := dbNow()
	second := s.appendMovements(t,
		s.move(v, a, models.StateOnHand, b, models.StateOnHand, 3),
		s.move(v, a, models.StateDamaged, s.virt.Bin, models.StateOnHand, 2))
	for i, m := range append(first, second...) {
		if m.ID == 0 {
			t.Errorf("Append movement %d ID = 0, want the ledger's", i)
		}
		if m.CreatedAt.IsZero() {
			t.Errorf("Append movement %d createdAt is zero, want the ledger's time", i)
		}
	}
	if first[1].ID <= first[0].ID || second[0].ID <= first[1].ID {
		t.Errorf("Append IDs = %d, %d, %d, want increasing in order", first[0].ID, first[1].ID, second[0].ID)
	}
	levelsAt := func(at *time.Time) map[[2]any]int {
		t.Helper()
		levels, err := ledger.LevelsAsOf(ctx, s.db, s.id, []int64{v}, at)
		if err != nil {
			t.Fatalf("LevelsAsOf error = %v", err)
		}
		out := map[[2]any]int{}
		for _, l := range levels {
			if l.VariantID != v {
				t.Errorf("LevelsAsOf level of variant %d, want only %d", l.VariantID, v)
			}
			if l.Quantity != 0 {
				out[[2]any{l.LocationID, l.State}] = l.Quantity
			}
		}
		return out
	}
	on, dmg := models.StateOnHand, models.StateDamaged
	for _, tt := range []struct {
		name string
		at   *time.Time
		want map[[2]any]int
	}{
		{"before", &start, map[[2]any]int{}},
		{"between", &mid, map[[2]any]int{{s.virt.Supplier, on}: -10, {a, on}: 8, {a, dmg}: 2}},
		{"now", nil, map[[2]any]int{{s.virt.Supplier, on}: -10, {a, on}: 5, {b, on}: 3, {s.virt.Bin, on}: 2}},
	} {
		got := levelsAt(tt.at)
		if len(got) != len(tt.want) {
			t.Errorf("LevelsAsOf(%s) = %v, want %v", tt.name, got, tt.want)
			continue
		}
		for k, q := range tt.want {
			if got[k] != q {
				t.Errorf("LevelsAsOf(%s) = %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
}

// TestListAndPagesByItems: filters, newest first, pages both ways.
func TestListAndPagesByItems(t *testing.T) {
	s := newStore(t, 2, 2)
	ctx := context.Background()
	v, a, b := s.variants, s.physical[0], s.physical[1]
	s.db.Exec(`DELETE FROM inventory_movements WHERE store_id = ?`, s.id)
	var ids []int64
	for i := range 5 {
		m := s.move(v[0], a, models.StateOnHand, b, models.StateOnHand, i+1)
		if i == 4 {
			m.Reason, m.Reference = "count", "REF-9"
		}
		ids = append(ids, s.appendMovements(t, m)[0].ID)
	}
	other := s.appendMovements(t, s.move(v[1], s.virt.Supplier, models.StateOnHand, a, models.StateOnHand, 9))[0]

	list := func(f ledger.Filter, w paging.Window) paging.Page[models.Movement] {
		t.Helper()
		p, err := ledger.List(ctx, s.db, s.id, f, w)
		if err != nil {
			t.Fatalf("List error = %v", err)
		}
		return p
	}
	idsOf := func(p paging.Page[models.Movement]) []int64 {
		var out []int64
		for _, m := range p.Items {
			out = append(out, m.ID)
		}
		return out
	}
	p := list(ledger.Filter{VariantIDs: []int64{v[0]}}, paging.Window{Limit: 2})
	if got := idsOf(p); len(got) != 2 || got[0] != ids[4] || got[1] != ids[3] || !p.HasNextPage || p.HasPreviousPage {
		t.Errorf("List(variant, first 2) = %v next %v prev %v, want [%d %d] next true prev false", got, p.HasNextPage, p.HasPreviousPage, ids[4], ids[3])
	}
	p = list(ledger.Filter{VariantIDs: []int64{v[0]}}, paging.Window{Limit: 2, From: &paging.Position{ID: ids[3]}})
	if got := idsOf(p); len(got) != 2 || got[0] != ids[2] || got[1] != ids[1] || !p.HasNextPage || !p.HasPreviousPage {
		t.Errorf("List(variant, after %d) = %v, want [%d %d] with pages both ways", ids[3], got, ids[2], ids[1])
	}
	p = list(ledger.Filter{VariantIDs: []int64{v[0]}}, paging.Window{Limit: 2, Backward: true, From: &paging.Position{ID: ids[1]}})
	if got := idsOf(p); len(got) != 2 || got[0] != ids[3] || got[1] != ids[2] || !p.HasPreviousPage {
		t.Errorf("List(variant, 2 before %d) = %v, want [%d %d] newest first with a previous page", ids[1], got, ids[3], ids[2])
	}
	if got := idsOf(list(ledger.Filter{Reasons: []string{"count"}}, paging.Window{Limit: 10})); len(got) != 1 || got[0] != ids[4] {
		t.Errorf("List(reason count) = %v, want [%d]", got, ids[4])
	}
	if got := idsOf(list(ledger.Filter{Reference: "REF-9"}, paging.Window{Limit: 10})); len(got) != 1 || got[0] != ids[4] {
		t.Errorf("List(reference REF-9) = %v, want [%d]", got, ids[4])
	}
	if got := idsOf(list(ledger.Filter{LocationIDs: []int64{s.virt.Supplier}}, paging.Window{Limit: 10})); len(got) != 1 || got[0] != other.ID {
		t.Errorf("List(location SUPPLIER) = %v, want [%d]", got, other.ID)
	}
	if got := idsOf(list(ledger.Filter{VariantIDs: []int64{}}, paging.Window{Limit: 10})); len(got) != 0 {
		t.Errorf("List(no variants) = %v, want none", got)
	}
	future := time.Now().Add(time.Hour)
	if got := idsOf(list(ledger.Filter{From: &future}, paging.Window{Limit: 10})); len(got) != 0 {
		t.Errorf("List(from an hour ahead) = %v, want none", got)
	}

	itemA, itemB := s.item(t, v[0], a), s.item(t, v[1], b)
	pages, err := ledger.PagesByItems(ctx, s.db, s.id, []int64{itemA.ID, itemB.ID}, paging.Window{Limit: 3})
	if err != nil {
		t.Fatalf("PagesByItems error = %v", err)
	}
	if got := idsOf(pages[itemA.ID]); len(got) != 3 || got[0] != ids[4] || !pages[itemA.ID].HasNextPage {
		t.Errorf("PagesByItems(item A) = %v, want the newest 3 from %d with a next page", got, ids[4])
	}
	if got := pages[itemB.ID]; len(got.Items) != 0 || got.HasNextPage {
		t.Errorf("PagesByItems(item with no movements) = %v, want an empty page", idsOf(got))
	}
}

// TestVirtualOfFindsByType: the ledger's far ends are found by type, the
// one way every write finds them, whatever the locations' codes say.
func TestVirtualOfFindsByType(t *testing.T) {
	tests := []struct {
		name      string
		locations []models.Location
		want      ledger.Virtual
		wantErr   bool
	}{
		{"renamed codes", []models.Location{{ID: 1, Code: "SOLD", Type: models.LocationSupplier}, {ID: 2, Code: "X", Type: models.LocationSold},
			{ID: 3, Code: "SUPPLIER", Type: models.LocationBin}, {ID: 4, Code: "BIN", Type: models.LocationStore}}, ledger.Virtual{Supplier: 1, Sold: 2, Bin: 3}, false},
		{"no bin", []models.Location{{ID: 1, Type: models.LocationSupplier}, {ID: 2, Type: models.LocationSold}, {ID: 3, Code: "BIN", Type: models.LocationWarehouse}}, ledger.Virtual{Supplier: 1, Sold: 2}, true},
	}
	for _, tt := range tests {
		got, err := ledger.VirtualOf(tt.locations)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("VirtualOf(%s) = %+v, %v; want %+v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if tt.wantErr {
			continue
		}
		for typ, id := range map[models.LocationType]int64{models.LocationSupplier: 1, models.LocationSold: 2, models.LocationBin: 3, models.LocationStore: 0} {
			if got.Of(typ) != id {
				t.Errorf("VirtualOf(%s).Of(%s) = %d, want %d", tt.name, typ, got.Of(typ), id)
			}
		}
	}
}
