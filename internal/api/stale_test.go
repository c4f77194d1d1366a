package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"stockgraph/graph"
	"stockgraph/internal/api/relay"
	"stockgraph/internal/auth"
	"stockgraph/internal/orders"
)

// staleFixture is the order fixture with a token of every scope.
type staleFixture struct {
	*orderFixture
	all     string
	storeID int64
	n       int
}

// mutate runs a mutation that must succeed and returns its data.
func (f *staleFixture) mutate(doc string, vars map[string]any) map[string]any {
	f.e.t.Helper()
	var out map[string]any
	f.e.mustData(f.all, doc, vars, &out)
	return out
}

// id is a unique name for what a case creates.
func (f *staleFixture) id(prefix string) string {
	f.n++
	return fmt.Sprintf("%s-%d", prefix, f.n)
}

// pick reads a dotted path ("createProduct.product.id") out of decoded JSON.
func pick(data any, path string) string {
	for key := range strings.SplitSeq(path, ".") {
		m, _ := data.(map[string]any)
		data = m[key]
	}
	s, _ := data.(string)
	return s
}

// staleCase is one kind of write: prepare makes what the write needs (its
// own changes happen before the first read) and returns the write.
type staleCase struct {
	name    string // the Mutation field it sends, or what the server or CLI does
	prepare func(f *staleFixture) (write func())
}

// mutation is a case whose write is one mutation, with variables made
// by vars (which may prepare through other mutations).
func mutation(name, doc string, vars func(f *staleFixture) map[string]any) staleCase {
	return staleCase{name, func(f *staleFixture) func() {
		v := vars(f)
		return func() { f.mutate(doc, v) }
	}}
}

func none(*staleFixture) map[string]any { return nil }

func (f *staleFixture) product() string {
	return pick(f.mutate(`mutation($n: String!) { createProduct(input: {name: $n}) { product { id } } }`,
		map[string]any{"n": f.id("product")}), "createProduct.product.id")
}

func (f *staleFixture) variant() string {
	return pick(f.mutate(`mutation($p: ID!, $s: String!) { createVariant(input: {productId: $p, sku: $s}) { variant { id } } }`,
		map[string]any{"p": f.p111, "s": f.id("stale-sku")}), "createVariant.variant.id")
}

func (f *staleFixture) location() string {
	return pick(f.mutate(`mutation($c: String!) { createLocation(input: {code: $c, name: $c}) { location { id } } }`,
		map[string]any{"c": f.id("LOC")}), "createLocation.location.id")
}

func (f *staleFixture) model() string {
	return pick(f.mutate(`mutation($n: String!) { createInventoryModel(input: {name: $n}) { inventoryModel { id } } }`,
		map[string]any{"n": f.id("model")}), "createInventoryModel.inventoryModel.id")
}

func (f *staleFixture) stockLevel() string {
	return pick(f.mutate(`mutation($m: ID!, $l: ID!) { createStockLevel(input: {inventoryModelId: $m, locationId: $l, priority: 1}) { stockLevel { id } } }`,
		map[string]any{"m": f.model(), "l": f.loc[3]}), "createStockLevel.stockLevel.id")
}

// order creates an order of sku-3, stocked first.
func (f *staleFixture) order() (orderID, lineID string) {
	f.stock("sku-3", 1, 1000, 0)
	o, r := f.createOrder(map[string]any{"lines": lines("sku-3", 2)})
	if len(r.Errors) > 0 {
		f.e.t.Fatalf("createOrder = %+v", r.Errors)
	}
	return o.ID, o.Lines[0].ID
}

func (f *staleFixture) webhook() string {
	return pick(f.mutate(`mutation($u: String!) { createWebhook(input: {url: $u, topics: ["store/inventory/stock_changed"]}) { webhook { id } } }`,
		map[string]any{"u": "http://127.0.0.1:9/" + f.id("hook")}), "createWebhook.webhook.id")
}

// idOf is the variables {"id": …} of what create makes.
func idOf(_ *staleFixture, create func() string) map[string]any {
	return map[string]any{"id": create()}
}

