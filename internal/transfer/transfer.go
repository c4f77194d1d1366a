// Package transfer owns bulk import and export of a store's inventory
// levels and settings as CSV or JSON Lines files (Oracle Commerce's
// inventory import and export): the file columns, the two codecs, the
// streaming export, the import that applies rows through the inventory
// package's rules in batches, and the progress shown while either runs.
// The stockgraph command only parses flags and calls it.
package transfer

import (
	"fmt"

	"path/filepath"
	"stockgraph/internal/apperr"
	"strings"
)

// Format is a file format.
type Format string

// The formats.
const (
	CSV   Format = "csv"   // comma-separated with a header row
	JSONL Format = "jsonl" // one JSON object per line
)

// FormatOf picks the format a file name's extension names: .jsonl and
// .ndjson are JSON Lines, anything else is CSV.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return JSONL
	}
	return CSV
}

// ParseFormat reads a --format value; an empty one picks by path.
func ParseFormat(s, path string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case "":
		return FormatOf(path), nil
	case CSV, JSONL:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use csv or jsonl", s)
}

// kind is how a column's values are written and read.
type kind int

const (
	textKind kind = iota
	intKind
	boolKind
	timeKind
)

// The columns, in the order export writes them.
const (
	colLocation = iota
	colSKU
	colOnHand
	colBackordered
	colSafetyStock
	colWarningLevel
	colBackorderLimit
	colBackorderThreshold
	colBinPickingNumber
	colTrackingMode
	colIsInStock
	colPreorderEnabled
	colPreorderLimit
	colPreorderThreshold
	colAvailabilityDate
	numColumns
)

var columns = [numColumns]struct {
	name string
	kind kind
}{
	{"location_code", textKind},
	{"sku", textKind},
	{"on_hand", intKind},
	{"qty_backordered", intKind},
	{"safety_stock", intKind},
	{"warning_level", intKind},
	{"backorder_limit", intKind},
	{"backorder_threshold", intKind},
	{"bin_picking_number", textKind},
	{"tracking_mode", textKind},
	{"is_in_stock", boolKind},
	{"preorder_enabled", boolKind},
	{"preorder_limit", intKind},
	{"preorder_threshold", intKind},
	{"availability_date", timeKind},
}

// Columns returns the column names in file order.
func Columns() []string {
	names := make([]string, numColumns)
	for i, c := range columns {
		names[i] = c.name
	}
	return names
}

// columnIndex returns the column with the name, or -1.
func columnIndex(name string) int {
	for i, c := range columns {
		if c.name == name {
			return i
		}
	}
	return -1
}

// cells are one row of a file as text, whatever its format; an empty cell
// is a value the file leaves unchanged.
type cells [numColumns]string

// record is a row read from a file, with the line it starts on.
type record struct {
	line  int
	cells cells
}

// LineError is a problem with one row of an imported file; the import
// reports it and goes on with the next row.
type LineError struct {
	Line int
	Err  error
	// Location and SKU name the row's item as the file does, when the
	// row could be read that far.
	Location, SKU string
	// Code is the error's documented code: the inventory package's for a
	// value its rules refuse, NOT_FOUND for an unknown location or SKU,
	// CONFLICT for an item named twice, BAD_USER_INPUT otherwise.
	Code apperr.Code
}

// code is the error's Code, BAD_USER_INPUT when it has none.
func (e *LineError) code() apperr.Code {
	if e.Code == "" {
		return apperr.BadUserInput
	}
	return e.Code
}

// ReportCode is the code an error report shows for the row.
func (e *LineError) ReportCode() string { return string(e.code()) }

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }
