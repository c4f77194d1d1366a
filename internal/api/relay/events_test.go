package relay

import (
	"encoding/base64"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/events"
)

func TestEventCursorRoundTrip(t *testing.T) {
	for _, p := range []events.Position{{Xid: 1, ID: 0}, {Xid: 812, ID: 42}, {Xid: 1 << 40, ID: 1 << 50}} {
		got, err := DecodeEventCursor("after", EncodeEventCursor(p))
		if err != nil || got != p {
			t.Errorf("DecodeEventCursor(EncodeEventCursor(%v)) = %v, %v, want %v", p, got, err, p)
		}
	}
}

// TestEventCursorCanonical refuses every spelling but the one
// EncodeEventCursor writes, and other kinds of opaque strings.
func TestEventCursorCanonical(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{
		"", "nonsense", enc("E:0:1"), enc("E:012:42"), enc("E:+12:42"), enc("E:12:-1"), enc("E:12"), enc("X:12:42"),
		enc("E:12:42") + "=", base64.StdEncoding.EncodeToString([]byte("E:12:42")), ID(KindStockEvent, 3),
		EncodeCursor(struct {
			Key string
			ID  int64
		}{"a", 5}),
	} {
		_, err := DecodeEventCursor("after", bad)
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "after" {
			t.Errorf("DecodeEventCursor(%q) error = %v, want BAD_USER_INPUT on after", bad, err)
		}
	}
}
