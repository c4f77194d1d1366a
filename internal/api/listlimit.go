package api

import (
	"context"
	"encoding/json"
	"fmt"

	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"stockgraph/internal/apperr"
)

// MaxListLength is the most values any one list in an operation's
// arguments may hold, such as a products filter's `skus`. Storage passes
// such lists as one array parameter, so no length breaks a query, but a
// bound keeps one request's cost in proportion; batch mutations have their
// own, lower limit (1,000 items).
const MaxListLength = 10_000

// MaxStringBytes is the longest string any argument may hold (a product's
// description, up to 64 KiB, is the longest the API stores); fields have
// their own, lower limits, such as 255 characters for a name.
const MaxStringBytes = 64 << 10

// MaxMetadataBytes is the largest `metadata` object, serialized as JSON:
// metadata is stored whole on its row and read back with it.
const MaxMetadataBytes = 16 << 10

// listLimit refuses an operation whose arguments hold a list longer than
// MaxListLength, a string longer than MaxStringBytes or a `metadata`
// larger than MaxMetadataBytes, with BAD_USER_INPUT naming the input
// ("filter.skus", "input.metadata"), before anything runs.
type listLimit struct{}

var (
	_ graphql.HandlerExtension        = listLimit{}
	_ graphql.OperationContextMutator = listLimit{}
)

func (listLimit) ExtensionName() string                   { return "ListLimit" }
func (listLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (listLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	w := listWalker{vars: op.Variables, seen: map[string]bool{}}
	if err := w.selections(op.Operation.SelectionSet); err != nil {
		return &gqlerror.Error{Message: err.Message, Err: err}
	}
	return nil
}

type listWalker struct {
	vars map[string]any
	seen map[string]bool // fragments already walked
}

func (w listWalker) selections(set ast.SelectionSet) *apperr.Error {
	for _, sel := range set {
		var err *apperr.Error
		switch s := sel.(type) {
		case *ast.Field:
			err = w.field(s)
		case *ast.InlineFragment:
			err = w.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil && !w.seen[s.Name] {
				w.seen[s.Name] = true
				err = w.selections(s.Definition.SelectionSet)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w listWalker) field(f *ast.Field) *apperr.Error {
	for _, arg := range f.Arguments {
		v, err := arg.Value.Value(w.vars)
		if err != nil {
			continue // validation has already refused what does not resolve
		}
		if err := checkLists(arg.Name, v); err != nil {
			return err
		}
	}
	return w.selections(f.SelectionSet)
}

// checkLists walks one argument's value; path is its input path.
func checkLists(path string, v any) *apperr.Error {
	if path == "metadata" || strings.HasSuffix(path, ".metadata") {
		return checkMetadata(path, v)
	}
	switch v := v.(type) {
	case string:
		if len(v) > MaxStringBytes {
			return apperr.New(apperr.BadUserInput, "%s is %d bytes long; a string holds at most %d", path, len(v), MaxStringBytes).WithField(path)
		}
	case []any:
		if len(v) > MaxListLength {
			return apperr.New(apperr.BadUserInput, "%s holds %d values; a list holds at most %d", path, len(v), MaxListLength).WithField(path)
		}
		for i, el := range v {
			if err := checkLists(fmt.Sprintf("%s[%d]", path, i), el); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, el := range v {
			if err := checkLists(path+"."+k, el); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkMetadata bounds a metadata value by its size as JSON, whatever
// its shape, rather than list by list and string by string.
func checkMetadata(path string, v any) *apperr.Error {
	b, err := json.Marshal(v)
	if err != nil {
		return nil // the JSON scalar refuses it with its own message
	}
	if len(b) > MaxMetadataBytes {
		return apperr.New(apperr.BadUserInput, "%s is %d bytes as JSON; metadata holds at most %d", path, len(b), MaxMetadataBytes).WithField(path)
	}
	return nil
}
