package api_test

import (
	"testing"
)

// TestCatalogLifecycle builds a store's catalog through the mutations a
// dashboard uses, reads it back, changes it and takes it apart.
func TestCatalogLifecycle(t *testing.T) {
	e := newEnv(t)
	e.seedStore("life", 1, 1, 1)
	var storeID int64
	e.db.Raw(`SELECT id FROM stores WHERE handle = 'life'`).Scan(&storeID)
	token := e.token(storeID, "read_inventory", "write_inventory", "write_catalog")

	var loc struct {
		CreateLocation struct {
			Location struct {
				ID, Code, Type string
				Address        struct{ City, CountryCode string }
			}
		}
	}
	e.mustData(token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) {
		location { id code type address { city countryCode } } } }`,
		map[string]any{"in": map[string]any{"code": "WH-BER", "name": "Berlin", "type": "WAREHOUSE", "priority": 50,
			"address": map[string]any{"city": "Berlin", "countryCode": "de"}}}, &loc)
	l := loc.CreateLocation.Location
	if l.Code != "WH-BER" || l.Type != "WAREHOUSE" || l.Address.City != "Berlin" || l.Address.CountryCode != "DE" {
		t.Fatalf("createLocation = %+v, want WH-BER, WAREHOUSE, Berlin, DE", l)
	}
	if r := e.do(token, `mutation { createLocation(input: {code: "WH-BER", name: "Again"}) { location { id } } }`, nil); r.code() != "CONFLICT" {
		t.Errorf("createLocation with a taken code: code %q, want CONFLICT", r.code())
	}

	var prod struct {
		CreateProduct struct {
			Product struct {
				ID       string
				Variants struct {
					TotalCount int
					Nodes      []struct{ ID, Sku string }
				}
			}
		}
	}
	e.mustData(token, `mutation { createProduct(input: {name: "Tee", sku: "TEE", variants: [{sku: "TEE-S"}, {sku: "TEE-M", name: "M"}]}) {
		product { id variants { totalCount nodes { id sku } } } } }`, nil, &prod)
	p := prod.CreateProduct.Product
	if p.Variants.TotalCount != 2 || p.Variants.Nodes[0].Sku != "TEE-S" || p.Variants.Nodes[1].Sku != "TEE-M" {
		t.Fatalf("createProduct variants = %+v, want TEE-S, TEE-M", p.Variants)
	}
	r := e.do(token, `mutation { createProduct(input: {name: "Dup", variants: [{sku: "TEE-S"}]}) { product { id } } }`, nil)
	if r.code() != "CONFLICT" || r.Errors[0].Extensions["index"] != float64(0) {
		t.Errorf("createProduct with a taken variant SKU: %+v, want CONFLICT at index 0", r.Errors)
	}
	if r := e.do(token, `mutation { createProduct(input: {name: "Twice", variants: [{sku: "A"}, {sku: "A"}]}) { product { id } } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Errorf("createProduct with one SKU twice: code %q, want BAD_USER_INPUT", r.code())
	}

	e.mustData(token, `mutation { updateInventoryConfiguration(input: {backordersEnabled: true}) { configuration { backordersEnabled } } }`, nil, nil)
	stock := `mutation($v: ID!, $l: ID!) { stockVariant(input: {variantId: $v, locationId: $l, settings: {safetyStock: 2, warningLevel: 3, backorderLimit: 33, binPickingNumber: "A-1"}, reference: "ERP-1", metadata: {foo: "bar"}}) {
		created inventoryItem { onHand availableToSell availability revision reference metadata settings { safetyStock warningLevel backorderLimit binPickingNumber isInStock trackingMode } location { code } variant { sku } } } }`
	vars := map[string]any{"v": p.Variants.Nodes[0].ID, "l": l.ID}
	var stocked struct {
		StockVariant struct {
			Created       bool
			InventoryItem struct {
				OnHand, AvailableToSell, Revision int
				Availability, Reference           string
				Metadata                          map[string]any
				Settings                          struct {
					SafetyStock, WarningLevel, BackorderLimit int
					BinPickingNumber, TrackingMode            string
					IsInStock                                 bool
				}
				Location struct{ Code string }
				Variant  struct{ Sku string }
			}
		}
	}
	e.mustData(token, stock, vars, &stocked)
	it := stocked.StockVariant.InventoryItem
	if !stocked.StockVariant.Created || it.OnHand != 0 || it.Availability != "BACKORDERABLE" || it.Settings.SafetyStock != 2 ||
		it.Settings.BackorderLimit != 33 || it.Settings.TrackingMode != "QUANTITY" || it.Metadata["foo"] != "bar" ||
		it.Location.Code != "WH-BER" || it.Variant.Sku != "TEE-S" || it.Revision != 1 || it.Reference != "ERP-1" {
		t.Errorf("stockVariant = %+v, want a new empty item with the settings given", stocked.StockVariant)
	}
	e.mustData(token, stock, vars, &stocked)
	if stocked.StockVariant.Created {
		t.Errorf("stockVariant again: created = true, want false")
	}

	// The variant now shows its item at the new location.
	var read struct {
		Store struct {
			Variant struct {
				Inventory struct {
					ByLocation []struct {
						Location struct{ Code string }
						Settings struct{ BinPickingNumber string }
					}
				}
			}
		}
	}
	e.mustData(token, `{ store { variant(sku: "TEE-S") { inventory { byLocation { location { code } settings { binPickingNumber } } } } } }`, nil, &read)
	if bl := read.Store.Variant.Inventory.ByLocation; len(bl) != 1 || bl[0].Location.Code != "WH-BER" || bl[0].Settings.BinPickingNumber != "A-1" {
		t.Errorf("variant byLocation = %+v, want one item at WH-BER", bl)
	}

	// Stock held: the location cannot be deleted.
	e.exec(`UPDATE inventory_items SET on_hand = 5`)
	del := `mutation($id: ID!) { deleteLocation(input: {id: $id}) { deletedLocationId } }`
	if r := e.do(token, del, map[string]any{"id": l.ID}); r.code() != "CONFLICT" {
		t.Errorf("deleteLocation holding stock: code %q, want CONFLICT", r.code())
	}

	var upd struct {
		UpdateProduct struct{ Product struct{ Name, Sku string } }
		UpdateVariant struct{ Variant struct{ Sku, Name string } }
	}
	e.mustData(token, `mutation($p: ID!, $v: ID!) {
		updateProduct(input: {id: $p, name: "T-shirt"}) { product { name sku } }
		updateVariant(input: {id: $v, sku: "TEE-SMALL"}) { variant { sku name } } }`,
		map[string]any{"p": p.ID, "v": p.Variants.Nodes[0].ID}, &upd)
	if upd.UpdateProduct.Product.Name != "T-shirt" || upd.UpdateProduct.Product.Sku != "TEE" || upd.UpdateVariant.Variant.Sku != "TEE-SMALL" {
		t.Errorf("updates = %+v, want name T-shirt, sku TEE kept, variant TEE-SMALL", upd)
	}

	e.mustData(token, `mutation($id: ID!) { deleteVariant(input: {id: $id}) { deletedVariantId } }`, map[string]any{"id": p.Variants.Nodes[1].ID}, nil)
	delProduct := `mutation($id: ID!) { deleteProduct(input: {id: $id}) { deletedProductId } }`
	if r := e.do(token, delProduct, map[string]any{"id": p.ID}); r.code() != "CONFLICT" {
		t.Errorf("deleteProduct holding stock: code %q, want CONFLICT", r.code())
	}
	e.exec(`UPDATE inventory_items SET on_hand = 0`)
	e.mustData(token, delProduct, map[string]any{"id": p.ID}, nil)
	if r := e.do(token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": p.ID}); r.code() != "NOT_FOUND" {
		t.Errorf("node(deleted product): code %q, want NOT_FOUND", r.code())
	}
	// Its items went with it, so now the location can go.
	e.mustData(token, del, map[string]any{"id": l.ID}, nil)
}

