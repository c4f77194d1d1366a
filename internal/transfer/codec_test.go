package transfer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/apperr"
)

// readAll decodes a file into its records and the lines of its bad rows.
func readAll(t *testing.T, f Format, file string) ([]record, []*LineError) {
	t.Helper()
	dec, err := newDecoder(f, strings.NewReader(file))
	if err != nil {
		t.Fatalf("newDecoder(%s) error = %v", f, err)
	}
	var recs []record
	var bad []*LineError
	for {
		rec, err := dec.read()
		var le *LineError
		switch {
		case errors.Is(err, io.EOF):
			return recs, bad
		case errors.As(err, &le):
			bad = append(bad, le)
		case err != nil:
			t.Fatalf("read(%s) error = %v", f, err)
		default:
			recs = append(recs, rec)
		}
	}
}

// writeAll encodes records into a file.
func writeAll(t testing.TB, f Format, recs []record) string {
	t.Helper()
	var buf bytes.Buffer
	enc, err := newEncoder(f, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := enc.write(&recs[i].cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.csv": CSV, "a.JSONL": JSONL, "x/a.ndjson": JSONL, "-": CSV, "": CSV, "a.txt": CSV} {
		if got := FormatOf(path); got != want {
			t.Errorf("FormatOf(%q) = %s, want %s", path, got, want)
		}
	}
	if _, err := ParseFormat("xml", "a.csv"); err == nil {
		t.Errorf("ParseFormat(xml) error = nil, want one")
	}
	if got, _ := ParseFormat("JSONL", "a.csv"); got != JSONL {
		t.Errorf("ParseFormat(JSONL, a.csv) = %s, want jsonl", got)
	}
}

func TestCSVHeader(t *testing.T) {
	for header, want := range map[string]string{
		"":                                "empty",
		"location_code,sku\n":             "at least one column",
		"location_code,on_hand\n":         "at least one column",
		"location_code,sku,onhand\n":      `unknown column "onhand"`,
		"location_code,sku,sku,on_hand\n": `"sku" appears twice`,
	} {
		_, err := newCSVDecoder(strings.NewReader(header))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("newCSVDecoder(%q) error = %v, want one containing %q", header, err, want)
		}
	}
	recs, _ := readAll(t, CSV, "\uFEFF Location_Code ,SKU,on_hand\nLOC-1,\"A,1\",3\n")
	if len(recs) != 1 || recs[0].cells[colSKU] != "A,1" || recs[0].cells[colOnHand] != "3" || recs[0].line != 2 {
		t.Errorf("read(BOM, mixed case header) = %+v, want one record on line 2 with sku A,1 and on_hand 3", recs)
	}
}

func TestCSVBadRowsGoOn(t *testing.T) {
	file := "location_code,sku,on_hand\nL,A,1\nL,B\nL,x\"y,3\n\nL,C,4\n"
	recs, bad := readAll(t, CSV, file)
	if len(recs) != 2 || recs[1].line != 6 {
		t.Errorf("read(%q) records = %+v, want lines 2 and 6", file, recs)
	}
	if len(bad) != 2 || bad[0].Line != 3 || bad[1].Line != 4 || !strings.Contains(bad[0].Error(), "has 2 columns, the header has 3") {
		t.Errorf("read(%q) bad rows = %v, want lines 3 (column count) and 4", file, bad)
	}
}

func TestJSONLDecode(t *testing.T) {
	file := `{"location_code":"L","sku":"A","on_hand":5,"is_in_stock":false,"availability_date":null}` + "\n\n" +
		`{"location_code":"L","sku":"B","on_hand":[1]}` + "\n" +
		`{"location_code":"L","sku":"C","onhand":1}` + "\n" +
		`not json` + "\n" +
		`{"location_code":"L","sku":"D","bin_picking_number":"x\"y"}`
	recs, bad := readAll(t, JSONL, file)
	if len(recs) != 2 {
		t.Fatalf("read(JSONL) records = %+v, want 2", recs)
	}
	if c := recs[0].cells; c[colOnHand] != "5" || c[colIsInStock] != "false" || c[colAvailabilityDate] != "" || recs[0].line != 1 {
		t.Errorf("read(JSONL) first = %+v, want on_hand 5, is_in_stock false, no date, line 1", recs[0])
	}
	if recs[1].cells[colBinPickingNumber] != `x"y` || recs[1].line != 6 {
		t.Errorf("read(JSONL) last = %+v, want bin x\"y on line 6", recs[1])
	}
	wantBad := []struct {
		line int
		msg  string
	}{{3, "want a string, number or boolean"}, {4, `unknown key "onhand"`}, {5, "not a JSON object"}}
	if len(bad) != len(wantBad) {
		t.Fatalf("read(JSONL) bad rows = %v, want %d", bad, len(wantBad))
	}
	for i, w := range wantBad {
		if bad[i].Line != w.line || !strings.Contains(bad[i].Error(), w.msg) {
			t.Errorf("read(JSONL) bad row %d = %v, want line %d: …%s…", i, bad[i], w.line, w.msg)
		}
	}
}

