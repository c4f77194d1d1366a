package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"strings"
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
// object (GraphiQL variables sometimes arrive that way).
func (o *JSONObject) UnmarshalGQL(v any) error {
	switch x := v.(type) {
	case map[string]any:
		*o = x
		return nil
	case string:
		m := map[string]any{}
		if err := json.Unmarshal([]byte(x), &m); err != nil {
			return fmt.Errorf("JSON must be an object: %w", err)
		}
		*o = m
		return nil
	default:
		return fmt.Errorf("JSON must be an object, got %T", v)
	}
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
	var s string
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		return fmt.Errorf("scan StringArray from %T", src)
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		*a = StringArray{}
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.Trim(p, `"`)
	}
	*a = parts
	return nil
}
