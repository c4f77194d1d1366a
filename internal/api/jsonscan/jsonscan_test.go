package jsonscan_test

import (
	"testing"

	"stockgraph/internal/api/jsonscan"
)

// TestStructural: bytes inside strings, escaped quotes included, are
// never yielded; everything else is, in order.
func TestStructural(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a":1}`, `{:1}`},
		{`{"a:{b}":[1,2]}`, `{:[1,2]}`},
		{`{"a\"}:":"x\\"}`, `{:}`},
		{`["unterminated`, `[`},
		{``, ``},
	} {
		var got []byte
		jsonscan.Structural([]byte(tt.in), func(c byte) { got = append(got, c) })
		if string(got) != tt.want {
			t.Errorf("Structural(%s) yielded %q, want %q", tt.in, got, tt.want)
		}
	}
}
