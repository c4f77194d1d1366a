package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"stockgraph/internal/apperr"
)

// JSONObject is a jsonb column holding an object, exposed in GraphQL as the
// JSON scalar.
type JSONObject map[string]any

// Value stores the object as JSON; nil is stored as {}.
func (o JSONObject) Value() (driver.Value, error) {
	if o == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]any(o))
	return string(b), err
}

// Scan reads a jsonb object.
func (o *JSONObject) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*o = JSONObject{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("scan JSONObject from %T", src)
	}
	m := map[string]any{}
	if string(b) == "{}" { // most items carry no metadata
		*o = m
		return nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("scan JSONObject: %w", err)
	}
	*o = m
	return nil
}

// MarshalGQL writes the object as a GraphQL JSON value.
func (o JSONObject) MarshalGQL(w io.Writer) {
	if o == nil {
		o = JSONObject{}
	}
	b, err := json.Marshal(map[string]any(o))
	if err != nil {
		b = []byte("{}")
	}
	_, _ = w.Write(b)
}

// UnmarshalGQL accepts a GraphQL input object, or a string holding a JSON
// object (GraphiQL variables sometimes arrive that way). Anything else is
// the client's mistake: BAD_USER_INPUT, and the API names the argument.
func (o *JSONObject) UnmarshalGQL(v any) error {
	switch x := v.(type) {
	case map[string]any:
		*o = x
		return nil
	case string:
		m := map[string]any{}
		if err := json.Unmarshal([]byte(x), &m); err != nil {
			return apperr.New(apperr.BadUserInput, "a JSON value must be an object; this string does not hold a JSON object")
		}
		*o = m
		return nil
	default:
		return apperr.New(apperr.BadUserInput, "a JSON value must be an object, not %s", describeInput(v))
	}
}

// MarshalDateTime writes the DateTime scalar: RFC 3339 in UTC, as the
// schema promises; the zero time is null.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads the DateTime scalar. Only RFC 3339 is accepted
// (gqlgen's Time also takes "2006-01-02 15:04:05" and "" as the zero
// time, which the schema does not promise); anything else, such as
// "2026-13-45T99:00:00Z", is BAD_USER_INPUT, never an internal error.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.New(apperr.BadUserInput, "a DateTime must be a string such as \"2026-11-23T08:00:00Z\", not %s", describeInput(v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.BadUserInput, "%q is not an RFC 3339 date and time such as \"2026-11-23T08:00:00Z\"", s)
	}
	return t.UTC(), nil
}

// describeInput names the JSON kind of a GraphQL input value for messages.
func describeInput(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// StringArray is a PostgreSQL text[] column.
type StringArray []string

// Value writes the array literal, quoting every element.
func (a StringArray) Value() (driver.Value, error) {
	quoted := make([]string, len(a))
	for i, s := range a {
		quoted[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return "{" + strings.Join(quoted, ",") + "}", nil
}

// Scan reads a text[] of simple words (scopes), as PostgreSQL prints it.
func (a *StringArray) Scan(src any) error {
	parts, isNull, err := arrayElements(src, "StringArray")
	if err != nil || isNull {
		*a = nil
		return err
	}
	out := StringArray{}
	for _, p := range parts {
		out = append(out, strings.Trim(p, `"`))
	}
	*a = out
	return nil
}

// arrayElements splits an array as PostgreSQL prints it ({a,b,c}) into
// its elements, unquoted words and numbers only; isNull for NULL.
func arrayElements(src any, typ string) (parts []string, isNull bool, err error) {
	var s string
	switch v := src.(type) {
	case nil:
		return nil, true, nil
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		return nil, false, fmt.Errorf("scan %s from %T", typ, src)
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		return nil, false, nil
	}
	return strings.Split(s, ","), false, nil
}

// Int64Array is a PostgreSQL bigint[] column.
type Int64Array []int64

// Value writes the array literal.
func (a Int64Array) Value() (driver.Value, error) {
	parts := make([]string, len(a))
	for i, n := range a {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

// Scan reads a bigint[] as PostgreSQL prints it.
func (a *Int64Array) Scan(src any) error {
	parts, isNull, err := arrayElements(src, "Int64Array")
	if err != nil || isNull {
		*a = nil
		return err
	}
	out := Int64Array{}
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return fmt.Errorf("scan Int64Array: %w", err)
		}
		out = append(out, n)
	}
	*a = out
	return nil
}
