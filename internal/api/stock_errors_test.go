package api_test

import (
	"strings"
	"testing"
)

// TestWriteErrorsCarryCodeAndIndex sends each kind of bad write and checks
// the error's code and the index of the offending item, and that nothing
// was written.
func TestWriteErrorsCarryCodeAndIndex(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	var supplier struct {
		Store struct {
			Locations struct{ Nodes []struct{ ID string } }
		}
	}
	e.mustData(f.token, `{ store { locations(filter: {types: [SUPPLIER]}) { nodes { id } } } }`, nil, &supplier)
	e.mustData(f.token, `mutation($l: ID!) { adjustInventoryAbsolute(input: {reason: "count", items: [{locationId: $l, sku: "sku-1", quantity: 5}]}) { items { id } } }`,
		map[string]any{"l": f.loc[1]}, nil)
	var movementsBefore int64
	e.db.Raw(`SELECT count(*) FROM inventory_movements`).Scan(&movementsBefore)

	ok := map[string]any{"locationId": f.loc[1], "sku": "sku-2", "quantity": 1}
	item := func(kv ...any) map[string]any {
		m := map[string]any{"locationId": f.loc[1]}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tooMany := make([]map[string]any, 1001)
	for i := range tooMany {
		tooMany[i] = ok
	}
	tests := []struct {
		name     string
		mutation string
		items    []map[string]any
		code     string
		index    any
	}{
		{"negative stock", "adjustInventoryRelative", []map[string]any{ok, item("sku", "sku-1", "quantity", -6)}, "NEGATIVE_STOCK", 1},
		{"above 99,999", "adjustInventoryAbsolute", []map[string]any{item("sku", "sku-1", "quantity", 100000)}, "BAD_USER_INPUT", 0},
		{"unknown SKU", "adjustInventoryAbsolute", []map[string]any{ok, item("sku", "nope", "quantity", 1)}, "NOT_FOUND", 1},
		{"unknown location", "adjustInventoryAbsolute", []map[string]any{{"locationId": "TG9jYXRpb246OTk5OTk5", "sku": "sku-1", "quantity": 1}}, "NOT_FOUND", 0},
		{"virtual location", "adjustInventoryAbsolute", []map[string]any{ok, {"locationId": supplier.Store.Locations.Nodes[0].ID, "sku": "sku-1", "quantity": 1}}, "BAD_USER_INPUT", 1},
		{"duplicate item", "adjustInventoryAbsolute", []map[string]any{item("sku", "sku-1", "quantity", 1), item("variantId", f.v["sku-1"], "quantity", 2)}, "BAD_USER_INPUT", 1},
		{"product with several variants", "adjustInventoryAbsolute", []map[string]any{item("productId", f.shirt, "quantity", 1)}, "BAD_USER_INPUT", 0},
		{"two names for one variant", "adjustInventoryAbsolute", []map[string]any{item("sku", "sku-1", "variantId", f.v["sku-1"], "quantity", 1)}, "BAD_USER_INPUT", 0},
		{"nothing to change", "adjustInventoryAbsolute", []map[string]any{item("sku", "sku-1")}, "BAD_USER_INPUT", 0},
		{"backorders off", "adjustInventoryRelative", []map[string]any{item("sku", "sku-1", "qtyBackordered", 1)}, "FEATURE_DISABLED", 0},
		{"malformed variant ID", "adjustInventoryAbsolute", []map[string]any{ok, item("variantId", "zzz", "quantity", 1)}, "BAD_USER_INPUT", 1},
		{"too many items", "adjustInventoryAbsolute", tooMany, "BAD_USER_INPUT", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(f.token, `mutation($in: AdjustInventoryInput!) { `+tt.mutation+`(input: $in) { items { id } } }`,
				map[string]any{"in": map[string]any{"reason": "test", "items": tt.items}})
			if r.code() != tt.code {
				t.Fatalf("%s: code %q, want %q (%+v)", tt.mutation, r.code(), tt.code, r.Errors)
			}
			if got := r.Errors[0].Extensions["index"]; tt.index != nil && got != float64(tt.index.(int)) {
				t.Errorf("%s: index %v, want %v", tt.mutation, got, tt.index)
			}
			if tt.code == "NEGATIVE_STOCK" && !strings.Contains(r.Errors[0].Message, `SKU "sku-1" at BC-LOCATION-1 has 5 on hand`) {
				t.Errorf("%s: message %q, want it to name the SKU, the location code and what is on hand", tt.mutation, r.Errors[0].Message)
			}
		})
	}
	var movementsAfter int64
	e.db.Raw(`SELECT count(*) FROM inventory_movements`).Scan(&movementsAfter)
	if movementsAfter != movementsBefore {
		t.Errorf("failed writes appended %d movements, want none", movementsAfter-movementsBefore)
	}
	if oh, _ := f.level("sku-2", 1); oh != 0 {
		t.Errorf("onHand(sku-2) after rejected batches = %d, want 0 (all or nothing)", oh)
	}
}

