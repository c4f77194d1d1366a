package transfer

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
)

// The benchmarks run on a store of 1,000 products × 20 variants × 5
// locations: 100,000 items. Seeding it takes a few seconds, so they are
// not part of the tests:
//
//	go test -run '^$' -bench . -benchtime 1x ./transfer/

const bigRows = 100_000

func newBigFixture(b *testing.B) fixture {
	b.Helper()
	f := newFixture(b, 1000, 20, 5)
	f.enable(b)
	return f
}

func BenchmarkExport100k(b *testing.B) {
	f := newBigFixture(b)
	for _, format := range []Format{CSV, JSONL} {
		b.Run(string(format), func(b *testing.B) {
			for b.Loop() {
				n, err := Export(context.Background(), f.db, f.actor.Store.ID, io.Discard, format)
				if err != nil || n != bigRows {
					b.Fatalf("Export() = %d, %v, want %d rows", n, err, bigRows)
				}
			}
			b.ReportMetric(float64(bigRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkImport100k imports a whole export with every on hand changed,
// alternately up and back, so that each run adjusts all 100,000 items;
// "unchanged" imports the file the store already matches.
func BenchmarkImport100k(b *testing.B) {
	f := newBigFixture(b)
	for _, format := range []Format{CSV, JSONL} {
		original := f.export(b, format)
		shifted := shiftOnHand(b, format, original)
		b.Run(string(format), func(b *testing.B) {
			files := []string{shifted, original}
			i := 0
			for b.Loop() {
				benchImport(b, f, format, files[i%2], bigRows, 0)
				i++
			}
			b.ReportMetric(float64(bigRows*b.N)/b.Elapsed().Seconds(), "rows/s")
			if i%2 == 1 { // leave the store as the next format's file expects
				benchImport(b, f, format, original, bigRows, 0)
			}
		})
		b.Run(string(format)+"/unchanged", func(b *testing.B) {
			for b.Loop() {
				benchImport(b, f, format, original, 0, bigRows)
			}
			b.ReportMetric(float64(bigRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func benchImport(b *testing.B, f fixture, format Format, file string, changed, unchanged int) {
	rep, err := Import(context.Background(), f.db, f.actor, strings.NewReader(file), ImportOptions{Format: format})
	if err != nil || rep.Changed != changed || rep.Unchanged != unchanged || rep.Failed != 0 {
		b.Fatalf("Import() = %+v, %v; want %d changed, %d unchanged", rep, err, changed, unchanged)
	}
}

// shiftOnHand adds one to every on hand; the seed keeps them below 60.
func shiftOnHand(b *testing.B, format Format, file string) string {
	dec, err := newDecoder(format, strings.NewReader(file))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	enc, _ := newEncoder(format, &buf)
	for {
		rec, err := dec.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n, _ := strconv.Atoi(rec.cells[colOnHand])
		rec.cells[colOnHand] = strconv.Itoa(n + 1)
		if err := enc.write(&rec.cells); err != nil {
			b.Fatal(err)
		}
	}
	if err := enc.flush(); err != nil {
		b.Fatal(err)
	}
	return buf.String()
}
