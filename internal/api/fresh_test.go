package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// freshMutation changes one item twice in one operation. Each field's
// payload reads the variant's aggregate (through the items-by-variant
// loader) and the item's row on its location's page (through the
// items-by-location-page loader), both of which the other field changed.
const freshMutation = `mutation($l: ID!) {
	a: adjustInventoryRelative(input: {reason: "recount", items: [{locationId: $l, sku: "P00001-01", quantity: 1}]}) { ...seen }
	b: adjustInventoryRelative(input: {reason: "recount", items: [{locationId: $l, sku: "P00001-01", quantity: 1}]}) { ...seen }
}
fragment seen on AdjustInventoryPayload {
	items {
		variant { inventory { aggregated { onHand } } }
		location { inventoryItems(filter: {skus: ["P00001-01"]}) { nodes { onHand } } }
	}
}`

type freshSeen struct {
	Items []struct {
		Variant struct {
			Inventory struct{ Aggregated struct{ OnHand int } }
		}
		Location struct {
			InventoryItems struct{ Nodes []struct{ OnHand int } }
		}
	}
}

type freshResult struct{ A, B freshSeen }

// freshStart seeds a store and returns its token, the first location's ID,
// the variant's aggregated on hand and its on hand there.
func freshStart(t *testing.T, e *env) (token, location string, aggregated, atLocation int) {
	t.Helper()
	token = e.seedStore("fresh", 1, 1, 2)
	var before struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID string } }
			Variant   struct {
				Inventory struct {
					Aggregated struct{ OnHand int }
					ByLocation []struct{ OnHand int }
				}
			}
		}
	}
	e.mustData(token, `{ store {
		locations(first: 1, filter: {types: [STORE, WAREHOUSE]}) { nodes { id } }
		variant(sku: "P00001-01") { inventory { aggregated { onHand } byLocation { onHand } } }
	} }`, nil, &before)
	s := before.Store
	if len(s.Locations.Nodes) != 1 || len(s.Variant.Inventory.ByLocation) == 0 {
		t.Fatalf("seeded store = %+v, want a location holding P00001-01", s)
	}
	// byLocation is in location order, as is locations(first: 1).
	return token, s.Locations.Nodes[0].ID, s.Variant.Inventory.Aggregated.OnHand, s.Variant.Inventory.ByLocation[0].OnHand
}

// checkFresh compares what each field read with what it wrote.
func checkFresh(t *testing.T, how string, got freshResult, aggregated, atLocation int) {
	t.Helper()
	for i, f := range []freshSeen{got.A, got.B} {
		name := string(rune('a' + i))
		if len(f.Items) != 1 || len(f.Items[0].Location.InventoryItems.Nodes) != 1 {
			t.Fatalf("%s: field %s returned %+v, want one item with one row at its location", how, name, f)
		}
		it := f.Items[0]
		if got, want := it.Variant.Inventory.Aggregated.OnHand, aggregated+i+1; got != want {
			t.Errorf("%s: %s.items.variant.inventory.aggregated.onHand = %d, want %d", how, name, got, want)
		}
		if got, want := it.Location.InventoryItems.Nodes[0].OnHand, atLocation+i+1; got != want {
			t.Errorf("%s: %s.items.location.inventoryItems.onHand = %d, want %d", how, name, got, want)
		}
	}
}

// TestMutationFieldsReadEarlierWritesOverHTTP: the second field of one
// operation sees the first field's write, and so does its own payload.
func TestMutationFieldsReadEarlierWritesOverHTTP(t *testing.T) {
	e := newEnv(t)
	token, loc, aggregated, atLocation := freshStart(t, e)
	var got freshResult
	e.mustData(token, freshMutation, map[string]any{"l": loc}, &got)
	checkFresh(t, "HTTP", got, aggregated, atLocation)
}

