package api_test

import (
	"strings"
	"testing"

	"stockgraph/internal/api"
)

// wantError checks a response's first error: its code and its field, the
// input path as the client sent it.
func wantError(t *testing.T, what string, r response, code, field string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Errorf("%s: no error, want %s at %s; data %s", what, code, field, r.Data)
		return
	}
	got, _ := r.Errors[0].Extensions["field"].(string)
	if r.code() != code || got != field {
		t.Errorf("%s: error %s at %q (%s), want %s at %q", what, r.code(), got, r.Errors[0].Message, code, field)
	}
}

// TestDefaultLocationThroughGraphQL: the default location as a client
// meets it: read from the configuration, used by a write without
// locationId (the payload's item says where), set by
// updateInventoryConfiguration, kept from deletion and disabling; with
// none, a write without locationId is a client error naming the field,
// never INTERNAL.
func TestDefaultLocationThroughGraphQL(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	var cfg struct {
		Store struct {
			Configuration struct {
				DefaultLocation         struct{ ID, Code string }
				RequireExpectedRevision bool
			}
		}
	}
	e.mustData(f.token, `{ store { configuration { defaultLocation { id code } requireExpectedRevision } } }`, nil, &cfg)
	def := cfg.Store.Configuration.DefaultLocation
	if def.ID == "" || cfg.Store.Configuration.RequireExpectedRevision {
		t.Fatalf("configuration = %+v, want the seeded location as default and revisions optional", cfg.Store.Configuration)
	}

	const adjust = `mutation($r: Int) { adjustInventoryRelative(input: {reason: "received", items: [{sku: "sku-4", quantity: 2, expectedRevision: $r}]}) {
		items { location { id } revision } } }`
	var adj struct {
		AdjustInventoryRelative struct {
			Items []struct {
				Location struct{ ID string }
				Revision int
			}
		}
	}
	e.mustData(f.token, adjust, nil, &adj)
	if got := adj.AdjustInventoryRelative.Items[0].Location.ID; got != def.ID {
		t.Errorf("adjustInventoryRelative without locationId wrote at %s, want the default %s", got, def.ID)
	}
	var set struct {
		UpdateInventoryConfiguration struct {
			Configuration struct {
				DefaultLocation         struct{ ID string }
				RequireExpectedRevision bool
			}
		}
	}
	e.mustData(f.token, `mutation($l: ID!) { updateInventoryConfiguration(input: {defaultLocationId: $l, requireExpectedRevision: true}) {
		configuration { defaultLocation { id } requireExpectedRevision } } }`, map[string]any{"l": f.loc[2]}, &set)
	if c := set.UpdateInventoryConfiguration.Configuration; c.DefaultLocation.ID != f.loc[2] || !c.RequireExpectedRevision {
		t.Fatalf("updateInventoryConfiguration = %+v, want default %s and revisions required", c, f.loc[2])
	}
	e.mustData(f.token, adjust, nil, &adj)
	if got := adj.AdjustInventoryRelative.Items[0].Location.ID; got != f.loc[2] {
		t.Errorf("adjust without locationId after the change wrote at %s, want %s", got, f.loc[2])
	}

	// An empty location made the default can be neither deleted nor disabled.
	var created struct {
		CreateLocation struct{ Location struct{ ID string } }
	}
	e.mustData(f.token, `mutation { createLocation(input: {code: "EMPTY", name: "Empty"}) { location { id } } }`, nil, &created)
	empty := created.CreateLocation.Location.ID
	const setDefault = `mutation($l: ID!) { updateInventoryConfiguration(input: {defaultLocationId: $l}) { configuration { requireExpectedRevision } } }`
	e.mustData(f.token, setDefault, map[string]any{"l": empty}, nil)
	wantError(t, "deleteLocation(default)", e.do(f.token, `mutation($l: ID!) { deleteLocation(input: {id: $l}) { deletedLocationId } }`,
		map[string]any{"l": empty}), "DEFAULT_LOCATION_IN_USE", "input.id")
	wantError(t, "updateLocation(default, disabled)", e.do(f.token, `mutation($l: ID!) { updateLocation(input: {id: $l, enabled: false}) { location { id } } }`,
		map[string]any{"l": empty}), "DEFAULT_LOCATION_IN_USE", "input.enabled")
	e.mustData(f.token, setDefault, map[string]any{"l": f.loc[2]}, nil)
	wantError(t, "updateInventoryConfiguration(default SUPPLIER)", e.do(f.token, `mutation($l: ID!) { updateInventoryConfiguration(input: {defaultLocationId: $l}) {
		configuration { requireExpectedRevision } } }`, map[string]any{"l": f.virtualID(t, "SUPPLIER")}), "BAD_USER_INPUT", "input.defaultLocationId")

	e.db.Exec(`UPDATE stores SET default_location_id = NULL WHERE handle = 'docs'`)
	wantError(t, "stockVariant without locationId and no default", e.do(f.token, `mutation($v: ID!) { stockVariant(input: {variantId: $v}) { created } }`,
		map[string]any{"v": f.v["RE-130"]}), "NO_DEFAULT_LOCATION", "input.locationId")
}

