package api_test

import (
	"testing"
	"time"
)

// stockFixture is a store built through the API the way the seed
// documents' examples assume: three locations and a few variants.
type stockFixture struct {
	e     *env
	token string
	loc   [4]string         // loc[1..3], as the documents number them
	v     map[string]string // SKU → variant ID
	p111  string            // a product with exactly one variant
	shirt string            // a product with three variants
}

func newStockFixture(t *testing.T) *stockFixture {
	t.Helper()
	return stockFixtureOn(newEnv(t))
}

// stockFixtureOn builds the fixture's store on e.
func stockFixtureOn(e *env) *stockFixture {
	e.t.Helper()
	e.seedStore("docs", 1, 1, 1)
	var storeID int64
	e.db.Raw(`SELECT id FROM stores WHERE handle = 'docs'`).Scan(&storeID)
	f := &stockFixture{e: e, token: e.token(storeID, "read_inventory", "write_inventory", "write_catalog"), v: map[string]string{}}
	for i, code := range []string{"", "BC-LOCATION-1", "BC-LOCATION-2", "BC-LOCATION-3"} {
		if i == 0 {
			continue
		}
		var out struct {
			CreateLocation struct{ Location struct{ ID string } }
		}
		e.mustData(f.token, `mutation($c: String!) { createLocation(input: {code: $c, name: $c, type: STORE}) { location { id } } }`,
			map[string]any{"c": code}, &out)
		f.loc[i] = out.CreateLocation.Location.ID
	}
	for _, p := range []struct {
		name string
		skus []string
	}{{"Shirt", []string{"sku-1", "sku-2", "sku-3"}}, {"Mug", []string{"sku-4"}}, {"Cap", []string{"sku-5"}}, {"Poster", []string{"sku-111"}}, {"Retro", []string{"RE-130"}}} {
		variants := []map[string]any{}
		for _, s := range p.skus {
			variants = append(variants, map[string]any{"sku": s})
		}
		var out struct {
			CreateProduct struct {
				Product struct {
					ID       string
					Variants struct{ Nodes []struct{ ID, Sku string } }
				}
			}
		}
		e.mustData(f.token, `mutation($n: String!, $v: [VariantFieldsInput!]) { createProduct(input: {name: $n, variants: $v}) {
			product { id variants { nodes { id sku } } } } }`, map[string]any{"n": p.name, "v": variants}, &out)
		for _, v := range out.CreateProduct.Product.Variants.Nodes {
			f.v[v.Sku] = v.ID
		}
		switch p.name {
		case "Poster":
			f.p111 = out.CreateProduct.Product.ID
		case "Shirt":
			f.shirt = out.CreateProduct.Product.ID
		}
	}
	return f
}

const adjustPayload = `items { onHand qtyBackordered revision variant { sku } location { code } }
	movements { quantity fromState toState from { type } to { code type } reason toBalance fromBalance }
	results { index error { code } } replayed dryRun`

type adjustResult struct {
	Items []struct {
		OnHand, QtyBackordered, Revision int
		Variant                          struct{ Sku string }
		Location                         struct{ Code string }
	}
	Movements []struct {
		Quantity               int
		FromState, ToState     string
		From                   struct{ Type string }
		To                     struct{ Code, Type string }
		Reason                 string
		ToBalance, FromBalance *int
	}
	Results []struct {
		Index int
		Error *struct{ Code string }
	}
	Replayed, DryRun bool
}

// level reads one item's on hand and backordered quantities.
func (f *stockFixture) level(sku string, loc int) (onHand, backordered int) {
	f.e.t.Helper()
	var out struct {
		Store struct {
			Variant struct {
				Inventory struct {
					ByLocation []struct{ OnHand, QtyBackordered int }
				}
			}
		}
	}
	f.e.mustData(f.token, `query($s: String!, $l: ID!) { store { variant(sku: $s) { inventory { byLocation(locationIds: [$l]) { onHand qtyBackordered } } } } }`,
		map[string]any{"s": sku, "l": f.loc[loc]}, &out)
	bl := out.Store.Variant.Inventory.ByLocation
	if len(bl) == 0 {
		return 0, 0
	}
	return bl[0].OnHand, bl[0].QtyBackordered
}