// TestMutationFieldsReadEarlierWritesOverWebsocket: the same operation on
// a websocket connection, whose later operations get fresh loaders too.
func TestMutationFieldsReadEarlierWritesOverWebsocket(t *testing.T) {
	e := newEnv(t)
	token, loc, aggregated, atLocation := freshStart(t, e)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	conn, _, err := e.dialGraphQLWS(ctx, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		t.Fatalf("write connection_init: %v", err)
	}
	if m := readWS(ctx, t, conn); m.Type != "connection_ack" {
		t.Fatalf("after connection_init got %q, want connection_ack", m.Type)
	}
	for round, id := range []string{"1", "2"} {
		if err := wsjson.Write(ctx, conn, map[string]any{"type": "subscribe", "id": id,
			"payload": map[string]any{"query": freshMutation, "variables": map[string]any{"l": loc}}}); err != nil {
			t.Fatalf("write subscribe: %v", err)
		}
		m := readWS(ctx, t, conn)
		var payload struct {
			Data   freshResult
			Errors []gqlError
		}
		if err := json.Unmarshal(m.Payload, &payload); m.Type != "next" || err != nil || len(payload.Errors) > 0 {
			t.Fatalf("mutation over websocket got %s %s (%v), want next with data", m.Type, m.Payload, err)
		}
		if m := readWS(ctx, t, conn); m.Type != "complete" {
			t.Fatalf("after next got %q, want complete", m.Type)
		}
		// Each operation adds 2.
		checkFresh(t, "websocket operation "+id, payload.Data, aggregated+2*round, atLocation+2*round)
	}
}

func readWS(ctx context.Context, t *testing.T, conn *websocket.Conn) wsMessage {
	t.Helper()
	var m wsMessage
	if err := wsjson.Read(ctx, conn, &m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// TestMutationFieldsReadEarlierSwitches: a field after
// updateInventoryConfiguration computes with the switches it set, not
// with those read with the token when the operation began.
func TestMutationFieldsReadEarlierSwitches(t *testing.T) {
	e := newEnv(t)
	token, loc, _, _ := freshStart(t, e)
	var got struct {
		On struct {
			Configuration struct{ BackordersEnabled bool }
		}
		S struct {
			Items []struct{ AvailableForBackorder, QtyBackordered int }
		}
	}
	e.mustData(token, `mutation($l: ID!) {
		on: updateInventoryConfiguration(input: {backordersEnabled: true}) { configuration { backordersEnabled } }
		s: updateInventorySettings(input: {locationId: $l, settings: [{sku: "P00001-01", backorderLimit: 1000}]}) {
			items { availableForBackorder qtyBackordered }
		}
	}`, map[string]any{"l": loc}, &got)
	if !got.On.Configuration.BackordersEnabled || len(got.S.Items) != 1 {
		t.Fatalf("mutation returned %+v, want backorders on and one item", got)
	}
	it := got.S.Items[0]
	if want := 1000 - it.QtyBackordered; it.AvailableForBackorder != want {
		t.Errorf("availableForBackorder after turning backorders on = %d, want %d (1000 - qtyBackordered %d)", it.AvailableForBackorder, want, it.QtyBackordered)
	}
}

// TestReadsSeeSwitchesChangedByTheRequestBefore: the token's lookup is
// cached for a second, but the store's switches are not: a request right
// after the one that turned backorders on or off computes with them.
func TestReadsSeeSwitchesChangedByTheRequestBefore(t *testing.T) {
	e := newEnv(t)
	token, loc, _, _ := freshStart(t, e)
	e.mustData(token, `mutation($l: ID!) {
		updateInventoryConfiguration(input: {backordersEnabled: true}) { configuration { backordersEnabled } }
		updateInventorySettings(input: {locationId: $l, settings: [{sku: "P00001-01", backorderLimit: 1000}]}) { items { id } }
	}`, map[string]any{"l": loc}, nil)
	for _, on := range []bool{false, true, false} {
		e.mustData(token, `mutation($on: Boolean!) { updateInventoryConfiguration(input: {backordersEnabled: $on}) { configuration { backordersEnabled } } }`,
			map[string]any{"on": on}, nil)
		var got struct {
			Store struct {
				Configuration struct{ BackordersEnabled bool }
				Variant       struct {
					Inventory struct {
						Aggregated struct{ BackorderLimit, AvailableForBackorder int }
					}
				}
			}
		}
		e.mustData(token, `{ store { configuration { backordersEnabled } variant(sku: "P00001-01") { inventory { aggregated { backorderLimit availableForBackorder } } } } }`, nil, &got)
		available := got.Store.Variant.Inventory.Aggregated.AvailableForBackorder
		if got.Store.Configuration.BackordersEnabled != on || (available > 0) != on {
			t.Errorf("read after backordersEnabled: %v = configuration %v, availableForBackorder %d; want %v and %s",
				on, got.Store.Configuration.BackordersEnabled, available, on, map[bool]string{true: "positive", false: "0"}[on])
		}
	}
}
