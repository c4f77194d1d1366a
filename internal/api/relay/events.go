package relay

import (
	"encoding/base64"
	"strconv"
	"strings"

	"stockgraph/internal/apperr"
	"stockgraph/internal/events"
)

// eventCursorPrefix tells an event cursor from a page cursor, so that one
// passed where the other belongs is refused rather than misread.
const eventCursorPrefix = "E:"

// EncodeEventCursor makes the opaque cursor of a position in a store's
// stream of events: the URL-safe base64 of "E:xid:id". A horizon's
// position (ID 0) is a cursor too: it resumes after every event below it.
func EncodeEventCursor(p events.Position) string {
	raw := eventCursorPrefix + strconv.FormatUint(p.Xid, 10) + ":" + strconv.FormatInt(p.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeEventCursor reads a cursor made by EncodeEventCursor; field names
// the argument that held it. Only the canonical spelling is accepted, as
// for IDs, so that one position has one cursor.
func DecodeEventCursor(field, s string) (events.Position, error) {
	bad := apperr.New(apperr.BadUserInput, "%s cursor %q is not a stock event cursor", field, s).WithField(field)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return events.Position{}, bad
	}
	rest, ok := strings.CutPrefix(string(raw), eventCursorPrefix)
	if !ok {
		return events.Position{}, bad
	}
	xidText, idText, ok := strings.Cut(rest, ":")
	if !ok {
		return events.Position{}, bad
	}
	xid, err1 := strconv.ParseUint(xidText, 10, 64)
	id, err2 := strconv.ParseInt(idText, 10, 64)
	p := events.Position{Xid: xid, ID: id}
	if err1 != nil || err2 != nil || xid == 0 || id < 0 || EncodeEventCursor(p) != s {
		return events.Position{}, bad
	}
	return p, nil
}