// staleCases are every kind of write: one per mutation of the schema
// (TestNoStaleConditionalRead fails when a mutation has none), and the
// writes the server and the command line make by themselves.
var staleCases = []staleCase{
	mutation("createProduct", `mutation($n: String!) { createProduct(input: {name: $n, variants: [{sku: $n}]}) { product { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"n": f.id("new")} }),
	mutation("updateProduct", `mutation($id: ID!) { updateProduct(input: {id: $id, name: "Renamed"}) { product { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"id": f.p111} }),
	mutation("deleteProduct", `mutation($id: ID!) { deleteProduct(input: {id: $id}) { deletedProductId } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.product) }),
	mutation("createVariant", `mutation($p: ID!, $s: String!) { createVariant(input: {productId: $p, sku: $s}) { variant { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"p": f.p111, "s": f.id("stale-sku")} }),
	mutation("updateVariant", `mutation($id: ID!) { updateVariant(input: {id: $id, name: "Renamed"}) { variant { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"id": f.v["sku-4"]} }),
	mutation("deleteVariant", `mutation($id: ID!) { deleteVariant(input: {id: $id}) { deletedVariantId } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.variant) }),
	mutation("stockVariant", `mutation($v: ID!, $l: ID!) { stockVariant(input: {variantId: $v, locationId: $l}) { created } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"v": f.variant(), "l": f.loc[1]} }),
	mutation("createLocation", `mutation($c: String!) { createLocation(input: {code: $c, name: $c}) { location { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"c": f.id("NEW")} }),
	mutation("updateLocation", `mutation($id: ID!) { updateLocation(input: {id: $id, name: "Renamed"}) { location { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"id": f.loc[3]} }),
	mutation("deleteLocation", `mutation($id: ID!) { deleteLocation(input: {id: $id}) { deletedLocationId } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.location) }),
	mutation("createOrder", createOrder, func(f *staleFixture) map[string]any {
		f.stock("sku-3", 1, 1000, 0)
		return map[string]any{"in": map[string]any{"lines": lines("sku-3", 1)}}
	}),
	mutation("updateOrder", `mutation($o: ID!, $l: ID!) { updateOrder(input: {orderId: $o, lines: [{lineId: $l, quantity: 1}]}) { order { id } } }`,
		func(f *staleFixture) map[string]any { o, l := f.order(); return map[string]any{"o": o, "l": l} }),
	mutation("fulfillOrder", `mutation($o: ID!) { fulfillOrder(input: {orderId: $o}) { order { id } } }`,
		func(f *staleFixture) map[string]any { o, _ := f.order(); return map[string]any{"o": o} }),
	mutation("cancelOrder", `mutation($o: ID!) { cancelOrder(input: {orderId: $o}) { order { id } } }`,
		func(f *staleFixture) map[string]any { o, _ := f.order(); return map[string]any{"o": o} }),
	mutation("fulfillBackorders", `mutation { fulfillBackorders(input: {sku: "sku-5"}) { quantity } }`, func(f *staleFixture) map[string]any {
		f.stock("sku-5", 1, 0, 10)
		if _, r := f.createOrder(map[string]any{"lines": lines("sku-5", 1)}); len(r.Errors) > 0 {
			f.e.t.Fatalf("createOrder(backordered) = %+v", r.Errors)
		}
		f.stock("sku-5", 1, 5, 10)
		return nil
	}),
	mutation("reserveStock", `mutation { reserveStock(input: {lines: [{sku: "sku-3", quantity: 1}]}) { reservation { id } } }`,
		func(f *staleFixture) map[string]any { f.stock("sku-3", 1, 1000, 0); return nil }),
	mutation("releaseReservation", `mutation($id: ID!) { releaseReservation(input: {id: $id}) { reservation { id } } }`,
		func(f *staleFixture) map[string]any {
			f.stock("sku-3", 1, 1000, 0)
			return map[string]any{"id": f.reserve(map[string]any{"lines": lines("sku-3", 1)})}
		}),
	mutation("createInventoryModel", `mutation($n: String!) { createInventoryModel(input: {name: $n}) { inventoryModel { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"n": f.id("model")} }),
	mutation("updateInventoryModel", `mutation($id: ID!) { updateInventoryModel(input: {id: $id, reference: "ref"}) { inventoryModel { id } } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.model) }),
	mutation("deleteInventoryModel", `mutation($id: ID!) { deleteInventoryModel(input: {id: $id}) { deletedInventoryModelId } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.model) }),
	mutation("createStockLevel", `mutation($m: ID!, $l: ID!) { createStockLevel(input: {inventoryModelId: $m, locationId: $l, priority: 1}) { stockLevel { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"m": f.model(), "l": f.loc[3]} }),
	mutation("updateStockLevel", `mutation($id: ID!) { updateStockLevel(input: {id: $id, priority: 7}) { stockLevel { id } } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.stockLevel) }),
	mutation("deleteStockLevel", `mutation($id: ID!) { deleteStockLevel(input: {id: $id}) { deletedStockLevelId } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.stockLevel) }),
	mutation("adjustInventoryAbsolute", `mutation($l: ID!) { adjustInventoryAbsolute(input: {reason: "count", items: [{locationId: $l, sku: "sku-4", quantity: 17}]}) { replayed } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"l": f.loc[1]} }),
	mutation("adjustInventoryRelative", `mutation($l: ID!) { adjustInventoryRelative(input: {reason: "received", items: [{locationId: $l, sku: "sku-4", quantity: 1}]}) { replayed } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"l": f.loc[1]} }),
	mutation("moveInventory", `mutation($a: ID!, $b: ID!) { moveInventory(input: {changes: [{sku: "sku-2", fromLocationId: $a, toLocationId: $b, quantity: 1}]}) { movements { quantity } } }`,
		func(f *staleFixture) map[string]any {
			f.stock("sku-2", 1, 10, 0)
			return map[string]any{"a": f.loc[1], "b": f.loc[2]}
		}),
	mutation("updateInventorySettings", `mutation($l: ID!) { updateInventorySettings(input: {locationId: $l, settings: [{sku: "sku-4", safetyStock: 3}]}) { dryRun } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"l": f.loc[1]} }),
	mutation("updateInventoryConfiguration", `mutation { updateInventoryConfiguration(input: {allowNegativeStock: true}) { configuration { allowNegativeStock } } }`, none),
	mutation("setInventoryTracking", `mutation($v: ID!) { setInventoryTracking(input: {variantIds: [$v], trackingMode: UNTRACKED}) { __typename } }`,
		func(f *staleFixture) map[string]any {
			f.stock("sku-1", 1, 5, 0)
			return map[string]any{"v": f.v["sku-1"]}
		}),
	mutation("bulkUpdateInventory", `mutation($p: ID!, $a: ID!, $b: ID!) { bulkUpdateInventory(input: {productChanges: [{productId: $p, trackingChange: START_TRACKING,
		variantChanges: [{sku: "sku-111", fromLocationId: $a, toLocationId: $b, quantity: 1}]}]}) { balances { balance } } }`,
		func(f *staleFixture) map[string]any {
			f.stock("sku-111", 1, 10, 0)
			return map[string]any{"p": f.p111, "a": f.loc[1], "b": f.loc[2]}
		}),
	mutation("updateInventoryItem", `mutation($id: ID!) { updateInventoryItem(input: {id: $id, reference: "ERP-1"}) { inventoryItem { id } } }`,
		func(f *staleFixture) map[string]any {
			f.stock("sku-4", 1, 3, 0)
			var out struct {
				Store struct {
					Variant struct {
						Inventory struct{ ByLocation []struct{ ID string } }
					}
				}
			}
			f.e.mustData(f.all, `{ store { variant(sku: "sku-4") { inventory { byLocation { id } } } } }`, nil, &out)
			return map[string]any{"id": out.Store.Variant.Inventory.ByLocation[0].ID}
		}),
	mutation("createWebhook", `mutation($u: String!) { createWebhook(input: {url: $u, topics: ["store/inventory/stock_changed"]}) { webhook { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"u": "http://127.0.0.1:9/new"} }),
	mutation("updateWebhook", `mutation($id: ID!) { updateWebhook(input: {id: $id, url: "http://127.0.0.1:9/changed"}) { webhook { id } } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.webhook) }),
	mutation("deleteWebhook", `mutation($id: ID!) { deleteWebhook(input: {id: $id}) { deletedWebhookId } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.webhook) }),
	mutation("pauseWebhook", `mutation($id: ID!) { pauseWebhook(input: {id: $id}) { webhook { id } } }`,
		func(f *staleFixture) map[string]any { return idOf(f, f.webhook) }),
	mutation("resumeWebhook", `mutation($id: ID!) { resumeWebhook(input: {id: $id}) { webhook { id } } }`,
		func(f *staleFixture) map[string]any {
			id := f.webhook()
			f.mutate(`mutation($id: ID!) { pauseWebhook(input: {id: $id}) { webhook { id } } }`, map[string]any{"id": id})
			return map[string]any{"id": id}
		}),
	mutation("redeliverWebhook", `mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) { delivery { id } } }`,
		func(f *staleFixture) map[string]any { return map[string]any{"id": f.failedDelivery()} }),
	mutation("startInventoryExport", `mutation { startInventoryExport(input: {format: CSV}) { bulkOperation { id } } }`, none),
	{"startInventoryImport", func(f *staleFixture) func() {
		return func() {
			if r := f.e.upload(f.all, "location_code,sku,on_hand\nLOC-1,sku-4,17\n", nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
				f.e.t.Fatalf("startInventoryImport = %d %+v", r.Status, r.Errors)
			}
		}
	}},
	mutation("cancelBulkOperation", `mutation($id: ID!) { cancelBulkOperation(input: {id: $id}) { bulkOperation { status } } }`,
		func(f *staleFixture) map[string]any {
			return map[string]any{"id": pick(f.mutate(`mutation { startInventoryExport(input: {format: CSV}) { bulkOperation { id } } }`, nil),
				"startInventoryExport.bulkOperation.id")}
		}),
	{"a reservation lapses (the server's expirer)", func(f *staleFixture) func() {
		f.stock("sku-3", 1, 1000, 0)
		f.reserve(map[string]any{"ttlSeconds": 1, "lines": lines("sku-3", 1)})
		time.Sleep(1100 * time.Millisecond) // until it is due
		return func() {
			if n, err := orders.ExpireDue(context.Background(), f.e.db.DB, 10); err != nil || n != 1 {
				f.e.t.Fatalf("ExpireDue = %d, %v; want the 1 reservation due", n, err)
			}
		}
	}},
	{"a token is created (stockgraph token create)", func(f *staleFixture) func() {
		return func() { f.e.token(f.storeID, auth.ReadInventory) }
	}},
	{"a token is revoked (stockgraph token revoke)", func(f *staleFixture) func() {
		tok := f.e.token(f.storeID, auth.ReadInventory)
		return func() {
			if err := auth.RevokeToken(context.Background(), f.e.db.DB, tok); err != nil {
				f.e.t.Fatal(err)
			}
		}
	}},
}

