package api

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"stockgraph/graph"
)

// TestEveryListIsPriced walks the schema and fails when a field returning
// a list of objects, or a connection, has no multiplier in costTable, or
// when costTable names a field the schema does not have. Lists of scalars
// need none: they have no selection to multiply.
func TestEveryListIsPriced(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || !needsMultiplier(schema, f.Type) {
				continue
			}
			if _, ok := costTable[def.Name+"."+f.Name]; !ok {
				t.Errorf("costTable[%q] is missing: %s returns %s", def.Name+"."+f.Name, f.Name, f.Type)
			}
		}
	}
	for key := range costTable {
		typ, field, _ := strings.Cut(key, ".")
		if def := schema.Types[typ]; def == nil || def.Fields.ForName(field) == nil {
			t.Errorf("costTable[%q] names no field of the schema", key)
		}
	}
}

// TestBatchMutationsArePriced fails when a mutation taking a list in its
// input is not priced by that list's length.
func TestBatchMutationsArePriced(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, f := range schema.Mutation.Fields {
		input := f.Arguments.ForName("input")
		if input == nil {
			continue
		}
		for _, field := range schema.Types[input.Type.Name()].Fields {
			batch := schema.Types[field.Type.Name()].Kind == ast.InputObject || strings.HasSuffix(field.Name, "Ids")
			if field.Type.Elem == nil || !batch {
				continue
			}
			if _, ok := costTable["Mutation."+f.Name]; !ok {
				t.Errorf("costTable[%q] is missing: its input.%s is a list", "Mutation."+f.Name, field.Name)
			}
		}
	}
}

func needsMultiplier(schema *ast.Schema, typ *ast.Type) bool {
	if typ.Elem != nil {
		kind := schema.Types[typ.Name()].Kind
		return kind == ast.Object || kind == ast.Interface || kind == ast.Union
	}
	return strings.HasSuffix(typ.Name(), "Connection")
}
