// Package page owns paging: a window over a sorted list (how many items,
// which direction, from which position) and the page it yields. It is
// neutral: positions are plain values, and how the API encodes them as
// cursors, or validates a client's arguments, is the API's business.
package page

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

// Slice pages a list already in display order and held whole in memory,
// with positions on the items' IDs. A position whose item is gone pages
// from the start (or end): the list has no other order to resume by.
func Slice[T any](all []T, w Window, idOf func(T) int64) Page[T] {
	p := Page[T]{TotalCount: len(all)}
	start, end := 0, len(all)
	if w.From != nil {
		for i, item := range all {
			if idOf(item) == w.From.ID {
				if w.Backward {
					end = i
				} else {
					start = i + 1
				}
				break
			}
		}
	}
	if w.Backward {
		p.HasPreviousPage, p.HasNextPage = end-start > w.Limit, end < len(all)
		start = max(start, end-w.Limit)
	} else {
		p.HasNextPage, p.HasPreviousPage = end-start > w.Limit, start > 0
		end = min(end, start+w.Limit)
	}
	p.Items = all[start:end]
	for _, item := range p.Items {
		p.Positions = append(p.Positions, Position{ID: idOf(item)})
	}
	return p
}
