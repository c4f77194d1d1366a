package database_test

import (
	"slices"
	"testing"

	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// TestArrayParameters round-trips each array parameter type through
// PostgreSQL, with the elements that need quoting in a literal.
func TestArrayParameters(t *testing.T) {
	db := testdb.MustOpenDB(t)
	texts := database.Strings{"", "plain", `a "quoted" word`, `back\slash`, "comma, brace } {", "NULL", " spaced "}
	var gotTexts []string
	if err := db.Raw(`SELECT unnest(?::text[])`, texts).Scan(&gotTexts).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotTexts, texts) {
		t.Errorf("text[] round trip = %q, want %q", gotTexts, texts)
	}
	bools := database.Bools{true, false, true}
	var gotBools []bool
	if err := db.Raw(`SELECT unnest(?::boolean[])`, bools).Scan(&gotBools).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotBools, bools) {
		t.Errorf("boolean[] round trip = %v, want %v", gotBools, bools)
	}
	ints := database.Int64s{-9223372036854775808, 0, 42}
	var gotInts []int64
	if err := db.Raw(`SELECT unnest(?::bigint[])`, ints).Scan(&gotInts).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotInts, ints) {
		t.Errorf("bigint[] round trip = %v, want %v", gotInts, ints)
	}
}