func (f *stockFixture) mustBeConsistent() {
	f.e.t.Helper()
	var out struct {
		InventoryConsistencyReport struct {
			Consistent bool
			Mismatches []map[string]any
		}
	}
	f.e.mustData(f.token, `{ inventoryConsistencyReport { consistent mismatches { variantId state stored ledger } } }`, nil, &out)
	if !out.InventoryConsistencyReport.Consistent {
		f.e.t.Fatalf("inventoryConsistencyReport = %+v, want consistent", out.InventoryConsistencyReport.Mismatches)
	}
}

// TestBigCommerceAdjustments replays the BigCommerce document's absolute
// and relative adjustment bodies in GraphQL form.
func TestBigCommerceAdjustments(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	e.mustData(f.token, `mutation { updateInventoryConfiguration(input: {backordersEnabled: true}) { configuration { backordersEnabled } } }`, nil, nil)
	e.mustData(f.token, `mutation($l1: ID!, $l3: ID!) {
		a: updateInventorySettings(input: {locationId: $l1, settings: [{sku: "sku-1", backorderLimit: 10}]}) { items { revision } }
		b: updateInventorySettings(input: {locationId: $l3, settings: [{sku: "sku-4", backorderLimit: 10}]}) { items { revision } } }`,
		map[string]any{"l1": f.loc[1], "l3": f.loc[3]}, nil)

	var abs struct{ AdjustInventoryAbsolute adjustResult }
	e.mustData(f.token, `mutation($in: AdjustInventoryInput!) { adjustInventoryAbsolute(input: $in) { `+adjustPayload+` } }`,
		map[string]any{"in": map[string]any{"reason": "Absolute adjustment reason", "items": []map[string]any{
			{"locationId": f.loc[1], "variantId": f.v["sku-1"], "quantity": 1, "qtyBackordered": 0},
			{"locationId": f.loc[2], "variantId": f.v["sku-3"], "quantity": 1},
			{"locationId": f.loc[3], "sku": "sku-4", "qtyBackordered": 0},
			{"locationId": f.loc[1], "sku": "sku-5", "quantity": 1, "qtyBackordered": 0},
			{"locationId": f.loc[1], "productId": f.p111, "quantity": 7, "qtyBackordered": 0},
		}}}, &abs)
	a := abs.AdjustInventoryAbsolute
	if len(a.Items) != 5 || len(a.Results) != 5 {
		t.Fatalf("absolute adjustment returned %d items and %d results, want 5 and 5", len(a.Items), len(a.Results))
	}
	// Four items got stock from the supplier; nothing else changed.
	if len(a.Movements) != 4 {
		t.Errorf("absolute adjustment wrote %d movements, want 4: %+v", len(a.Movements), a.Movements)
	}
	for _, m := range a.Movements {
		if m.From.Type != "SUPPLIER" || m.FromState != "ON_HAND" || m.Reason != "Absolute adjustment reason" || m.ToBalance == nil || *m.ToBalance != m.Quantity {
			t.Errorf("movement %+v, want from the supplier, with the reason and the new balance", m)
		}
	}
	for _, c := range []struct {
		sku       string
		loc, want int
	}{{"sku-1", 1, 1}, {"sku-3", 2, 1}, {"sku-4", 3, 0}, {"sku-5", 1, 1}, {"sku-111", 1, 7}} {
		if got, _ := f.level(c.sku, c.loc); got != c.want {
			t.Errorf("onHand(%s at location %d) = %d, want %d", c.sku, c.loc, got, c.want)
		}
	}

	// Backorders to take back before the relative body runs.
	e.mustData(f.token, `mutation($in: AdjustInventoryInput!) { adjustInventoryAbsolute(input: $in) { items { qtyBackordered } } }`,
		map[string]any{"in": map[string]any{"reason": "orders", "items": []map[string]any{
			{"locationId": f.loc[1], "sku": "sku-1", "qtyBackordered": 2},
			{"locationId": f.loc[3], "sku": "sku-4", "qtyBackordered": 5},
		}}}, nil)

	var rel struct{ AdjustInventoryRelative adjustResult }
	e.mustData(f.token, `mutation($in: AdjustInventoryInput!) { adjustInventoryRelative(input: $in) { `+adjustPayload+` } }`,
		map[string]any{"in": map[string]any{"reason": "Relative adjustment reason", "items": []map[string]any{
			{"locationId": f.loc[1], "variantId": f.v["sku-1"], "quantity": 1, "qtyBackordered": -1},
			{"locationId": f.loc[2], "variantId": f.v["sku-3"], "quantity": 1},
			{"locationId": f.loc[3], "sku": "sku-4", "qtyBackordered": -3},
			{"locationId": f.loc[1], "sku": "sku-5", "quantity": -1},
		}}}, &rel)
	for _, c := range []struct {
		sku                 string
		loc, onHand, backor int
	}{{"sku-1", 1, 2, 1}, {"sku-3", 2, 2, 0}, {"sku-4", 3, 0, 2}, {"sku-5", 1, 0, 0}} {
		if oh, bo := f.level(c.sku, c.loc); oh != c.onHand || bo != c.backor {
			t.Errorf("level(%s at location %d) = %d on hand, %d backordered, want %d, %d", c.sku, c.loc, oh, bo, c.onHand, c.backor)
		}
	}
	if n := len(rel.AdjustInventoryRelative.Movements); n != 5 {
		t.Errorf("relative adjustment wrote %d movements, want 5", n)
	}
	f.mustBeConsistent()
}

