// Package page owns paging: a window over a sorted list (how many items,
// which direction, from which position) and the page it yields. It is
// neutral: positions are plain values, and how the API encodes them as
// cursors, or validates a client's arguments, is the API's business.
package page

import "slices"

// Sizes: at most MaxSize items a page, DefaultSize when the client gives
// no size.
const (
	MaxSize     = 250
	DefaultSize = 100
)

// Position is where an item stands in a list sorted by one key and then by
// ID. Key holds the sort key's value as text ("" when sorting by ID alone).
type Position struct {
	Key string
	ID  int64
}

// Window asks for Limit items after the position From, or before it when
// Backward. A nil From starts at the beginning (or, backward, the end).
type Window struct {
	Limit    int
	Backward bool
	From     *Position
}

// Page is one page of a list, in display order, with each item's position.
type Page[T any] struct {
	Items           []T
	Positions       []Position
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// Order returns the comparison that keeps the rows past the window's
// position and the SQL direction that fetches them nearest first, for a
// list sorted by its key ascending, or descending when desc. A backward
// window walks the list the other way: the comparison and the direction
// flip, and Build turns the rows back into display order.
func (w Window) Order(desc bool) (cmp, dir string) {
	if desc != w.Backward {
		return "<", "DESC"
	}
	return ">", "ASC"
}

// FromRows builds a page from a keyset fetch: at most Limit+1 rows past
// the window's position, nearest first (see Order). The extra row only
// says that more lie beyond the page. Rows lie behind the page when it
// starts from a position, since the position came from one of them.
func FromRows[T any](rows []T, w Window, positionOf func(T) Position) Page[T] {
	beyond := len(rows) > w.Limit
	return Build(rows[:min(len(rows), w.Limit)], w, beyond, w.From != nil, positionOf)
}

// Build is the one place a page is put together, whatever fetched it.
// rows are the page's items nearest the window's position first; beyond
// says more items follow them in the window's direction, behind that
// items lie on the other side of the position. A backward page is
// reversed into display order, and beyond and behind become hasPrevious
// and hasNext instead of hasNext and hasPrevious. rows is reused.
func Build[T any](rows []T, w Window, beyond, behind bool, positionOf func(T) Position) Page[T] {
	p := Page[T]{Items: rows, HasNextPage: beyond, HasPreviousPage: behind}
	if w.Backward {
		p.HasNextPage, p.HasPreviousPage = behind, beyond
		slices.Reverse(p.Items)
	}
	p.Positions = make([]Position, len(p.Items))
	for i, item := range p.Items {
		p.Positions[i] = positionOf(item)
	}
	return p
}

// ByID positions an item by its ID alone, for lists sorted by ID.
func ByID[T any](idOf func(T) int64) func(T) Position {
	return func(item T) Position { return Position{ID: idOf(item)} }
}

// Slice pages a list already in display order and held whole in memory,
// with positions on the items' IDs. A position whose item is gone pages
// from the start (or end): the list has no other order to resume by.
func Slice[T any](all []T, w Window, idOf func(T) int64) Page[T] {
	start, end := 0, len(all)
	if w.From != nil {
		if i := slices.IndexFunc(all, func(item T) bool { return idOf(item) == w.From.ID }); i >= 0 {
			if w.Backward {
				end = i
			} else {
				start = i + 1
			}
		}
	}
	// Take the items past the position nearest first, as a keyset fetch
	// would, so that Build treats both alike.
	var rows []T
	if w.Backward {
		for i := end - 1; i >= max(start, end-w.Limit); i-- {
			rows = append(rows, all[i])
		}
	} else {
		rows = append(rows, all[start:min(end, start+w.Limit)]...)
	}
	behind := start > 0
	if w.Backward {
		behind = end < len(all)
	}
	p := Build(rows, w, end-start > w.Limit, behind, ByID(idOf))
	p.TotalCount = len(all)
	return p
}
