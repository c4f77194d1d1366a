package relay

import (
	"encoding/base64"
	"encoding/json"

	"stockgraph/internal/apperr"
)

// Page sizes: at most MaxPageSize items a page, DefaultPageSize when the
// client gives neither first nor last.
const (
	MaxPageSize     = 250
	DefaultPageSize = 100
)

// Args are a connection's pagination arguments as the client gave them.
type Args struct {
	First  *int
	After  *string
	Last   *int
	Before *string
}

// Window is validated pagination: Limit items after (or, when Backward,
// before) the cursor position.
type Window struct {
	Limit    int
	Backward bool
	// Cursor is the decoded after (or before) cursor; nil for the first page.
	Cursor *Cursor
}

// Cursor is the position of an item in a list sorted by one key and then
// by ID. Key holds the sort key's value as text ("" when sorting by ID).
type Cursor struct {
	Key string `json:"k,omitempty"`
	ID  int64  `json:"i"`
}

// Validate checks the arguments and turns them into a Window.
func (a Args) Validate() (Window, error) {
	if a.First != nil && a.Last != nil {
		return Window{}, apperr.New(apperr.BadUserInput, "pass either first or last, not both").WithField("first")
	}
	if a.After != nil && a.Before != nil {
		return Window{}, apperr.New(apperr.BadUserInput, "pass either after or before, not both").WithField("after")
	}
	w := Window{Limit: DefaultPageSize}
	if a.Last != nil || (a.First == nil && a.Before != nil) {
		w.Backward = true
	}
	if n, name := a.size(); n != nil {
		if *n < 0 || *n > MaxPageSize {
			return Window{}, apperr.New(apperr.BadUserInput, "%s must be between 0 and %d, got %d", name, MaxPageSize, *n).WithField(name)
		}
		w.Limit = *n
	}
	raw, name := a.After, "after"
	if w.Backward {
		raw, name = a.Before, "before"
	}
	switch {
	case w.Backward && a.After != nil:
		return Window{}, apperr.New(apperr.BadUserInput, "after cannot be used with last; use before").WithField("after")
	case !w.Backward && a.Before != nil:
		return Window{}, apperr.New(apperr.BadUserInput, "before cannot be used with first; use after").WithField("before")
	}
	if raw != nil {
		c, err := DecodeCursor(*raw)
		if err != nil {
			return Window{}, apperr.New(apperr.BadUserInput, "%s cursor %q is not valid", name, *raw).WithField(name)
		}
		w.Cursor = &c
	}
	return w, nil
}

func (a Args) size() (*int, string) {
	if a.First != nil {
		return a.First, "first"
	}
	if a.Last != nil {
		return a.Last, "last"
	}
	return nil, ""
}

// EncodeCursor makes an opaque cursor.
func EncodeCursor(c Cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, err
	}
	if c.ID <= 0 {
		return c, apperr.New(apperr.BadUserInput, "cursor has no position")
	}
	return c, nil
}

// Page is one page of a list, in display order.
type Page[T any] struct {
	Items           []T
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// Paginate pages a list already in display order and held whole in
// memory, with cursors on the items' IDs. A cursor whose item is gone
// pages from the start (or end): the list has no other order to resume by.
func Paginate[T any](all []T, w Window, idOf func(T) int64) Page[T] {
	p := Page[T]{TotalCount: len(all)}
	start, end := 0, len(all)
	if w.Cursor != nil {
		for i, item := range all {
			if idOf(item) == w.Cursor.ID {
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
		p.Cursors = append(p.Cursors, EncodeCursor(Cursor{ID: idOf(item)}))
	}
	return p
}
