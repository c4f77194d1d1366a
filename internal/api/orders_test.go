package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// decode unmarshals a response's data.
func decode(t *testing.T, r response, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, dst); err != nil {
		t.Fatalf("decode data: %v\n%s", err, r.Data)
	}
}

// orderFixture is the stock fixture with the default model's stock levels
// at locations 1 (priority 10) and 2 (priority 5), and backorders on.
type orderFixture struct {
	*stockFixture
	model string // the default inventory model
}

func newOrderFixture(t *testing.T) *orderFixture {
	t.Helper()
	return orderFixtureOn(newStockFixture(t))
}

// orderFixtureOn adds the order fixture's stock levels and switches to sf.
func orderFixtureOn(sf *stockFixture) *orderFixture {
	sf.e.t.Helper()
	f := &orderFixture{stockFixture: sf}
	var models struct {
		Store struct {
			InventoryModels struct{ Nodes []struct{ ID string } }
		}
	}
	f.e.mustData(f.token, `{ store { inventoryModels { nodes { id } } } }`, nil, &models)
	f.model = models.Store.InventoryModels.Nodes[0].ID
	for i, priority := range map[int]int{1: 10, 2: 5} {
		f.e.mustData(f.token, `mutation($m: ID!, $l: ID!, $p: Int!) { createStockLevel(input: {inventoryModelId: $m, locationId: $l, priority: $p}) { stockLevel { id } } }`,
			map[string]any{"m": f.model, "l": f.loc[i], "p": priority}, nil)
	}
	f.e.mustData(f.token, `mutation { updateInventoryConfiguration(input: {backordersEnabled: true, preordersEnabled: true}) { configuration { backordersEnabled } } }`, nil, nil)
	return f
}

// stock sets an item's on hand and backorder limit at location loc.
func (f *orderFixture) stock(sku string, loc, onHand, backorderLimit int) {
	f.e.t.Helper()
	f.e.mustData(f.token, `mutation($l: ID!, $s: String!, $q: Int!) { adjustInventoryAbsolute(input: {reason: "count", items: [{locationId: $l, sku: $s, quantity: $q}]}) { replayed } }`,
		map[string]any{"l": f.loc[loc], "s": sku, "q": onHand}, nil)
	f.e.mustData(f.token, `mutation($l: ID!, $s: String!, $b: Int!) { updateInventorySettings(input: {locationId: $l, settings: [{sku: $s, backorderLimit: $b}]}) { dryRun } }`,
		map[string]any{"l": f.loc[loc], "s": sku, "b": backorderLimit}, nil)
}

const orderFields = `id entityId reference status paid inventoryModel { id } reservation { id }
	lines { id sku quantity quantityAllocated quantityBackordered quantityPreordered quantityFulfilled quantityCancelled quantityOpen onHold
		variant { id sku } allocations { location { id } quantity quantityFulfilled onHold kind counted } }`

type orderLine struct {
	ID, Sku                                                  string
	Quantity, QuantityAllocated, QuantityBackordered         int
	QuantityPreordered, QuantityFulfilled, QuantityCancelled int
	QuantityOpen                                             int
	OnHold                                                   bool
	Variant                                                  *struct{ ID, Sku string }
	Allocations                                              []allocation
}

type allocation struct {
	Location          struct{ ID string }
	Quantity          int
	QuantityFulfilled int
	OnHold            bool
	Kind              string
	Counted           bool
}

type order struct {
	ID, Reference, Status string
	EntityID              int
	Paid                  bool
	InventoryModel        struct{ ID string }
	Reservation           *struct{ ID string }
	Lines                 []orderLine
}

const createOrder = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { replayed order { ` + orderFields + ` } } }`

// lines makes an order input's lines of SKU and quantity pairs.
func lines(pairs ...any) []map[string]any {
	var out []map[string]any
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	return out
}

func (f *orderFixture) createOrder(in map[string]any) (order, response) {
	f.e.t.Helper()
	r := f.e.do(f.token, createOrder, map[string]any{"in": in})
	var out struct {
		CreateOrder *struct {
			Replayed bool
			Order    order
		}
	}
	if len(r.Errors) == 0 {
		decode(f.e.t, r, &out)
		return out.CreateOrder.Order, r
	}
	return order{}, r
}

// TestCreateOrderAllocatesByPriority: stock at the highest priority first,
// then the next level, then backorders; the lines say where each unit
// comes from.
func TestCreateOrderAllocatesByPriority(t *testing.T) {
	f := newOrderFixture(t)
	f.stock("sku-1", 1, 3, 0)
	f.stock("sku-1", 2, 4, 5)
	_, r := f.createOrder(map[string]any{"reference": "  #1001 ", "lines": lines("sku-1", 9, "sku-2", 0)})
	if r.code() != "BAD_USER_INPUT" {
		t.Fatalf("createOrder with a line of 0 = %+v, want BAD_USER_INPUT", r.Errors)
	}
	o, r := f.createOrder(map[string]any{"reference": "  #1001 ", "lines": lines("sku-1", 9)})
	if len(r.Errors) > 0 {
		t.Fatalf("createOrder = %+v", r.Errors)
	}
	if o.Reference != "#1001" || o.Status != "OPEN" || o.InventoryModel.ID != f.model || o.Reservation != nil || len(o.Lines) != 1 {
		t.Fatalf("createOrder = %+v, want OPEN #1001 of the default model with one line", o)
	}
	l := o.Lines[0]
	got := fmt.Sprintf("%d/%d/%d/%d open %d hold %v", l.Quantity, l.QuantityAllocated, l.QuantityBackordered, l.QuantityPreordered, l.QuantityOpen, l.OnHold)
	if want := "9/7/2/0 open 9 hold true"; got != want {
		t.Errorf("line quantity/allocated/backordered/preordered = %s, want %s", got, want)
	}
	want := []allocation{
		{Location: struct{ ID string }{f.loc[1]}, Quantity: 3, Kind: "STOCK", Counted: true},
		{Location: struct{ ID string }{f.loc[2]}, Quantity: 4, Kind: "STOCK", Counted: true},
		{Location: struct{ ID string }{f.loc[2]}, Quantity: 2, Kind: "BACKORDER", Counted: true, OnHold: true},
	}
	if fmt.Sprint(l.Allocations) != fmt.Sprint(want) {
		t.Errorf("allocations = %+v, want %+v", l.Allocations, want)
	}
	if l.Variant == nil || l.Variant.ID != f.v["sku-1"] || l.Sku != "sku-1" {
		t.Errorf("line variant = %+v sku %q, want %s sku-1", l.Variant, l.Sku, f.v["sku-1"])
	}
	var node struct{ Node order }
	f.e.mustData(f.token, `query($id: ID!) { node(id: $id) { ... on Order { `+orderFields+` } } }`, map[string]any{"id": o.ID}, &node)
	if !reflect.DeepEqual(node.Node, o) {
		t.Errorf("node(%s) = %+v, want %+v", o.ID, node.Node, o)
	}
}
