// Package cost prices a GraphQL operation before anything runs, in a way
// that cannot itself be turned against the server: it walks the document
// once, prices each named fragment once however often it is spread, stops
// as soon as a limit is passed, and honours cancellation. It knows the
// schema only through the validated document (each field's definition and
// parent type) and a table of list multipliers keyed by "Type.field".
package cost

import (
	"context"
	"fmt"
	"math"

	"github.com/vektah/gqlparser/v2/ast"
)

// Multiplier says how many times a field's selection is resolved: a
// connection's page size, a batch mutation's number of items. args are the
// field's arguments with the operation's variables and defaults applied.
// The context is Analyze's, so that a multiplier may use what the caller
// put there (such as a lazily counted number of locations).
type Multiplier func(ctx context.Context, args map[string]any) int64

// Table holds the multiplier of every list field, keyed by "Type.field";
// a field without an entry is resolved once per parent.
type Table map[string]Multiplier

// Limits bounds one operation. A zero limit is no limit.
type Limits struct {
	// Cost: every field costs 1, plus its selection's cost times its
	// multiplier.
	Cost int64
	// Depth: the deepest field's nesting, the root fields being at 1.
	Depth int64
	// Aliases: response keys that differ from their field's name, counted
	// over the document with fragments expanded.
	Aliases int64
	// Fields: fields with fragments expanded, multipliers not applied.
	Fields int64
}

// Result is what an operation would cost, or what was counted until a
// limit was passed.
type Result struct {
	Cost, Depth, Aliases, Fields int64
	// Steps is how many fields and fragment spreads the walk visited: the
	// work of the analysis itself, which tests bound.
	Steps int64
}

// Limit names the limit an operation passed.
type Limit string

// The limits of Limits.
const (
	LimitCost    Limit = "cost"
	LimitDepth   Limit = "depth"
	LimitAliases Limit = "aliases"
	LimitFields  Limit = "fields"
)

// LimitError is an operation refused for passing a limit. Value is the
// count when the walk stopped: at least Max+1, not the whole operation's.
type LimitError struct {
	Limit      Limit
	Value, Max int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the operation's %s passes the limit of %d", e.Limit, e.Max)
}

// cancelEvery is how many steps pass between two looks at the context.
const cancelEvery = 256

// maxMultiplier keeps a product of multipliers within int64.
const maxMultiplier = math.MaxInt32

// Analyze prices op, whose document has been validated (fields carry
// their definitions). It returns a *LimitError when a limit is passed, the
// context's error when it is cancelled, and the operation's figures.
func Analyze(ctx context.Context, op *ast.OperationDefinition, vars map[string]any, table Table, limits Limits) (Result, error) {
	w := walker{ctx: ctx, vars: vars, table: table, limits: limits, memo: map[string]*totals{}}
	t := w.selections(op.SelectionSet)
	r := Result{Cost: t.cost, Depth: t.depth, Aliases: t.aliases, Fields: t.fields, Steps: w.steps}
	return r, w.err
}

// totals are one selection set's figures; each is a lower bound of the
// whole operation's, so any of them passing its limit refuses it.
type totals struct {
	cost, depth, aliases, fields int64
}

type walker struct {
	ctx    context.Context
	vars   map[string]any
	table  Table
	limits Limits
	// memo holds each named fragment's totals once walked; a fragment's
	// fields carry their own parent types and the variables are the
	// operation's, so its totals are the same wherever it is spread.
	memo  map[string]*totals
	steps int64
	err   error
}

func (w *walker) selections(set ast.SelectionSet) totals {
	var t totals
	for _, sel := range set {
		if w.err != nil {
			return t
		}
		var s totals
		switch sel := sel.(type) {
		case *ast.Field:
			s = w.field(sel)
		case *ast.InlineFragment:
			s = w.selections(sel.SelectionSet)
		case *ast.FragmentSpread:
			s = w.fragment(sel)
		}
		t.cost += s.cost
		t.aliases += s.aliases
		t.fields += s.fields
		t.depth = max(t.depth, s.depth)
		w.check(t)
	}
	return t
}

func (w *walker) field(f *ast.Field) totals {
	w.step()
	t := totals{cost: 1, depth: 1, fields: 1}
	if f.Alias != "" && f.Alias != f.Name {
		t.aliases = 1
	}
	if len(f.SelectionSet) == 0 || w.err != nil {
		return t
	}
	child := w.selections(f.SelectionSet)
	t.cost += w.multiplier(f) * child.cost
	t.depth += child.depth
	t.aliases += child.aliases
	t.fields += child.fields
	return t
}

func (w *walker) fragment(s *ast.FragmentSpread) totals {
	w.step()
	if t, ok := w.memo[s.Name]; ok {
		return *t // a cycle, which validation refuses, meets zeros
	}
	if s.Definition == nil {
		return totals{}
	}
	t := &totals{}
	w.memo[s.Name] = t
	*t = w.selections(s.Definition.SelectionSet)
	return *t
}

// multiplier is f's entry in the table, at least 1 and at most
// maxMultiplier, so that a page of zero still prices its selection once.
func (w *walker) multiplier(f *ast.Field) int64 {
	if f.ObjectDefinition == nil {
		return 1
	}
	m, ok := w.table[f.ObjectDefinition.Name+"."+f.Name]
	if !ok {
		return 1
	}
	return min(max(m(w.ctx, f.ArgumentMap(w.vars)), 1), maxMultiplier)
}

func (w *walker) step() {
	w.steps++
	if w.steps%cancelEvery == 0 && w.err == nil {
		w.err = w.ctx.Err()
	}
}

func (w *walker) check(t totals) {
	if w.err != nil {
		return
	}
	for _, c := range []struct {
		limit      Limit
		value, max int64
	}{
		{LimitCost, t.cost, w.limits.Cost},
		{LimitDepth, t.depth, w.limits.Depth},
		{LimitAliases, t.aliases, w.limits.Aliases},
		{LimitFields, t.fields, w.limits.Fields},
	} {
		if c.max > 0 && c.value > c.max {
			w.err = &LimitError{Limit: c.limit, Value: c.value, Max: c.max}
			return
		}
	}
}