// TestBigCommerceSettingsAndLocationRead sets the settings of the
// document's RE-130 example and reads them back per location.
func TestBigCommerceSettingsAndLocationRead(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	e.mustData(f.token, `mutation { updateInventoryConfiguration(input: {backordersEnabled: true}) { configuration { backordersEnabled } } }`, nil, nil)
	e.mustData(f.token, `mutation($l: ID!) { updateInventorySettings(input: {locationId: $l, settings: [
		{sku: "RE-130", safetyStock: 2, isInStock: true, warningLevel: 2, binPickingNumber: "1", backorderLimit: 33}]}) { items { id } } }`,
		map[string]any{"l": f.loc[1]}, nil)
	e.mustData(f.token, `mutation($l: ID!) { adjustInventoryAbsolute(input: {reason: "count", items: [{locationId: $l, sku: "RE-130", quantity: 12}]}) { items { id } } }`,
		map[string]any{"l": f.loc[1]}, nil)
	// "Update backorder limit": the document's PUT sets backorder_limit 100.
	e.mustData(f.token, `mutation($l: ID!, $v: ID!) { updateInventorySettings(input: {locationId: $l, settings: [{variantId: $v, backorderLimit: 100}]}) { items { settings { backorderLimit } } } }`,
		map[string]any{"l": f.loc[1], "v": f.v["sku-1"]}, nil)

	var out struct {
		Node struct {
			InventoryItems struct {
				Nodes []struct {
					Variant                                 struct{ Sku string }
					AvailableToSell, OnHand, QtyBackordered int
					Settings                                struct {
						SafetyStock, WarningLevel, BackorderLimit int
						IsInStock                                 bool
						BinPickingNumber                          string
					}
				}
			}
		}
	}
	e.mustData(f.token, `query($l: ID!) { node(id: $l) { ... on Location { inventoryItems { nodes {
		variant { sku } availableToSell onHand qtyBackordered
		settings { safetyStock isInStock warningLevel binPickingNumber backorderLimit } } } } } }`, map[string]any{"l": f.loc[1]}, &out)
	found := map[string]bool{}
	for _, n := range out.Node.InventoryItems.Nodes {
		found[n.Variant.Sku] = true
		switch n.Variant.Sku {
		case "RE-130":
			s := n.Settings
			if n.AvailableToSell != 10 || n.OnHand != 12 || n.QtyBackordered != 0 || s.SafetyStock != 2 || !s.IsInStock || s.WarningLevel != 2 || s.BinPickingNumber != "1" || s.BackorderLimit != 33 {
				t.Errorf("RE-130 at BC-LOCATION-1 = %+v, want available 10, on hand 12, safety 2, warning 2, bin 1, limit 33", n)
			}
		case "sku-1":
			if n.Settings.BackorderLimit != 100 {
				t.Errorf("sku-1 backorderLimit = %d, want 100", n.Settings.BackorderLimit)
			}
		}
	}
	if !found["RE-130"] || !found["sku-1"] {
		t.Errorf("location items = %v, want RE-130 and sku-1", found)
	}
}

