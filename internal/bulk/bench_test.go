package bulk_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/bulk"
	"stockgraph/internal/transfer"
)

// BenchmarkAPI100k runs bulk operations over 100,000 items (1,000
// products × 20 variants × 5 locations) as the API does. import: the
// upload stored in chunks, then a worker applying it in batches with
// checkpoints (every on hand changed, alternately up and back); it
// reports the worker's rows/s and the upload's MB/s. export: a worker
// writing the store's CSV to chunks. Seeding takes a few seconds, so it
// is not part of the tests:
//
//	go test -run '^$' -bench API100k -benchtime 2x ./internal/bulk/
func BenchmarkAPI100k(b *testing.B) {
	const rows = 100_000
	f := newFixture(b, 1000, 20, 5)
	original := f.export()
	files := []string{shift(original), original}
	b.Run("import", func(b *testing.B) {
		var upload, work time.Duration
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			op, err := bulk.StartImport(context.Background(), f.db, f.storeID, bulk.ImportRequest{File: strings.NewReader(files[i%2]),
				Format: transfer.CSV, ErrorPolicy: bulk.Continue})
			if err != nil {
				b.Fatal(err)
			}
			upload += time.Since(start)
			start = time.Now()
			f.runOne(b, op.ID, rows)
			work += time.Since(start)
		}
		b.ReportMetric(float64(rows*b.N)/work.Seconds(), "rows/s")
		b.ReportMetric(float64(len(original)*b.N)/upload.Seconds()/1e6, "upload-MB/s")
	})
	b.Run("export", func(b *testing.B) {
		for b.Loop() {
			op, err := bulk.StartExport(context.Background(), f.db, f.storeID, bulk.ExportRequest{Format: transfer.CSV})
			if err != nil {
				b.Fatal(err)
			}
			f.runOne(b, op.ID, rows)
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// runOne runs the operation waiting and checks it wrote all the rows.
func (f fixture) runOne(b *testing.B, id int64, rows int64) {
	if busy, err := bulk.NewWorker(f.db, bulk.Config{}).RunOnce(context.Background()); !busy || err != nil {
		b.Fatalf("RunOnce() = %t, %v", busy, err)
	}
	if op, _ := bulk.Get(context.Background(), f.db, f.storeID, id); op.Status != bulk.Completed || op.RowsWritten != rows {
		b.Fatalf("operation = %s with %d rows written, want COMPLETED with %d", op.Status, op.RowsWritten, rows)
	}
}

// shift adds one to every on hand of a CSV export.
func shift(file string) string {
	lines := strings.Split(strings.TrimSuffix(file, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		cells := strings.SplitN(lines[i], ",", 4)
		n, _ := strconv.Atoi(cells[2])
		cells[2] = strconv.Itoa(n + 1)
		lines[i] = strings.Join(cells, ",")
	}
	return strings.Join(lines, "\n") + "\n"
}
