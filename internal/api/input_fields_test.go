package api_test

import (
	"strings"
	"testing"

	"stockgraph/internal/api/relay"
)

// TestWriteErrorsNameTheInputPath sends bad inputs to every stock write and
// checks extensions.code, extensions.field (the path of the input the
// client sent), extensions.index, and that messages name operations as the
// schema does.
func TestWriteErrorsNameTheInputPath(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	var supplier struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID string } }
		}
	}
	e.mustData(f.token, `{ store { locations(filter: {types: [SUPPLIER]}) { nodes { id } } } }`, nil, &supplier)
	l1, virtual := f.loc[1], supplier.Store.Locations.Nodes[0].ID
	noVariant := relay.ID(relay.KindVariant, 999999)
	adjust := `mutation($in: AdjustInventoryInput!) { adjustInventoryRelative(input: $in) { items { id } } }`
	move := `mutation($in: MoveInventoryInput!) { moveInventory(input: $in) { items { id } } }`
	settings := `mutation($in: UpdateInventorySettingsInput!) { updateInventorySettings(input: $in) { items { id } } }`
	stock := `mutation($in: StockVariantInput!) { stockVariant(input: $in) { created } }`
	tracking := `mutation($in: SetInventoryTrackingInput!) { setInventoryTracking(input: $in) { updatedItemCount } }`
	e.mustData(f.token, adjust, map[string]any{"in": map[string]any{"reason": "count", "idempotencyKey": "key-1",
		"items": []any{map[string]any{"locationId": l1, "sku": "sku-1", "quantity": 5}}}}, nil)
	e.mustData(f.token, move, map[string]any{"in": map[string]any{"idempotencyKey": "key-2",
		"changes": []any{map[string]any{"sku": "sku-1", "fromLocationId": l1, "toLocationId": f.loc[2], "quantity": 1}}}}, nil)

	okItem := map[string]any{"locationId": l1, "sku": "sku-2", "quantity": 1}
	adjustItems := func(key string, items ...map[string]any) map[string]any {
		in := map[string]any{"reason": "test", "items": items}
		if key != "" {
			in["idempotencyKey"] = key
		}
		return map[string]any{"in": in}
	}
	change := func(kv ...any) map[string]any {
		m := map[string]any{"fromLocationId": l1, "toLocationId": f.loc[2], "quantity": 1}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	moveChanges := func(key string, changes ...map[string]any) map[string]any {
		in := map[string]any{"changes": changes}
		if key != "" {
			in["idempotencyKey"] = key
		}
		return map[string]any{"in": in}
	}
	settingsOf := func(items ...map[string]any) map[string]any {
		return map[string]any{"in": map[string]any{"locationId": l1, "settings": items}}
	}
	tests := []struct {
		name, query string
		vars        map[string]any
		code, field string
		index       any    // nil: no index
		message     string // a part of the message, when it matters
	}{
		{"adjust: unknown sku", adjust, adjustItems("", okItem, map[string]any{"locationId": l1, "sku": "nope", "quantity": 1}), "NOT_FOUND", "input.items[1].sku", 1, ""},
		{"adjust: unknown variantId", adjust, adjustItems("", map[string]any{"locationId": l1, "variantId": noVariant, "quantity": 1}), "NOT_FOUND", "input.items[0].variantId", 0, ""},
		{"adjust: non-global productId", adjust, adjustItems("", okItem, map[string]any{"locationId": l1, "productId": "zzz", "quantity": 1}), "BAD_USER_INPUT", "input.items[1].productId", 1, ""},
		{"adjust: product of several variants", adjust, adjustItems("", map[string]any{"locationId": l1, "productId": f.shirt, "quantity": 1}), "BAD_USER_INPUT", "input.items[0].productId", 0, ""},
		{"adjust: sku and variantId", adjust, adjustItems("", map[string]any{"locationId": l1, "variantId": f.v["sku-1"], "sku": "sku-1", "quantity": 1}), "BAD_USER_INPUT", "input.items[0].sku", 0, ""},
		{"adjust: non-global locationId", adjust, adjustItems("", map[string]any{"locationId": "zzz", "sku": "sku-1", "quantity": 1}), "BAD_USER_INPUT", "input.items[0].locationId", 0, ""},
		{"adjust: virtual location", adjust, adjustItems("", map[string]any{"locationId": virtual, "sku": "sku-1", "quantity": 1}), "BAD_USER_INPUT", "input.items[0].locationId", 0, ""},
		{"adjust: stale revision", adjust, adjustItems("", map[string]any{"locationId": l1, "sku": "sku-1", "quantity": 1, "expectedRevision": 999}), "REVISION_CONFLICT", "input.items[0].expectedRevision", 0, ""},
		{"adjust: key of a move", adjust, adjustItems("key-2", okItem), "IDEMPOTENCY_KEY_REUSED", "input.idempotencyKey", nil, "used for moveInventory"},
		{"adjust: key with another input", adjust, adjustItems("key-1", okItem), "IDEMPOTENCY_KEY_REUSED", "input.idempotencyKey", nil, "used for adjustInventoryRelative with a different input"},
		{"move: key of an adjustment", move, moveChanges("key-1", change("sku", "sku-1")), "IDEMPOTENCY_KEY_REUSED", "input.idempotencyKey", nil, "used for adjustInventoryRelative; use a new key for this moveInventory"},
		{"move: unknown sku", move, moveChanges("", change("sku", "sku-1"), change("sku", "nope")), "NOT_FOUND", "input.changes[1].sku", 1, ""},
		{"move: non-global fromLocationId", move, moveChanges("", change("sku", "sku-1", "fromLocationId", "zzz")), "BAD_USER_INPUT", "input.changes[0].fromLocationId", 0, ""},
		{"move: no quantity", move, moveChanges("", change("sku", "sku-1", "quantity", 0)), "BAD_USER_INPUT", "input.changes[0].quantity", 0, ""},
		{"move: more than there is", move, moveChanges("", change("sku", "sku-1", "quantity", 50)), "NEGATIVE_STOCK", "input.changes[0].quantity", 0, ""},
		{"settings: stale revision", settings, settingsOf(map[string]any{"sku": "sku-1", "safetyStock": 1, "expectedRevision": 999}), "REVISION_CONFLICT", "input.settings[0].expectedRevision", 0, ""},
		{"settings: unknown sku", settings, settingsOf(map[string]any{"sku": "sku-1", "safetyStock": 1}, map[string]any{"sku": "nope"}), "NOT_FOUND", "input.settings[1].sku", 1, ""},
		{"settings: non-global productId", settings, settingsOf(map[string]any{"productId": "zzz"}), "BAD_USER_INPUT", "input.settings[0].productId", 0, ""},
		{"settings: isInStock false tracked by quantity", settings, settingsOf(map[string]any{"sku": "sku-1", "isInStock": false}), "BAD_USER_INPUT", "input.settings[0].isInStock", 0, ""},
		{"settings: negative preorder limit", settings, settingsOf(map[string]any{"sku": "sku-1", "preorder": map[string]any{"limit": -1}}), "BAD_USER_INPUT", "input.settings[0].preorder.limit", 0, ""},
		{"settings: backorders off", settings, settingsOf(map[string]any{"sku": "sku-1", "backorderLimit": 5}), "FEATURE_DISABLED", "input.settings[0].backorderLimit", 0, ""},
		{"settings: virtual location", settings, map[string]any{"in": map[string]any{"locationId": virtual, "settings": []any{map[string]any{"sku": "sku-1"}}}}, "BAD_USER_INPUT", "input.locationId", nil, ""},
		{"stockVariant: isInStock false tracked by quantity", stock, map[string]any{"in": map[string]any{"variantId": f.v["sku-3"], "locationId": l1, "settings": map[string]any{"isInStock": false}}}, "BAD_USER_INPUT", "input.settings.isInStock", nil, ""},
		{"stockVariant: unknown variant", stock, map[string]any{"in": map[string]any{"variantId": noVariant, "locationId": l1}}, "NOT_FOUND", "input.variantId", nil, ""},
		{"stockVariant: virtual location", stock, map[string]any{"in": map[string]any{"variantId": f.v["sku-3"], "locationId": virtual}}, "BAD_USER_INPUT", "input.locationId", nil, ""},
		{"setInventoryTracking: non-global productId", tracking, map[string]any{"in": map[string]any{"productIds": []any{f.shirt, "zzz"}, "trackingMode": "UNTRACKED"}}, "BAD_USER_INPUT", "input.productIds[1]", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(f.token, tt.query, tt.vars)
			if r.code() != tt.code {
				t.Fatalf("code = %q, want %q (%+v)", r.code(), tt.code, r.Errors)
			}
			ext := r.Errors[0].Extensions
			if ext["field"] != tt.field {
				t.Errorf("extensions.field = %v, want %q (%s)", ext["field"], tt.field, r.Errors[0].Message)
			}
			if got, want := ext["index"], tt.index; (want == nil) != (got == nil) || (want != nil && got != float64(want.(int))) {
				t.Errorf("extensions.index = %v, want %v", got, want)
			}
			if !strings.Contains(r.Errors[0].Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", r.Errors[0].Message, tt.message)
			}
		})
	}
}