// TestOracleBackorderable: backorderLevel 200, backorderThreshold 15 and
// no stock make the SKU BACKORDERABLE (1003), once backorders are on.
func TestOracleBackorderable(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	set := `mutation($l: ID!) { updateInventorySettings(input: {locationId: $l, settings: [{sku: "sku-2", backorderLimit: 200, backorderThreshold: 15}]}) {
		items { availability availabilityCode availableToPromise availableForBackorder onHand settings { backorderLimit backorderThreshold } } } }`
	if r := e.do(f.token, set, map[string]any{"l": f.loc[1]}); r.code() != "FEATURE_DISABLED" {
		t.Fatalf("backorder settings with backorders off: code %q, want FEATURE_DISABLED", r.code())
	}
	e.mustData(f.token, `mutation { updateInventoryConfiguration(input: {backordersEnabled: true, preordersEnabled: true}) { configuration { backordersEnabled preordersEnabled } } }`, nil, nil)
	var out struct {
		UpdateInventorySettings struct {
			Items []struct {
				Availability                                                        string
				AvailabilityCode, AvailableToPromise, AvailableForBackorder, OnHand int
				Settings                                                            struct{ BackorderLimit, BackorderThreshold int }
			}
		}
	}
	e.mustData(f.token, set, map[string]any{"l": f.loc[1]}, &out)
	it := out.UpdateInventorySettings.Items[0]
	if it.Availability != "BACKORDERABLE" || it.AvailabilityCode != 1003 || it.AvailableForBackorder != 200 || it.OnHand != 0 ||
		it.Settings.BackorderLimit != 200 || it.Settings.BackorderThreshold != 15 {
		t.Errorf("item = %+v, want BACKORDERABLE (1003) with 200 to backorder", it)
	}
	var agg struct {
		Store struct {
			Variant struct {
				Inventory struct {
					Aggregated struct {
						Availability     string
						AvailabilityCode int
					}
				}
			}
		}
	}
	e.mustData(f.token, `{ store { variant(sku: "sku-2") { inventory { aggregated { availability availabilityCode } } } } }`, nil, &agg)
	if a := agg.Store.Variant.Inventory.Aggregated; a.Availability != "BACKORDERABLE" || a.AvailabilityCode != 1003 {
		t.Errorf("aggregated = %+v, want BACKORDERABLE 1003", a)
	}
}

// TestZettleMove moves two variants out of a store location in one call
// and gets the source's balances back, as in the Zettle document: the
// source is the store's default location (Zettle's STORE location),
// whose balances come back when none are asked for.
func TestZettleMove(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	e.mustData(f.token, `mutation($l: ID!) { updateInventoryConfiguration(input: {defaultLocationId: $l}) { configuration { defaultLocation { id } } } }`,
		map[string]any{"l": f.loc[1]}, nil)
	e.mustData(f.token, `mutation($l: ID!) { adjustInventoryAbsolute(input: {reason: "count", items: [
		{locationId: $l, sku: "sku-1", quantity: 238}, {locationId: $l, sku: "sku-2", quantity: 12033}]}) { items { id } } }`,
		map[string]any{"l": f.loc[1]}, nil)
	var out struct {
		MoveInventory struct {
			Location struct{ Code, Type string }
			Balances []struct {
				Variant struct{ Sku string }
				Balance int
			}
			Movements []struct{ Quantity int }
		}
	}
	move := `mutation($in: MoveInventoryInput!) { moveInventory(input: $in) {
		location { code type } balances { variant { sku } balance } movements { quantity } replayed } }`
	in := map[string]any{"idempotencyKey": "65314d7e-5f0f-11ec-bf63-0242ac130002", "changes": []map[string]any{
		{"variantId": f.v["sku-1"], "fromLocationId": f.loc[1], "toLocationId": f.loc[2], "quantity": 42},
		{"variantId": f.v["sku-2"], "fromLocationId": f.loc[1], "toLocationId": f.loc[2], "quantity": 1337},
	}}
	e.mustData(f.token, move, map[string]any{"in": in}, &out)
	m := out.MoveInventory
	if m.Location.Code != "BC-LOCATION-1" || m.Location.Type != "STORE" || len(m.Balances) != 2 ||
		m.Balances[0].Balance != 196 || m.Balances[1].Balance != 10696 {
		t.Fatalf("moveInventory = %+v, want balances 196 and 10696 at the source", m)
	}
	// The same externalUuid again changes nothing.
	e.mustData(f.token, move, map[string]any{"in": in}, nil)
	if got, _ := f.level("sku-1", 2); got != 42 {
		t.Errorf("onHand(sku-1 at the destination) after a retried move = %d, want 42", got)
	}
	in["changes"] = []map[string]any{{"variantId": f.v["sku-1"], "fromLocationId": f.loc[1], "toLocationId": f.loc[2], "quantity": 1}}
	if r := e.do(f.token, move, map[string]any{"in": in}); r.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("the key with another input: code %q, want IDEMPOTENCY_KEY_REUSED", r.code())
	}
	f.mustBeConsistent()
}

