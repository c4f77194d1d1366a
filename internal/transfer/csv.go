package transfer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// decoder reads the records of a file. It returns a *LineError for a row
// it cannot read, and can be called again after one; io.EOF at the end.
type decoder interface {
	read() (record, error)
}

// encoder writes rows; flush must be called at the end.
type encoder interface {
	write(c *cells) error
	flush() error
}

func newDecoder(f Format, r io.Reader) (decoder, error) {
	if f == JSONL {
		return newJSONLDecoder(r), nil
	}
	return newCSVDecoder(r)
}

func newEncoder(f Format, w io.Writer) (encoder, error) {
	if f == JSONL {
		return newJSONLEncoder(w), nil
	}
	return newCSVEncoder(w)
}

type csvDecoder struct {
	r    *csv.Reader
	cols []int // the column of each field
}

// newCSVDecoder reads the header: it needs location_code, sku and at
// least one column to change; unknown or repeated names are refused
// rather than ignored, since a misspelt column would silently do nothing.
func newCSVDecoder(r io.Reader) (*csvDecoder, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: it needs a header row such as location_code,sku,on_hand")
	}
	if err != nil {
		return nil, fmt.Errorf("read the header: %w", err)
	}
	d := &csvDecoder{r: cr, cols: make([]int, len(header))}
	seen := map[int]bool{}
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\uFEFF") // spreadsheets write a byte order mark
		}
		name = strings.ToLower(strings.TrimSpace(name))
		c := columnIndex(name)
		switch {
		case c < 0:
			return nil, fmt.Errorf("header: unknown column %q; the columns are %s", name, strings.Join(Columns(), ", "))
		case seen[c]:
			return nil, fmt.Errorf("header: column %q appears twice", name)
		}
		seen[c], d.cols[i] = true, c
	}
	if !seen[colLocation] || !seen[colSKU] || len(seen) < 3 {
		return nil, errors.New("header: name location_code, sku and at least one column to change, such as on_hand")
	}
	return d, nil
}

func (d *csvDecoder) read() (record, error) {
	fields, err := d.r.Read()
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount):
		return record{}, &LineError{Line: pe.StartLine, Err: fmt.Errorf("has %d columns, the header has %d", len(fields), len(d.cols))}
	case errors.As(err, &pe):
		return record{}, &LineError{Line: pe.StartLine, Err: fmt.Errorf("column %d: %w", pe.Column, pe.Err)}
	case err != nil:
		return record{}, err
	}
	rec := record{}
	rec.line, _ = d.r.FieldPos(0)
	for i, f := range fields {
		rec.cells[d.cols[i]] = f
	}
	return rec, nil
}

type csvEncoder struct{ w *csv.Writer }

// newCSVEncoder writes the header. csv.Writer buffers its output.
func newCSVEncoder(w io.Writer) (*csvEncoder, error) {
	e := &csvEncoder{w: csv.NewWriter(w)}
	return e, e.w.Write(Columns())
}

func (e *csvEncoder) write(c *cells) error { return e.w.Write(c[:]) }

func (e *csvEncoder) flush() error {
	e.w.Flush()
	return e.w.Error()
}