// TestRejectFailedRowsAndDryRun: a batch that keeps its good rows reports
// the bad ones per row; a dry run changes nothing.
func TestRejectFailedRowsAndDryRun(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	mutation := `mutation($in: AdjustInventoryInput!) { adjustInventoryAbsolute(input: $in) { ` + adjustPayload + ` } }`
	var dry struct{ AdjustInventoryAbsolute adjustResult }
	e.mustData(f.token, mutation, map[string]any{"in": map[string]any{"reason": "plan", "dryRun": true,
		"items": []map[string]any{{"locationId": f.loc[1], "sku": "sku-1", "quantity": 9}}}}, &dry)
	if d := dry.AdjustInventoryAbsolute; !d.DryRun || len(d.Items) != 1 || d.Items[0].OnHand != 9 || len(d.Movements) != 1 {
		t.Errorf("dry run = %+v, want the would-be item at 9 and its movement", d)
	}
	if oh, _ := f.level("sku-1", 1); oh != 0 {
		t.Errorf("onHand after a dry run = %d, want 0", oh)
	}

	var partial struct{ AdjustInventoryAbsolute adjustResult }
	e.mustData(f.token, mutation, map[string]any{"in": map[string]any{"reason": "import", "errorPolicy": "REJECT_FAILED_ROWS",
		"items": []map[string]any{
			{"locationId": f.loc[1], "sku": "sku-1", "quantity": 4},
			{"locationId": f.loc[1], "sku": "missing", "quantity": 4},
			{"locationId": f.loc[1], "sku": "sku-2", "quantity": -1},
			{"locationId": f.loc[2], "sku": "sku-2", "quantity": 6},
		}}}, &partial)
	p := partial.AdjustInventoryAbsolute
	codes := make([]string, len(p.Results))
	for i, r := range p.Results {
		if r.Error != nil {
			codes[i] = r.Error.Code
		}
	}
	if strings.Join(codes, ",") != ",NOT_FOUND,NEGATIVE_STOCK," || len(p.Items) != 2 {
		t.Errorf("results = %v with %d items, want [ok NOT_FOUND NEGATIVE_STOCK ok] and 2 items", codes, len(p.Items))
	}
	if oh, _ := f.level("sku-2", 2); oh != 6 {
		t.Errorf("onHand(sku-2 at location 2) = %d, want 6", oh)
	}
	f.mustBeConsistent()
}

// TestSettingsBatchPolicies: updateInventorySettings keeps its good rows
// with REJECT_FAILED_ROWS, writes nothing in a dry run, and nothing at all
// when any row fails by default.
func TestSettingsBatchPolicies(t *testing.T) {
	f := newStockFixture(t)
	e := f.e
	mutation := `mutation($in: UpdateInventorySettingsInput!) { updateInventorySettings(input: $in) {
		items { variant { sku } settings { safetyStock } } results { index error { code } } dryRun } }`
	rows := []map[string]any{
		{"sku": "sku-1", "safetyStock": 4},
		{"sku": "nope", "safetyStock": 4},
		{"sku": "sku-2", "backorderLimit": 5}, // backorders are off
		{"sku": "sku-3", "safetyStock": 6},
	}
	type payload struct {
		UpdateInventorySettings struct {
			Items []struct {
				Variant  struct{ Sku string }
				Settings struct{ SafetyStock int }
			}
			Results []struct {
				Index int
				Error *struct{ Code string }
			}
			DryRun bool
		}
	}
	safety := func(sku string) int {
		var n int
		e.db.Raw(`SELECT coalesce(max(i.safety_stock), -1) FROM inventory_items i JOIN variants v ON v.id = i.variant_id WHERE v.sku = ?`, sku).Scan(&n)
		return n
	}
	r := e.do(f.token, mutation, map[string]any{"in": map[string]any{"locationId": f.loc[1], "settings": rows}})
	if r.code() != "NOT_FOUND" || len(r.Errors[0].Extensions["errors"].([]any)) != 2 {
		t.Errorf("default policy: %+v, want NOT_FOUND listing 2 failures", r.Errors)
	}
	if got := safety("sku-1"); got != -1 {
		t.Errorf("after a rejected batch sku-1 has an item with safety stock %d, want no item", got)
	}

	var dry payload
	e.mustData(f.token, mutation, map[string]any{"in": map[string]any{"locationId": f.loc[1], "dryRun": true, "errorPolicy": "REJECT_FAILED_ROWS", "settings": rows}}, &dry)
	if d := dry.UpdateInventorySettings; !d.DryRun || len(d.Items) != 2 || d.Items[0].Settings.SafetyStock != 4 {
		t.Errorf("dry run = %+v, want 2 would-be items", d)
	}
	if got := safety("sku-1"); got != -1 {
		t.Errorf("after a dry run sku-1 has an item with safety stock %d, want no item", got)
	}

	var partial payload
	e.mustData(f.token, mutation, map[string]any{"in": map[string]any{"locationId": f.loc[1], "errorPolicy": "REJECT_FAILED_ROWS", "settings": rows}}, &partial)
	p := partial.UpdateInventorySettings
	var codes []string
	for _, res := range p.Results {
		if res.Error != nil {
			codes = append(codes, res.Error.Code)
		} else {
			codes = append(codes, "")
		}
	}
	if strings.Join(codes, ",") != ",NOT_FOUND,FEATURE_DISABLED," || len(p.Items) != 2 || p.Items[1].Variant.Sku != "sku-3" {
		t.Errorf("REJECT_FAILED_ROWS = %v with items %+v, want [ok NOT_FOUND FEATURE_DISABLED ok]", codes, p.Items)
	}
	if safety("sku-1") != 4 || safety("sku-3") != 6 {
		t.Errorf("safety stock of sku-1, sku-3 = %d, %d, want 4, 6", safety("sku-1"), safety("sku-3"))
	}
}