func TestStockVariantRejectsVirtualLocations(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("virt", 1, 1, 1)
	var created struct {
		CreateLocation struct{ Location struct{ ID string } }
	}
	if r := e.do(token, `mutation { createLocation(input: {code: "SUP", name: "Supplier", type: SUPPLIER}) { location { id } } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Errorf("createLocation(type: SUPPLIER): code %q, want BAD_USER_INPUT (virtual locations are built in)", r.code())
	}
	var supplier struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID string } }
		}
	}
	e.mustData(token, `{ store { locations(filter: {types: [SUPPLIER]}) { nodes { id } } } }`, nil, &supplier)
	created.CreateLocation.Location.ID = supplier.Store.Locations.Nodes[0].ID
	var variant struct {
		Store struct{ Variant struct{ ID string } }
	}
	e.mustData(token, `{ store { variant(sku: "P00001-01") { id } } }`, nil, &variant)
	r := e.do(token, `mutation($v: ID!, $l: ID!) { stockVariant(input: {variantId: $v, locationId: $l}) { created } }`,
		map[string]any{"v": variant.Store.Variant.ID, "l": created.CreateLocation.Location.ID})
	if r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "input.locationId" {
		t.Errorf("stockVariant at a supplier: %+v, want BAD_USER_INPUT on input.locationId", r.Errors)
	}
}
