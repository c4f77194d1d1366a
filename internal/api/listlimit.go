package api

import (
	"context"
	"fmt"

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

// listLimit refuses an operation whose arguments hold a list longer than
// MaxListLength, with BAD_USER_INPUT naming the list ("filter.skus"),
// before anything runs.
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
	switch v := v.(type) {
	case []any:
		if len(v) > MaxListLength {
			return apperr.New(apperr.BadUserInput, "%s holds %d values; a list holds at most %d", path, len(v), MaxListLength).WithField(path)
		}
		for i, el := range v {
			if !isScalar(el) {
				if err := checkLists(fmt.Sprintf("%s[%d]", path, i), el); err != nil {
					return err
				}
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

func isScalar(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return false
	}
	return true
}
