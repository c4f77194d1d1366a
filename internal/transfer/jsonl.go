package transfer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLineBytes bounds one JSON line; a row is a few hundred bytes.
const maxLineBytes = 1 << 20

type jsonlDecoder struct {
	s    *bufio.Scanner
	line int
}

func newJSONLDecoder(r io.Reader) *jsonlDecoder {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	return &jsonlDecoder{s: s}
}

func (d *jsonlDecoder) read() (record, error) {
	for d.s.Scan() {
		d.line++
		b := bytes.TrimSpace(d.s.Bytes())
		if len(b) == 0 {
			continue
		}
		rec := record{line: d.line}
		if err := decodeObject(b, &rec.cells); err != nil {
			return record{}, &LineError{Line: d.line, Err: err}
		}
		return rec, nil
	}
	if errors.Is(d.s.Err(), bufio.ErrTooLong) {
		return record{}, fmt.Errorf("line %d is longer than %d bytes; is the file JSON Lines?", d.line+1, maxLineBytes)
	}
	if err := d.s.Err(); err != nil {
		return record{}, err
	}
	return record{}, io.EOF
}

// decodeObject turns one JSON object into cells. Numbers and booleans
// keep their text, so that both formats share one parser; null is an
// empty cell, a value left unchanged.
func decodeObject(b []byte, c *cells) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	for name, raw := range obj {
		i := columnIndex(name)
		if i < 0 {
			return fmt.Errorf("unknown key %q; the keys are %s", name, strings.Join(Columns(), ", "))
		}
		switch raw[0] {
		case 'n': // null
		case '"':
			if err := json.Unmarshal(raw, &c[i]); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case '{', '[':
			return fmt.Errorf("%s: want a string, number or boolean, got %s", name, raw)
		default:
			c[i] = string(raw)
		}
	}
	return nil
}

type jsonlEncoder struct {
	w   *bufio.Writer
	buf []byte
}

func newJSONLEncoder(w io.Writer) *jsonlEncoder {
	return &jsonlEncoder{w: bufio.NewWriterSize(w, 64<<10)}
}

// write writes the object with its keys in column order, numbers and
// booleans unquoted, an empty number, boolean or date as null, and a cell
// that is no JSON number or boolean (a bad value read from a file) as a
// string, so that the line stays JSON.
func (e *jsonlEncoder) write(c *cells) error {
	b := append(e.buf[:0], '{')
	for i, col := range columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, col.name...)
		b = append(b, `":`...)
		switch {
		case c[i] == "" && col.kind != textKind:
			b = append(b, "null"...)
		case (col.kind == intKind || col.kind == boolKind) && jsonLiteral(c[i]):
			b = append(b, c[i]...)
		default:
			q, err := json.Marshal(c[i])
			if err != nil {
				return err
			}
			b = append(b, q...)
		}
	}
	b = append(b, "}\n"...)
	e.buf = b
	_, err := e.w.Write(b)
	return err
}

func (e *jsonlEncoder) flush() error { return e.w.Flush() }

// jsonLiteral reports whether s is a JSON number, true or false.
func jsonLiteral(s string) bool {
	if s == "true" || s == "false" {
		return true
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil && s[0] != '"'
}