// TestWixRulesThroughGraphQL: expectedRevision required on demand
// (REVISION_REQUIRED at the field), updateInventoryItem's size limit, and
// a STATUS item refusing a quantity (TRACKED_BY_STATUS).
func TestWixRulesThroughGraphQL(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	const adjust = `mutation($l: ID!, $s: String!, $q: Int!, $r: Int) { adjustInventoryAbsolute(input: {reason: "count",
		items: [{locationId: $l, sku: $s, quantity: $q, expectedRevision: $r}]}) { replayed } }`
	e.mustData(f.token, adjust, map[string]any{"l": f.loc[1], "s": "sku-4", "q": 5}, nil)
	e.mustData(f.token, `mutation { updateInventoryConfiguration(input: {requireExpectedRevision: true}) { configuration { requireExpectedRevision } } }`, nil, nil)
	wantError(t, "adjust without expectedRevision", e.do(f.token, adjust, map[string]any{"l": f.loc[1], "s": "sku-4", "q": 6}),
		"REVISION_REQUIRED", "input.items[0].expectedRevision")
	e.mustData(f.token, adjust, map[string]any{"l": f.loc[1], "s": "sku-4", "q": 6, "r": f.revision(t, "sku-4", 1)}, nil)

	// updateInventoryItem: metadata is size-limited, the revision required.
	var item struct {
		Store struct {
			Variant struct {
				Inventory struct {
					ByLocation []struct {
						ID       string
						Revision int
					}
				}
			}
		}
	}
	e.mustData(f.token, `query($l: ID!) { store { variant(sku: "sku-4") { inventory { byLocation(locationIds: [$l]) { id revision } } } } }`,
		map[string]any{"l": f.loc[1]}, &item)
	const update = `mutation($id: ID!, $m: JSON, $r: Int) { updateInventoryItem(input: {id: $id, reference: "ERP-1", metadata: $m, expectedRevision: $r}) {
		inventoryItem { reference } } }`
	it := item.Store.Variant.Inventory.ByLocation[0]
	wantError(t, "updateInventoryItem(metadata over 16 KiB)", e.do(f.token, update, map[string]any{"id": it.ID, "r": it.Revision,
		"m": map[string]any{"x": strings.Repeat("x", api.MaxMetadataBytes)}}), "BAD_USER_INPUT", "input.metadata")
	wantError(t, "updateInventoryItem(no revision)", e.do(f.token, update, map[string]any{"id": it.ID, "m": map[string]any{"bin": "A-1"}}),
		"REVISION_REQUIRED", "input.expectedRevision")
	e.mustData(f.token, update, map[string]any{"id": it.ID, "r": it.Revision, "m": map[string]any{"bin": "A-1"}}, nil)

	// A STATUS item refuses a quantity.
	e.mustData(f.token, `mutation($l: ID!, $r: Int) { updateInventorySettings(input: {locationId: $l, settings: [{sku: "sku-4", trackingMode: STATUS, expectedRevision: $r}]}) { dryRun } }`,
		map[string]any{"l": f.loc[1], "r": f.revision(t, "sku-4", 1)}, nil)
	wantError(t, "adjust a STATUS item", e.do(f.token, adjust, map[string]any{"l": f.loc[1], "s": "sku-4", "q": 7, "r": f.revision(t, "sku-4", 1)}),
		"TRACKED_BY_STATUS", "input.items[0].quantity")
}

