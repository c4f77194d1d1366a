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