// TestWixRevisionConflict: an update that passes a stale revision is
// refused and told the current one.
func TestWixRevisionConflict(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	adjust := `mutation($l: ID!, $rev: Int) { adjustInventoryAbsolute(input: {reason: "count", items: [{locationId: $l, sku: "sku-3", quantity: 5, expectedRevision: $rev}]}) { items { revision onHand } } }`
	var first struct {
		AdjustInventoryAbsolute struct {
			Items []struct{ Revision, OnHand int }
		}
	}
	e.mustData(f.token, adjust, map[string]any{"l": f.loc[1]}, &first)
	rev := first.AdjustInventoryAbsolute.Items[0].Revision
	var second struct {
		AdjustInventoryAbsolute struct {
			Items []struct{ Revision, OnHand int }
		}
	}
	e.mustData(f.token, adjust, map[string]any{"l": f.loc[1], "rev": rev}, &second)
	// Same quantity: nothing changed, so the revision stays.
	stale := rev - 1
	r := e.do(f.token, adjust, map[string]any{"l": f.loc[1], "rev": stale})
	if r.code() != "REVISION_CONFLICT" || r.Errors[0].Extensions["currentRevision"] != float64(second.AdjustInventoryAbsolute.Items[0].Revision) ||
		r.Errors[0].Extensions["index"] != float64(0) {
		t.Errorf("stale revision: %+v, want REVISION_CONFLICT with currentRevision %d at index 0", r.Errors, second.AdjustInventoryAbsolute.Items[0].Revision)
	}
}

// TestLedgerQueries reads the ledger back: the item's movements, the
// filtered ledger, and on hand as of a past time.
func TestLedgerQueries(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	adjust := `mutation($l: ID!, $q: Int!, $ref: String) { adjustInventoryRelative(input: {reason: "received", reference: $ref, items: [{locationId: $l, sku: "sku-1", quantity: $q}]}) { items { onHand } } }`
	e.mustData(f.token, adjust, map[string]any{"l": f.loc[1], "q": 10, "ref": "PO-1"}, nil)
	time.Sleep(20 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	e.mustData(f.token, adjust, map[string]any{"l": f.loc[1], "q": 5, "ref": "PO-2"}, nil)

	var out struct {
		Store struct {
			Variant struct {
				Then struct {
					Aggregated struct{ OnHand int }
				}
				Now struct {
					Aggregated struct{ OnHand int }
					ByLocation []struct {
						Movements struct {
							Nodes []struct {
								Quantity  int
								Reference string
							}
						}
					}
				}
			}
		}
		InventoryMovements struct {
			Nodes []struct{ Reference string }
		}
	}
	e.mustData(f.token, `query($at: DateTime!, $l: ID!) {
		store { variant(sku: "sku-1") {
			then: inventory(asOf: $at) { aggregated { onHand } }
			now: inventory { aggregated { onHand } byLocation(locationIds: [$l]) { movements(first: 10) { nodes { quantity reference } } } } } }
		inventoryMovements(filter: {reference: "PO-2"}) { nodes { reference } } }`,
		map[string]any{"at": between.Format(time.RFC3339Nano), "l": f.loc[1]}, &out)
	v := out.Store.Variant
	if v.Then.Aggregated.OnHand != 10 || v.Now.Aggregated.OnHand != 15 {
		t.Errorf("onHand as of between = %d, now = %d, want 10 and 15", v.Then.Aggregated.OnHand, v.Now.Aggregated.OnHand)
	}
	mv := v.Now.ByLocation[0].Movements.Nodes
	if len(mv) != 2 || mv[0].Reference != "PO-2" || mv[1].Reference != "PO-1" {
		t.Errorf("item movements = %+v, want PO-2 then PO-1 (newest first)", mv)
	}
	if n := out.InventoryMovements.Nodes; len(n) != 1 || n[0].Reference != "PO-2" {
		t.Errorf("inventoryMovements(reference: PO-2) = %+v, want one", n)
	}
}
