package database

import (
	"database/sql/driver"
	"strconv"
	"strings"
)

// GORM expands a slice argument into a list of parameters, which suits
// IN (?) but not unnest(?::bigint[]). These types pass a slice as one
// PostgreSQL array parameter instead, so a batch of any size is one
// statement with a fixed number of parameters.

// Int64s is a bigint[] parameter.
type Int64s []int64

// Value writes the array literal.
func (a Int64s) Value() (driver.Value, error) {
	return literal(a, func(n int64) string { return strconv.FormatInt(n, 10) }), nil
}

// literal writes an array literal of the elements, each as format writes it.
func literal[T any](a []T, format func(T) string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(format(v))
	}
	b.WriteByte('}')
	return b.String()
}

// Ints is an integer[] parameter.
type Ints []int

// Value writes the array literal.
func (a Ints) Value() (driver.Value, error) {
	wide := make(Int64s, len(a))
	for i, n := range a {
		wide[i] = int64(n)
	}
	return wide.Value()
}

// Repeat returns n copies of id. Joining on a store column unnested beside
// the keys, rather than comparing with one parameter, lets PostgreSQL use
// the (store_id, ...) indexes even when its statistics are stale, as right
// after a bulk load.
func Repeat(id int64, n int) Int64s {
	out := make(Int64s, n)
	for i := range out {
		out[i] = id
	}
	return out
}

// Bools is a boolean[] parameter.
type Bools []bool

// Value writes the array literal.
func (a Bools) Value() (driver.Value, error) { return literal(a, strconv.FormatBool), nil }

// Strings is a text[] parameter; every element is quoted and escaped.
type Strings []string

// Value writes the array literal.
func (a Strings) Value() (driver.Value, error) {
	return literal(a, func(s string) string { return `"` + quoteInArray.Replace(s) + `"` }), nil
}

// quoteInArray escapes what ends or escapes a quoted array element.
var quoteInArray = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