// TestBulkUpdateThroughGraphQL: Zettle's bulk call names a failing line
// by its path, and returns the default location's balances.
func TestBulkUpdateThroughGraphQL(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	e.mustData(f.token, `mutation($l: ID!) { updateInventoryConfiguration(input: {defaultLocationId: $l}) { configuration { requireExpectedRevision } } }`,
		map[string]any{"l": f.loc[2]}, nil)
	const bulk = `mutation($p: ID!, $a: ID!, $b: ID!, $q: Int!) { bulkUpdateInventory(input: {productChanges: [{productId: $p, trackingChange: START_TRACKING,
		variantChanges: [{sku: "sku-1", fromLocationId: $a, toLocationId: $b, quantity: 1}, {sku: "sku-2", fromLocationId: $a, toLocationId: $b, quantity: $q}]}]}) {
		location { id } balances { variant { sku } balance } trackingChangedItemCount } }`
	supplier := f.virtualID(t, "SUPPLIER")
	wantError(t, "bulkUpdateInventory(too many)", e.do(f.token, bulk, map[string]any{"p": f.shirt, "a": supplier, "b": f.loc[3], "q": 100000}),
		"BAD_USER_INPUT", "input.productChanges[0].variantChanges[1].quantity")
	var res struct {
		BulkUpdateInventory struct {
			Location struct{ ID string }
			Balances []struct {
				Variant struct{ Sku string }
				Balance int
			}
		}
	}
	e.mustData(f.token, bulk, map[string]any{"p": f.shirt, "a": supplier, "b": f.loc[2], "q": 5}, &res)
	if b := res.BulkUpdateInventory; b.Location.ID != f.loc[2] || len(b.Balances) != 3 {
		t.Errorf("bulkUpdateInventory balances = %+v, want the default location %s's, one per variant of the shirt", b, f.loc[2])
	}
}

// virtualID is the global ID of the store's virtual location with the code.
func (f *stockFixture) virtualID(t *testing.T, code string) string {
	t.Helper()
	var out struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID, Code string } }
		}
	}
	f.e.mustData(f.token, `{ store { locations(filter: {types: [SUPPLIER, SOLD, BIN]}) { nodes { id code } } } }`, nil, &out)
	for _, l := range out.Store.Locations.Nodes {
		if l.Code == code {
			return l.ID
		}
	}
	t.Fatalf("no %s location", code)
	return ""
}

// revision is the revision of the item of sku at loc[loc], nil when
// the variant is not stocked there.
func (f *stockFixture) revision(t *testing.T, sku string, loc int) *int {
	t.Helper()
	var out struct {
		Store struct {
			Variant struct {
				Inventory struct{ ByLocation []struct{ Revision int } }
			}
		}
	}
	f.e.mustData(f.token, `query($s: String!, $l: ID!) { store { variant(sku: $s) { inventory { byLocation(locationIds: [$l]) { revision } } } } }`,
		map[string]any{"s": sku, "l": f.loc[loc]}, &out)
	if len(out.Store.Variant.Inventory.ByLocation) == 0 {
		return nil
	}
	return &out.Store.Variant.Inventory.ByLocation[0].Revision
}
