package bulk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/bulk"
	"stockgraph/internal/ledger"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
	"stockgraph/internal/transfer"
)

type fixture struct {
	t       testing.TB
	db      *gorm.DB
	storeID int64
}

func newFixture(t testing.TB, products, variants, locations int) fixture {
	t.Helper()
	db := testdb.MustOpenDB(t)
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: "bulk", Products: products, Variants: variants, Locations: locations})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return fixture{t: t, db: db.DB, storeID: res.Store.ID}
}

// export is the store's CSV export, as the CLI writes it.
func (f fixture) export() string {
	f.t.Helper()
	var buf bytes.Buffer
	if _, err := transfer.Export(context.Background(), f.db, f.storeID, &buf, transfer.CSV); err != nil {
		f.t.Fatal(err)
	}
	return buf.String()
}

// file is the store's export with every on hand set to base+i, a bad SKU
// on its fifth row and, last, its first row again.
func (f fixture) file(base int) string {
	f.t.Helper()
	lines := strings.Split(strings.TrimSpace(f.export()), "\n")
	for i := 1; i < len(lines); i++ {
		cells := strings.Split(lines[i], ",")
		cells[2] = strconv.Itoa(base + i)
		if i == 5 {
			cells[1] = "GONE"
		}
		lines[i] = strings.Join(cells, ",")
	}
	lines = append(lines, lines[1])
	return strings.Join(lines, "\n") + "\n"
}

func (f fixture) startImport(file string, req bulk.ImportRequest) bulk.Operation {
	f.t.Helper()
	req.File = strings.NewReader(file)
	if req.Format == "" {
		req.Format = transfer.CSV
	}
	if req.ErrorPolicy == "" {
		req.ErrorPolicy = bulk.Continue
	}
	op, err := bulk.StartImport(context.Background(), f.db, f.storeID, req)
	if err != nil {
		f.t.Fatalf("StartImport() error = %v", err)
	}
	return op
}

// runAll runs the worker until no operation is left to claim.
func (f fixture) runAll(w *bulk.Worker) {
	f.t.Helper()
	for {
		busy, err := w.RunOnce(context.Background())
		if err != nil {
			f.t.Fatalf("RunOnce() error = %v", err)
		}
		if !busy {
			return
		}
	}
}