func TestEncodersRoundTrip(t *testing.T) {
	var c cells
	for i := range c {
		c[i] = map[kind]string{textKind: `a,"b"`, intKind: "-7", boolKind: "true", timeKind: "2026-05-01T10:00:00Z"}[columns[i].kind]
	}
	empty := c
	empty[colAvailabilityDate] = ""
	in := []record{{cells: c}, {cells: empty}}
	for _, f := range []Format{CSV, JSONL} {
		file := writeAll(t, f, in)
		out, bad := readAll(t, f, file)
		if len(bad) > 0 || len(out) != 2 || out[0].cells != c || out[1].cells != empty {
			t.Errorf("read(write(%s)) = %+v, %v, want the cells written\n%s", f, out, bad, file)
		}
	}
	jsonl := writeAll(t, JSONL, in[1:])
	if want := `"on_hand":-7,`; !strings.Contains(jsonl, want) || !strings.Contains(jsonl, `"availability_date":null}`) {
		t.Errorf("write(JSONL) = %s, want numbers unquoted and an empty date null", jsonl)
	}
	if csv := writeAll(t, CSV, nil); csv != strings.Join(Columns(), ",")+"\n" {
		t.Errorf("write(CSV, no rows) = %q, want the header", csv)
	}
}

func TestParseRecord(t *testing.T) {
	base := func() record {
		var r record
		r.cells[colLocation], r.cells[colSKU] = "LOC-1", "A"
		return r
	}
	for _, tc := range []struct {
		col       int
		value     string
		wantError string
	}{
		{colLocation, " ", "location_code is empty"},
		{colSKU, "", "sku is empty"},
		{colOnHand, "1.5", `on_hand: "1.5" is not a whole number`},
		{colSafetyStock, "x", `safety_stock: "x" is not a whole number`},
		{colIsInStock, "maybe", `is_in_stock: "maybe" is not true or false`},
		{colTrackingMode, "COUNT", "tracking_mode"},
		{colAvailabilityDate, "May 1", "availability_date"},
		{colOnHand, " 12 ", ""},
		{colTrackingMode, "status", ""},
		{colAvailabilityDate, "2026-05-01", ""},
	} {
		rec := base()
		rec.cells[tc.col] = tc.value
		_, err := parseRecord(rec)
		if got := errString(err); (tc.wantError == "") != (got == "") || !strings.Contains(got, tc.wantError) {
			t.Errorf("parseRecord(%s=%q) error = %q, want %q", columns[tc.col].name, tc.value, got, tc.wantError)
		}
	}
	rec := base()
	rec.cells[colOnHand], rec.cells[colAvailabilityDate], rec.cells[colTrackingMode] = "12", "2026-05-01", "status"
	r, _ := parseRecord(rec)
	if *r.onHand != 12 || !r.settings.AvailabilityDate.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) || *r.settings.TrackingMode != "STATUS" {
		t.Errorf("parseRecord(12, 2026-05-01, status) = %+v, want on hand 12, midnight UTC, STATUS", r)
	}
	if r.backordered != nil || r.settings.SafetyStock != nil || r.changesSettings() != true {
		t.Errorf("parseRecord() left empty cells set: %+v", r)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{apperr.New(apperr.BadUserInput, "item 3: quantity 200000 is outside").WithField("items.quantity").WithIndex(3), "on_hand: quantity 200000 is outside (BAD_USER_INPUT)"},
		{apperr.New(apperr.BadUserInput, "item 0: safetyStock must be").WithField("settings.safetyStock").WithIndex(0), "safety_stock: safetyStock must be (BAD_USER_INPUT)"},
		{apperr.New(apperr.NotFound, "no such thing").WithField("items.variantId"), "no such thing (NOT_FOUND)"},
		{errors.New("plain"), "plain"},
	} {
		if got := describe(tc.err).Error(); got != tc.want {
			t.Errorf("describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
