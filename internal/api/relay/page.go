package relay

import (
	"encoding/base64"
	"encoding/json"

	"stockgraph/internal/apperr"
	"stockgraph/internal/page"
)

// Args are a connection's pagination arguments as the client gave them.
type Args struct {
	First  *int
	After  *string
	Last   *int
	Before *string
}

// cursor is a page.Position as the client sees it: JSON, then base64.
type cursor struct {
	Key string `json:"k,omitempty"`
	ID  int64  `json:"i"`
}

// Validate checks the arguments and turns them into a page window.
func (a Args) Validate() (page.Window, error) {
	if err := a.checkPairs(); err != nil {
		return page.Window{}, err
	}
	w := page.Window{Limit: page.DefaultSize, Backward: a.Last != nil || (a.First == nil && a.Before != nil)}
	if n, name := a.size(); n != nil {
		if *n < 0 || *n > page.MaxSize {
			return page.Window{}, apperr.New(apperr.BadUserInput, "%s must be between 0 and %d, got %d", name, page.MaxSize, *n).WithField(name)
		}
		w.Limit = *n
	}
	raw, name := a.After, "after"
	if w.Backward {
		raw, name = a.Before, "before"
	}
	if raw != nil {
		p, err := DecodeCursor(*raw)
		if err != nil {
			return page.Window{}, apperr.New(apperr.BadUserInput, "%s cursor %q is not valid", name, *raw).WithField(name)
		}
		w.From = &p
	}
	return w, nil
}

// checkPairs refuses arguments that cannot go together: first with last,
// after with before, and a cursor on the other side of the direction.
func (a Args) checkPairs() error {
	switch {
	case a.First != nil && a.Last != nil:
		return apperr.New(apperr.BadUserInput, "pass either first or last, not both").WithField("first")
	case a.After != nil && a.Before != nil:
		return apperr.New(apperr.BadUserInput, "pass either after or before, not both").WithField("after")
	case a.Last != nil && a.After != nil:
		return apperr.New(apperr.BadUserInput, "after cannot be used with last; use before").WithField("after")
	case a.First != nil && a.Before != nil:
		return apperr.New(apperr.BadUserInput, "before cannot be used with first; use after").WithField("before")
	}
	return nil
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

// EncodeCursor makes an opaque cursor of a position.
func EncodeCursor(p page.Position) string {
	b, _ := json.Marshal(cursor(p))
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (page.Position, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return page.Position{}, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return page.Position{}, err
	}
	if c.ID <= 0 {
		return page.Position{}, apperr.New(apperr.BadUserInput, "cursor has no position")
	}
	return page.Position(c), nil
}
