package api

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// extensions.field is the path of the input the client sent, as the
// client wrote it: an argument's name, then input fields and list
// positions ("input.items[2].variantId"). These find it for errors raised
// where only gqlgen's path or the offending value is at hand.

// argumentPath returns the input path ("asOf", "input.items[2].metadata")
// of an error that gqlgen raised while reading a field's arguments, and
// trims the error's path back to the field's response path; "" for any
// other error. gqlgen reports such errors at the field's path followed by
// the argument's path.
func argumentPath(ctx context.Context, gqlErr *gqlerror.Error) string {
	if graphql.GetFieldContext(ctx) == nil {
		return ""
	}
	field := graphql.GetPath(ctx)
	if len(gqlErr.Path) <= len(field) || gqlErr.Path[:len(field)].String() != field.String() {
		return ""
	}
	var b strings.Builder
	for _, el := range gqlErr.Path[len(field):] {
		switch el := el.(type) {
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(el))
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(el))
		}
	}
	gqlErr.Path = field
	return b.String()
}

// argumentHolding returns the input path ("id", "filter.ids[2]",
// "input.items[0].variantId") of the first argument value of ctx's field
// that equals value, or "" when none does. It names the argument of an
// error raised where the argument's name was not at hand, such as a
// malformed ID found by relay.ParseIDOf in a resolver.
func argumentHolding(ctx context.Context, value string) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || !graphql.HasOperationContext(ctx) {
		return ""
	}
	vars := graphql.GetOperationContext(ctx).Variables
	for _, arg := range fc.Field.Arguments {
		v, err := arg.Value.Value(vars)
		if err != nil {
			continue
		}
		if path, ok := findString(arg.Name, v, value); ok {
			return path
		}
	}
	return ""
}

// findString looks for the string want in an argument's value.
func findString(path string, v any, want string) (string, bool) {
	switch v := v.(type) {
	case string:
		return path, v == want
	case []any:
		for i, el := range v {
			if p, ok := findString(fmt.Sprintf("%s[%d]", path, i), el, want); ok {
				return p, true
			}
		}
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		for _, k := range keys {
			if p, ok := findString(path+"."+k, v[k], want); ok {
				return p, true
			}
		}
	}
	return "", false
}

// qualify turns the field and index of a domain or resolver error, which
// name the input relative to the mutation's `input` and the list item
// apart ("items.sku", index 2), into the input path as the client sent it
// ("input.items[2].sku"), in ext and in each of ext's listed errors. A
// field that already starts with one of the field's arguments ("filter",
// "after", "input.items") keeps its root.
func qualify(ctx context.Context, ext map[string]any) {
	qualifyOne(ctx, ext)
	if list, ok := ext["errors"].([]map[string]any); ok {
		for _, e := range list {
			qualifyOne(ctx, e)
		}
	}
}

func qualifyOne(ctx context.Context, ext map[string]any) {
	field, _ := ext["field"].(string)
	if field == "" {
		return
	}
	index, hasIndex := ext["index"].(int)
	args := argumentNames(ctx)
	root := ""
	switch first := firstSegment(field); {
	case first == "input" && args["input"]:
		root, field = "input.", strings.TrimPrefix(field, "input.")
	case args[first]:
	case args["input"]:
		root = "input."
	}
	if hasIndex && index >= 0 && !strings.Contains(field, "[") {
		first := firstSegment(field)
		field = fmt.Sprintf("%s[%d]%s", first, index, field[len(first):])
	}
	ext["field"] = root + field
}

// firstSegment is a path's first name: "items" of "items.sku".
func firstSegment(path string) string {
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

// argumentNames are the arguments ctx's field declares.
func argumentNames(ctx context.Context) map[string]bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil {
		return nil
	}
	names := map[string]bool{}
	for _, a := range fc.Field.Definition.Arguments {
		names[a.Name] = true
	}
	return names
}
