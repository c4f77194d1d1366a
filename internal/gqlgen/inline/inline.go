// Package inline marshals a list's elements one after another, on the
// goroutine that marshals the list, when nothing the query selects on
// them can wait for a loader's batch.
//
// gqlgen marshals every element of a list of objects in a goroutine of its
// own, so that elements whose fields load through a dataloader wait for
// one batch together instead of one batch each. Where the elements'
// selected fields only compute from the object or read what the operation
// has loaded already (an inventory item's levels, its location from the
// store's locations), the goroutines buy nothing: on the dashboard read's
// 2,500 items their start, their stacks growing and the scheduling were a
// fifth of the server's CPU. The generated list marshallers call
// MarshalList, which decides from the query's selection, every time, and
// falls back to gqlgen's goroutines whenever a selected field is not known
// to be plain.
package inline

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Plain lists, by object type, the fields that never wait for a batch:
// those served from the Go object, and the resolvers known to compute
// from it. A type or a field missing from it is not plain.
type Plain map[string]map[string]bool

// MarshalList marshals n elements with marshal, in order on this goroutine
// when every field selected on them (and below them) is plain, and with
// gqlgen's goroutine per element otherwise.
func MarshalList(ctx context.Context, plain Plain, sel ast.SelectionSet, n int, marshal func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if n < 2 || !plain.selects(graphql.GetOperationContext(ctx), sel, elementType(ctx)) {
		return graphql.MarshalSliceConcurrently(ctx, n, 0, false, marshal)
	}
	ret := make(graphql.Array, n)
	for i := range n {
		ret[i] = marshalElement(ctx, i, marshal)
	}
	return ret
}

// marshalElement marshals element i as gqlgen's goroutine would: with its
// index in the path, and a panic turned into the element's error.
func marshalElement(ctx context.Context, i int, marshal func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			ret = graphql.Null
		}
	}()
	return marshal(ctx, i)
}

// selects reports whether every field sel selects on an object of type
// typ, and every field below those, is plain.
func (p Plain) selects(op *graphql.OperationContext, sel ast.SelectionSet, typ string) bool {
	fields, known := p[typ]
	if !known {
		return false // an interface, a union, or an object nobody vouched for
	}
	for _, f := range graphql.CollectFields(op, sel, []string{typ}) {
		if f.Name == "__typename" {
			continue
		}
		if !fields[f.Name] {
			return false
		}
		if len(f.Selections) > 0 && !p.selects(op, f.Selections, namedType(f.Definition.Type)) {
			return false
		}
	}
	return true
}

// elementType is the object type of the list being marshalled: the named
// type of the nearest field above ctx (elements of nested lists have only
// an index).
func elementType(ctx context.Context) string {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Field.Field != nil && fc.Field.Definition != nil {
			return namedType(fc.Field.Definition.Type)
		}
	}
	return ""
}

func namedType(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}