// failedDelivery makes a webhook and a failed delivery of it, as the
// webhook worker leaves one, and returns the delivery's global ID.
func (f *staleFixture) failedDelivery() string {
	hook := f.e.entityID(f.webhook())
	var id int64
	err := f.e.db.Raw(`INSERT INTO webhook_deliveries (store_id, webhook_id, event_id, item_id, topic, status, attempts)
		VALUES (?, ?, 1, 1, 'store/inventory/stock_changed', 'FAILED', 5) RETURNING id`, f.storeID, hook).Scan(&id).Error
	if err != nil {
		f.e.t.Fatal(err)
	}
	return relay.ID(relay.KindWebhookDelivery, id)
}

// TestNoStaleConditionalRead: after every kind of write, a conditional
// read with the ETag from before it gets the new data (200 and a new
// ETag), never 304; before it, 304. The cases cover every mutation of the
// schema: a new mutation fails this test until it has its case.
func TestNoStaleConditionalRead(t *testing.T) {
	checkEveryMutationHasACase(t)
	f := &staleFixture{orderFixture: orderFixtureOn(stockFixtureOn(newConditionalEnv(t)))}
	f.e.db.Raw(`SELECT id FROM stores WHERE handle = 'docs'`).Scan(&f.storeID)
	f.all = f.e.token(f.storeID, auth.AllScopes...)
	read := persistedGet{token: f.all, query: dashboard, vars: map[string]any{"first": 3}, register: true}
	for _, c := range staleCases {
		t.Run(c.name, func(t *testing.T) {
			f.e.t = t
			write := c.prepare(f)
			f.e.settle(f.storeID)
			before := f.e.get(read)
			etag := before.Header.Get("ETag")
			if before.Status != http.StatusOK || len(before.Errors) > 0 || etag == "" {
				t.Fatalf("GET = %d %s, ETag %q; want 200 with an ETag", before.Status, before.body, etag)
			}
			cond := read
			cond.register, cond.ifNoneMatch = false, etag
			if r := f.e.get(cond); r.Status != http.StatusNotModified {
				t.Fatalf("GET with If-None-Match before the write = %d, want 304", r.Status)
			}
			write()
			after := f.e.get(cond)
			if after.Status != http.StatusOK || after.Header.Get("ETag") == "" || after.Header.Get("ETag") == etag {
				t.Errorf("GET with If-None-Match after %s = %d, ETag %q; want 200 with a new ETag (was %q)", c.name, after.Status, after.Header.Get("ETag"), etag)
			}
		})
	}
}

// checkEveryMutationHasACase fails for each Mutation field of the schema
// that staleCases does not write with.
func checkEveryMutationHasACase(t *testing.T) {
	t.Helper()
	var names []string
	for _, c := range staleCases {
		names = append(names, c.name)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, field := range schema.Mutation.Fields {
		if !strings.HasPrefix(field.Name, "__") && !slices.Contains(names, field.Name) {
			t.Errorf("mutation %s has no case in staleCases: add one that sends it, so that its writes are known to move the change position", field.Name)
		}
	}
}
