package transfer

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"stockgraph/internal/inventory"
	"stockgraph/internal/ledger"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/models"
)

// fixture is a seeded store in a fresh database.
type fixture struct {
	db    *gorm.DB
	actor inventory.Actor
}

func newFixture(t testing.TB, products, variants, locations int) fixture {
	t.Helper()
	db := testdb.MustOpenDB(t)
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: "transfer", Products: products, Variants: variants, Locations: locations})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return fixture{db: db.DB, actor: inventory.Actor{Store: res.Store}}
}

// enable switches backorders and preorders on, so that every column can change.
func (f *fixture) enable(t testing.TB) {
	t.Helper()
	on := true
	store, err := inventory.UpdateConfiguration(context.Background(), f.db, f.actor.Store.ID,
		inventory.ConfigurationPatch{BackordersEnabled: &on, PreordersEnabled: &on})
	if err != nil {
		t.Fatal(err)
	}
	f.actor.Store = store
}

func (f fixture) export(t testing.TB, format Format) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Export(context.Background(), f.db, f.actor.Store.ID, &buf, format); err != nil {
		t.Fatalf("Export(%s) error = %v", format, err)
	}
	return buf.String()
}

// importFile imports a file and returns its report and its bad rows.
func (f fixture) importFile(t testing.TB, format Format, file string) (Report, []*LineError) {
	t.Helper()
	var bad []*LineError
	rep, err := Import(context.Background(), f.db, f.actor, strings.NewReader(file), ImportOptions{
		Format: format, Reference: "test", OnError: func(e *LineError) { bad = append(bad, e) }})
	if err != nil {
		t.Fatalf("Import(%s) error = %v", format, err)
	}
	return rep, bad
}

func (f fixture) movements(t testing.TB) int64 {
	t.Helper()
	var n int64
	if err := f.db.Raw(`SELECT count(*) FROM inventory_movements WHERE store_id = ?`, f.actor.Store.ID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func (f fixture) item(t testing.TB, location, sku string) models.InventoryItem {
	t.Helper()
	var it models.InventoryItem
	err := f.db.Raw(`SELECT i.* FROM inventory_items i JOIN locations l ON l.id = i.location_id JOIN variants v ON v.id = i.variant_id
		WHERE i.store_id = ? AND l.code = ? AND v.sku = ?`, f.actor.Store.ID, location, sku).Scan(&it).Error
	if err != nil || it.ID == 0 {
		t.Fatalf("load item %s/%s: %v", location, sku, err)
	}
	return it
}

func (f fixture) mustBeConsistent(t testing.TB) {
	t.Helper()
	bad, err := ledger.Inconsistencies(context.Background(), f.db, f.actor.Store.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("ledger.Inconsistencies() = %+v, want none", bad)
	}
}

// firstDiff returns the first line where two files differ, for messages.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d = %q, want %q", i+1, gl, wl)
		}
	}
	return "no difference"
}

// edits change six rows of an export in every column there is, including
// a backordered quantity above the row's old backorder limit, which only
// works because settings are applied before quantities.
var edits = []map[int]string{
	{colOnHand: "+7"},
	{colSafetyStock: "9", colWarningLevel: "3"},
	{colBinPickingNumber: "Z-9, top shelf", colTrackingMode: "STATUS", colIsInStock: "false"},
	{colBackorderLimit: "80", colBackorderThreshold: "2", colBackordered: "75"},
	{colPreorderEnabled: "true", colPreorderLimit: "10", colPreorderThreshold: "1", colAvailabilityDate: "2026-09-01T12:30:00.5Z"},
	{colOnHand: "0", colBackordered: "0"},
}