func (f fixture) get(id int64) bulk.Operation {
	f.t.Helper()
	op, err := bulk.Get(context.Background(), f.db, f.storeID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return op
}

func (f fixture) file2(op int64, part bulk.Part) string {
	f.t.Helper()
	var buf bytes.Buffer
	if _, err := bulk.CopyFile(context.Background(), f.db, op, part, &buf); err != nil {
		f.t.Fatal(err)
	}
	return buf.String()
}

func (f fixture) movements() int64 {
	var n int64
	f.db.Raw(`SELECT count(*) FROM inventory_movements WHERE store_id = ?`, f.storeID).Scan(&n)
	return n
}

func (f fixture) mustBeConsistent() {
	f.t.Helper()
	bad, err := ledger.Inconsistencies(context.Background(), f.db, f.storeID)
	if err != nil || len(bad) > 0 {
		f.t.Fatalf("ledger.Inconsistencies() = %+v, %v; want none", bad, err)
	}
}

func TestImportRunsInTheBackground(t *testing.T) {
	f := newFixture(t, 5, 2, 2) // 20 rows
	op := f.startImport(f.file(100), bulk.ImportRequest{})
	if op.Status != bulk.Created || op.Total != 21 {
		t.Fatalf("StartImport() = %s with total %d, want CREATED with 21 rows", op.Status, op.Total)
	}
	f.runAll(bulk.NewWorker(f.db, bulk.Config{BatchSize: 3}))
	op = f.get(op.ID)
	if op.Status != bulk.Completed || op.Done != 21 || op.RowsWritten != 19 || op.ErrorCount != 2 || op.Total != 21 || op.ExpiresAt == nil {
		t.Fatalf("operation after the worker = %+v, want COMPLETED with 21 done, 19 written, 2 errors", op)
	}
	want := "line,location_code,sku,code,message\n" +
		"6,LOC-1,GONE,NOT_FOUND,\"no variant with SKU \"\"GONE\"\"\"\n" +
		"22,LOC-1,P00001-01,CONFLICT,location LOC-1 and SKU P00001-01 are on line 2 already\n"
	if got := f.file2(op.ID, bulk.Errors); got != want {
		t.Errorf("error report = %q, want %q", got, want)
	}
	f.mustBeConsistent()
}

// TestImportResumesAfterACrash stops a worker after two committed batches
// of an import, in the middle of its third (as kill -9 would: no cleanup),
// lets the lease run out, and has another worker finish it: the levels,
// the ledger, the counts and the error report are those of one
// uninterrupted import.
func TestImportResumesAfterACrash(t *testing.T) {
	whole, crashed := newFixture(t, 5, 2, 2), newFixture(t, 5, 2, 2)
	file := whole.file(100)
	want := whole.startImport(file, bulk.ImportRequest{})
	whole.runAll(bulk.NewWorker(whole.db, bulk.Config{BatchSize: 3}))
	want = whole.get(want.ID)

	op := crashed.startImport(file, bulk.ImportRequest{})
	ctx, crash := context.WithCancel(context.Background())
	batches := 0
	first := bulk.NewWorker(crashed.db, bulk.Config{BatchSize: 3, Lease: time.Hour, AfterBatch: func(bulk.Operation, int64) {
		if batches++; batches == 2 {
			crash()
		}
	}})
	if busy, err := first.RunOnce(ctx); !busy || err != nil {
		t.Fatalf("RunOnce(crashing) = %t, %v", busy, err)
	}
	mid := crashed.get(op.ID)
	if mid.Status != bulk.Running || mid.Done != 6 {
		t.Fatalf("operation after the crash = %s with %d done, want RUNNING after 2 batches of 3", mid.Status, mid.Done)
	}
	second := bulk.NewWorker(crashed.db, bulk.Config{BatchSize: 3})
	if busy, _ := second.RunOnce(context.Background()); busy {
		t.Fatal("a second worker claimed the operation while its lease held")
	}
	crashed.db.Exec(`UPDATE bulk_operations SET lease_expires_at = now() - interval '1 second' WHERE id = ?`, op.ID)
	crashed.runAll(second)
	got := crashed.get(op.ID)
	if got.Status != bulk.Completed || got.Done != want.Done || got.RowsWritten != want.RowsWritten || got.ErrorCount != want.ErrorCount || got.Attempts != 2 {
		t.Errorf("resumed operation = %s, %d done, %d written, %d errors, %d attempts; want COMPLETED as %d, %d, %d after 2 attempts",
			got.Status, got.Done, got.RowsWritten, got.ErrorCount, got.Attempts, want.Done, want.RowsWritten, want.ErrorCount)
	}
	if g, w := crashed.export(), whole.export(); g != w {
		t.Errorf("export after the resumed import differs from one uninterrupted import")
	}
	if g, w := crashed.movements(), whole.movements(); g != w {
		t.Errorf("movements after the resumed import = %d, want %d (a row applied twice?)", g, w)
	}
	if g, w := crashed.file2(op.ID, bulk.Errors), whole.file2(want.ID, bulk.Errors); g != w {
		t.Errorf("error report after the resume = %q, want %q", g, w)
	}
	crashed.mustBeConsistent()
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t, 5, 2, 2)
	before, movements := f.export(), f.movements()
	op := f.startImport(f.file(100), bulk.ImportRequest{DryRun: true})
	f.runAll(bulk.NewWorker(f.db, bulk.Config{BatchSize: 3}))
	op = f.get(op.ID)
	if op.Status != bulk.Completed || op.RowsWritten != 19 || op.ErrorCount != 2 {
		t.Errorf("dry run = %s, %d written, %d errors; want COMPLETED, 19, 2", op.Status, op.RowsWritten, op.ErrorCount)
	}
	if f.export() != before || f.movements() != movements {
		t.Error("a dry run changed the store")
	}
}

func TestStopPolicyEndsAfterTheFailingBatch(t *testing.T) {
	f := newFixture(t, 5, 2, 2)
	op := f.startImport(f.file(100), bulk.ImportRequest{ErrorPolicy: bulk.Stop})
	f.runAll(bulk.NewWorker(f.db, bulk.Config{BatchSize: 3}))
	op = f.get(op.ID)
	// Line 6 (the fifth row) is in the second batch of 3.
	if op.Status != bulk.Failed || op.ErrorCode != bulk.CodeRowsFailed || op.Done != 6 || op.RowsWritten != 5 {
		t.Errorf("STOP import = %s %s, %d done, %d written; want FAILED ROWS_FAILED after 6 rows, 5 written", op.Status, op.ErrorCode, op.Done, op.RowsWritten)
	}
	f.mustBeConsistent()
}

func TestInvalidFileFails(t *testing.T) {
	f := newFixture(t, 1, 1, 1)
	op := f.startImport("location_code,sku,qty\nLOC-1,P00001-01,3\n", bulk.ImportRequest{})
	f.runAll(bulk.NewWorker(f.db, bulk.Config{}))
	op = f.get(op.ID)
	if op.Status != bulk.Failed || op.ErrorCode != bulk.CodeInvalidFile || !strings.Contains(op.ErrorMessage, `unknown column "qty"`) {
		t.Errorf("import of a bad header = %s %s %q, want FAILED INVALID_FILE naming the column", op.Status, op.ErrorCode, op.ErrorMessage)
	}
}

