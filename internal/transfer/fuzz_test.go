package transfer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzImport reads any file as an import would: it never panics, every
// bad row is a LineError that names its line, every record parses (or
// fails) without panicking, and a record that reads writes back and reads
// again to the same cells.
func fuzzImport(t *testing.T, f Format, file string) {
	dec, err := newDecoder(f, strings.NewReader(file))
	if err != nil {
		return // a header that is not ours: refused as a whole
	}
	var recs []record
	for n := 0; n < 1000; n++ {
		rec, err := dec.read()
		var le *LineError
		switch {
		case errors.Is(err, io.EOF):
			n = 1000
		case errors.As(err, &le):
			if le.Line < 1 {
				t.Fatalf("bad row at line %d: %v", le.Line, le)
			}
		case err != nil:
			return // the stream itself is unreadable: the import stops with it
		default:
			_, _ = parseRecord(rec)
			recs = append(recs, rec)
		}
	}
	var buf bytes.Buffer
	enc, err := newEncoder(f, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := enc.write(&recs[i].cells); err != nil {
			t.Fatalf("write %+v: %v", recs[i].cells, err)
		}
	}
	if err := enc.flush(); err != nil {
		t.Fatal(err)
	}
	again, bad := readAll(t, f, buf.String())
	if len(bad) > 0 {
		t.Fatalf("read(write(records)) bad rows %v\n%s", bad, buf.String())
	}
	if len(again) != len(recs) {
		t.Fatalf("read(write(records)) = %d records, want %d\n%s", len(again), len(recs), buf.String())
	}
	for i := range recs {
		if again[i].cells != recs[i].cells {
			t.Fatalf("record %d round trip = %q, want %q", i, again[i].cells, recs[i].cells)
		}
	}
}

func FuzzImportCSV(f *testing.F) {
	f.Add(strings.Join(Columns(), ",") + "\nLOC-1,A,P,5,,,,,,,,,,,,,\n")
	f.Add("location_code,sku\nL,\"a,\"\"b\"\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, file string) { fuzzImport(t, CSV, file) })
}

func FuzzImportJSONL(f *testing.F) {
	f.Add(`{"location_code":"L","sku":"A","on_hand":5,"is_in_stock":false,"availability_date":null}` + "\n")
	f.Add(`{"location_code":"L","sku":"B","on_hand":[1]}` + "\nnot json\n")
	f.Add(`{"location_code":"L","sku":"\u0000\ud800"}`)
	f.Fuzz(func(t *testing.T, file string) { fuzzImport(t, JSONL, file) })
}