func applyEdits(t *testing.T, recs []record) {
	t.Helper()
	stride := len(recs) / len(edits) // spread over the file and its locations
	for i, e := range edits {
		row := &recs[i*stride]
		for col, v := range e {
			if strings.HasPrefix(v, "+") {
				n, _ := strconv.Atoi(row.cells[col])
				v = strconv.Itoa(n + 7)
			}
			row.cells[col] = v
		}
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	for _, format := range []Format{CSV, JSONL} {
		t.Run(string(format), func(t *testing.T) {
			f := newFixture(t, 4, 3, 3)
			f.enable(t)
			recs, bad := readAll(t, format, f.export(t, format))
			if len(recs) != 36 || len(bad) > 0 {
				t.Fatalf("read(Export()) = %d records, %v, want 36 and no bad rows", len(recs), bad)
			}
			if recs[0].cells[colLocation] != "LOC-1" || recs[0].cells[colSKU] != "P00001-01" || recs[35].cells[colLocation] != "LOC-3" {
				t.Errorf("Export() order = %s/%s … %s, want LOC-1/P00001-01 first and LOC-3 last",
					recs[0].cells[colLocation], recs[0].cells[colSKU], recs[35].cells[colLocation])
			}
			applyEdits(t, recs)
			want := writeAll(t, format, recs)
			rep, bad := f.importFile(t, format, want)
			if len(bad) > 0 || rep.Read != 36 || rep.Changed != len(edits) || rep.Unchanged != 36-len(edits) || rep.Failed != 0 {
				t.Fatalf("Import(edited export) = %+v, %v, want 36 read, %d changed, none failed", rep, bad, len(edits))
			}
			if got := f.export(t, format); got != want {
				t.Errorf("Export() after Import() differs from the imported file: %s", firstDiff(got, want))
			}
			f.mustBeConsistent(t)
		})
	}
}

func TestImportReportsBadRows(t *testing.T) {
	type wantErr struct {
		line int
		msg  string
	}
	for _, tc := range []struct {
		format Format
		file   string
		want   []wantErr
	}{{
		format: CSV,
		file: `location_code,sku,on_hand,safety_stock,backorder_limit
LOC-1,P00001-01,40,,
LOC-1,P00001-02,abc,,
LOC-1,NOPE,5,,
LOC-9,P00001-01,5,,
LOC-2,P00001-01,-3,,
LOC-2,P00001-02,7
LOC-2,P00001-03,,-1,
LOC-2,P00001-04,,,50
LOC-2,P00002-01,,4,
SUPPLIER,P00001-05,1,,
LOC-1,P00001-01,41,,
LOC-1,P00001-03,200000,,
`,
		want: []wantErr{
			{3, `on_hand: "abc" is not a whole number`},
			{4, `no variant with SKU "NOPE"`},
			{5, `no location with code "LOC-9"`},
			{6, "on_hand: SKU \"P00001-01\" at LOC-2 has 20 on hand"}, {6, "NEGATIVE_STOCK"},
			{7, "has 3 columns, the header has 5"},
			{8, "safety_stock: safetyStock must be between 0 and 99999, got -1 (BAD_USER_INPUT)"},
			{9, "backorders are switched off"},
			{11, "virtual SUPPLIER location"},
			{12, "are on line 2 already"},
			{13, "on_hand: quantity 200000 is outside"},
		},
	}, {
		format: JSONL,
		file: `{"location_code":"LOC-1","sku":"P00001-01","on_hand":40}
{"location_code":"LOC-1","sku":"P00001-02","on_hand":"abc"}
{"location_code":"LOC-1","sku":"NOPE","on_hand":5}
{"location_code":"LOC-9","sku":"P00001-01","on_hand":5}
{"location_code":"LOC-2","sku":"P00001-01","on_hand":-3}
{"location_code":"LOC-2","sku":"P00001-02","on_hand":7
{"location_code":"LOC-2","sku":"P00001-03","safety_stock":-1}
{"location_code":"LOC-2","sku":"P00001-04","backorder_limit":50}
{"location_code":"LOC-2","sku":"P00002-01","safety_stock":4}
{"location_code":"LOC-2","sku":"P00001-05","on_hand":1,"colour":"red"}
`,
		want: []wantErr{
			{2, `on_hand: "abc" is not a whole number`},
			{3, `no variant with SKU "NOPE"`},
			{4, `no location with code "LOC-9"`},
			{5, "NEGATIVE_STOCK"},
			{6, "not a JSON object"},
			{7, "safety_stock: safetyStock must be between 0 and 99999"},
			{8, "FEATURE_DISABLED"},
			{10, `unknown key "colour"`},
		},
	}} {
		t.Run(string(tc.format), func(t *testing.T) {
			f := newFixture(t, 2, 5, 3)
			rep, bad := f.importFile(t, tc.format, tc.file)
			lines := map[int]string{}
			for _, e := range bad {
				lines[e.Line] = e.Error()
			}
			for _, w := range tc.want {
				if got := lines[w.line]; !strings.Contains(got, w.msg) || !strings.HasPrefix(got, fmt.Sprintf("line %d: ", w.line)) {
					t.Errorf("Import() error for line %d = %q, want %q", w.line, got, w.msg)
				}
			}
			wantFailed := len(lines)
			if len(bad) != wantFailed || rep.Failed != wantFailed || rep.Applied() != rep.Read-wantFailed || rep.Changed != 2 {
				t.Errorf("Import() = %+v with %d errors, want each bad row once and 2 rows changed", rep, len(bad))
			}
			if got := f.item(t, "LOC-1", "P00001-01").OnHand; got != 40 {
				t.Errorf("on hand of LOC-1/P00001-01 = %d, want 40", got)
			}
			if got := f.item(t, "LOC-2", "P00002-01").SafetyStock; got != 4 {
				t.Errorf("safety stock of LOC-2/P00002-01 = %d, want 4 (its location's other lines failed)", got)
			}
			if got := f.item(t, "LOC-2", "P00001-01").OnHand; got < 0 {
				t.Errorf("on hand of LOC-2/P00001-01 = %d, want the negative row rejected", got)
			}
			f.mustBeConsistent(t)
		})
	}
}

func TestImportTwiceWritesNothing(t *testing.T) {
	f := newFixture(t, 3, 3, 2)
	f.enable(t)
	recs, _ := readAll(t, CSV, f.export(t, CSV))
	applyEdits(t, recs)
	file := writeAll(t, CSV, recs)
	if rep, bad := f.importFile(t, CSV, file); rep.Changed != len(edits) || len(bad) > 0 {
		t.Fatalf("Import() = %+v, %v, want %d rows changed", rep, bad, len(edits))
	}
	movements := f.movements(t)
	var revisions int64
	f.db.Raw(`SELECT sum(revision) FROM inventory_items WHERE store_id = ?`, f.actor.Store.ID).Scan(&revisions)
	rep, bad := f.importFile(t, CSV, file)
	if rep.Changed != 0 || rep.Unchanged != len(recs) || len(bad) > 0 {
		t.Errorf("Import() again = %+v, %v, want every row unchanged", rep, bad)
	}
	if got := f.movements(t); got != movements {
		t.Errorf("movements after the second Import() = %d, want %d", got, movements)
	}
	var after int64
	f.db.Raw(`SELECT sum(revision) FROM inventory_items WHERE store_id = ?`, f.actor.Store.ID).Scan(&after)
	if after != revisions {
		t.Errorf("sum of revisions after the second Import() = %d, want %d", after, revisions)
	}
}

// The import skips unchanged values itself, but its safety under
// concurrent writers also rests on this: an absolute adjustment to the
// level an item has writes no movement.
func TestAdjustToSameLevelWritesNoMovement(t *testing.T) {
	f := newFixture(t, 1, 1, 1)
	it := f.item(t, "LOC-1", "P00001-01")
	before := f.movements(t)
	res, err := inventory.Adjust(context.Background(), f.db, f.actor, inventory.Adjustment{Mode: inventory.Absolute, Reason: "count",
		Lines: []inventory.AdjustLine{{LocationID: it.LocationID, Variant: inventory.VariantRef{VariantID: it.VariantID}, Quantity: &it.OnHand, QtyBackordered: &it.QtyBackordered}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.movements(t); got != before || len(res.Movements) != 0 || res.Items[0].Revision != it.Revision {
		t.Errorf("Adjust(absolute, same levels) = %d movements, revision %d; want %d movements and revision %d",
			got, res.Items[0].Revision, before, it.Revision)
	}
}

func TestImportHeaderErrorStops(t *testing.T) {
	f := newFixture(t, 1, 1, 1)
	_, err := Import(context.Background(), f.db, f.actor, strings.NewReader("location_code,sku,qty\n"), ImportOptions{Format: CSV})
	if err == nil || !strings.Contains(err.Error(), `unknown column "qty"`) {
		t.Errorf("Import(bad header) error = %v, want unknown column", err)
	}
}

func TestImportBatches(t *testing.T) {
	f := newFixture(t, 5, 2, 2) // 20 rows in batches of 3
	recs, _ := readAll(t, CSV, f.export(t, CSV))
	for i := range recs {
		recs[i].cells[colOnHand] = strconv.Itoa(100 + i)
	}
	recs[4].cells[colSKU] = "GONE"
	var bad []*LineError
	rep, err := Import(context.Background(), f.db, f.actor, strings.NewReader(writeAll(t, CSV, recs)), ImportOptions{
		Format: CSV, BatchSize: 3, OnError: func(e *LineError) { bad = append(bad, e) }})
	if err != nil || rep.Changed != 19 || rep.Failed != 1 || len(bad) != 1 || bad[0].Line != 6 {
		t.Fatalf("Import(batches of 3) = %+v, %v, %v; want 19 changed and line 6 failed", rep, bad, err)
	}
	recs, _ = readAll(t, CSV, f.export(t, CSV))
	for i, r := range recs {
		if want := strconv.Itoa(100 + i); i != 4 && r.cells[colOnHand] != want {
			t.Errorf("on hand of row %d = %s, want %s", i, r.cells[colOnHand], want)
		}
	}
}