func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t, 2, 2, 1)
	file := f.file(10)
	first := f.startImport(file, bulk.ImportRequest{IdempotencyKey: "k1"})
	again := f.startImport(file, bulk.ImportRequest{IdempotencyKey: "k1"})
	if again.ID != first.ID {
		t.Errorf("StartImport(same key, same file) = operation %d, want %d", again.ID, first.ID)
	}
	_, err := bulk.StartImport(context.Background(), f.db, f.storeID, bulk.ImportRequest{File: strings.NewReader(file + "\n"),
		Format: transfer.CSV, ErrorPolicy: bulk.Continue, IdempotencyKey: "k1"})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.IdempotencyKeyReused {
		t.Errorf("StartImport(same key, another file) error = %v, want IDEMPOTENCY_KEY_REUSED", err)
	}
	var n int64
	f.db.Raw(`SELECT count(*) FROM bulk_operations`).Scan(&n)
	if n != 1 {
		t.Errorf("operations = %d, want 1", n)
	}
}

func TestUploadIsSizeLimitedAndChunked(t *testing.T) {
	f := newFixture(t, 1, 1, 1)
	big := "location_code,sku,on_hand\n" + strings.Repeat("LOC-1,P00001-01,1\n", 200_000) // 3.6 MB
	_, err := bulk.StartImport(context.Background(), f.db, f.storeID, bulk.ImportRequest{File: strings.NewReader(big),
		Format: transfer.CSV, ErrorPolicy: bulk.Continue, MaxBytes: 1 << 20})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.FileTooLarge {
		t.Fatalf("StartImport(3.6 MB, limit 1 MiB) error = %v, want FILE_TOO_LARGE", err)
	}
	op := f.startImport(big, bulk.ImportRequest{})
	var chunks int
	f.db.Raw(`SELECT count(*) FROM bulk_operation_files WHERE operation_id = ? AND part = 'input'`, op.ID).Scan(&chunks)
	if got := f.file2(op.ID, bulk.Input); chunks != 4 || got != big {
		t.Errorf("stored upload = %d chunks, same bytes %t; want 4 chunks of the same bytes", chunks, got == big)
	}
}

func TestExportAndCancel(t *testing.T) {
	f := newFixture(t, 3, 2, 2)
	for _, format := range []transfer.Format{transfer.CSV, transfer.JSONL} {
		op, err := bulk.StartExport(context.Background(), f.db, f.storeID, bulk.ExportRequest{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		f.runAll(bulk.NewWorker(f.db, bulk.Config{}))
		op = f.get(op.ID)
		var want bytes.Buffer
		if _, err := transfer.Export(context.Background(), f.db, f.storeID, &want, format); err != nil {
			t.Fatal(err)
		}
		if got := f.file2(op.ID, bulk.Result); op.Status != bulk.Completed || op.RowsWritten != 12 || op.Total != 12 || got != want.String() {
			t.Errorf("export %s = %s, %d rows of %d, same file %t; want COMPLETED with the 12 rows of transfer.Export", format, op.Status, op.RowsWritten, op.Total, got == want.String())
		}
	}
	filter := transfer.ExportFilter{SKUs: []string{"P00001-01"}}
	op, _ := bulk.StartExport(context.Background(), f.db, f.storeID, bulk.ExportRequest{Format: transfer.JSONL, Filter: filter})
	canceled, err := bulk.Cancel(context.Background(), f.db, f.storeID, op.ID)
	if err != nil || canceled.Status != bulk.Canceled {
		t.Fatalf("Cancel() = %s, %v; want CANCELED", canceled.Status, err)
	}
	if busy, _ := bulk.NewWorker(f.db, bulk.Config{}).RunOnce(context.Background()); busy {
		t.Error("a worker claimed a canceled operation")
	}
	if _, err := bulk.Cancel(context.Background(), f.db, f.storeID, op.ID); !isCode(err, apperr.Conflict) {
		t.Errorf("Cancel() again error = %v, want CONFLICT", err)
	}
	if _, err := bulk.Get(context.Background(), f.db, f.storeID+1, op.ID); !isCode(err, apperr.NotFound) {
		t.Errorf("Get(another store) error = %v, want NOT_FOUND", err)
	}
	var stored transfer.ExportFilter
	_ = json.Unmarshal([]byte(canceled.Filter), &stored)
	if fmt.Sprint(stored) != fmt.Sprint(filter) {
		t.Errorf("stored filter = %+v, want %+v", stored, filter)
	}
}

func isCode(err error, code apperr.Code) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == code
}
