package relay

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/events"
	paging "stockgraph/internal/page"
)

func TestIDRoundTrip(t *testing.T) {
	gid := ID(KindVariant, 42)
	kind, id, err := ParseID(gid)
	if err != nil || kind != KindVariant || id != 42 {
		t.Fatalf("ParseID(ID(Variant, 42)) = %s, %d, %v, want Variant, 42, nil", kind, id, err)
	}
}

func TestParseIDRejects(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	// "Variant:10" is 10 bytes, so its last base64 digit carries 4 unused
	// bits that the canonical form leaves zero.
	canonical := ID(KindVariant, 10)
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, canonical[len(canonical)-1])
	tests := []struct{ name, gid string }{
		{"empty", ""},
		{"bare number", "42"},
		{"not base64", "!!!"},
		{"truncated", ID(KindProduct, 1)[:3]},
		{"unknown kind", b64("Unknown:1")},
		{"zero", b64("Product:0")},
		{"negative", b64("Product:-1")},
		{"leading zeros", b64("Variant:0001")},
		{"plus sign", b64("Variant:+1")},
		{"space", b64("Variant: 1")},
		{"no number", b64("Variant:")},
		{"overflow", b64("Variant:9223372036854775808")},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte("Variant:10"))},
		{"standard alphabet", base64.StdEncoding.EncodeToString([]byte("Product:62"))},
		{"non-zero trailing bits", canonical[:len(canonical)-1] + alphabet[last+1:last+2]},
		{"embedded newline", canonical[:4] + "\n" + canonical[4:]},
	}
	for _, tt := range tests {
		if _, _, err := ParseID(tt.gid); apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("ParseID(%q) (%s) error = %v, want BAD_USER_INPUT", tt.gid, tt.name, err)
		}
	}
	if _, err := ParseIDOf(KindProduct, ID(KindVariant, 1)); apperr.CodeOf(err) != apperr.BadUserInput {
		t.Errorf("ParseIDOf(Product, a variant ID) error = %v, want BAD_USER_INPUT", err)
	}
}

// FuzzParseID checks that ParseID accepts only canonical IDs: whatever it
// accepts, ID writes back byte for byte, so one object has one ID.
func FuzzParseID(f *testing.F) {
	f.Add(ID(KindProduct, 7))
	f.Add(ID(KindMovement, 9223372036854775807))
	f.Add("garbage")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("Variant:0001")))
	f.Add(base64.URLEncoding.EncodeToString([]byte("Variant:10")))
	f.Fuzz(func(t *testing.T, gid string) {
		kind, id, err := ParseID(gid)
		if err != nil {
			if apperr.CodeOf(err) != apperr.BadUserInput {
				t.Fatalf("ParseID(%q) error code = %s, want BAD_USER_INPUT", gid, apperr.CodeOf(err))
			}
			return
		}
		if again := ID(kind, id); again != gid {
			t.Fatalf("ID(ParseID(%q)) = %q, want %q: a non-canonical ID was accepted", gid, again, gid)
		}
	})
}

func intp(n int) *int       { return &n }
func strp(s string) *string { return &s }

func TestValidate(t *testing.T) {
	cursor := EncodeCursor(paging.Position{Key: "a", ID: 5})
	tests := []struct {
		name     string
		args     Args
		wantErr  string // the field named by the error, "" for none
		limit    int
		backward bool
	}{
		{"defaults", Args{}, "", paging.DefaultSize, false},
		{"first", Args{First: intp(10)}, "", 10, false},
		{"first zero", Args{First: intp(0)}, "", 0, false},
		{"first max", Args{First: intp(paging.MaxSize)}, "", paging.MaxSize, false},
		{"first negative", Args{First: intp(-1)}, "first", 0, false},
		{"first too big", Args{First: intp(paging.MaxSize + 1)}, "first", 0, false},
		{"last", Args{Last: intp(3), Before: &cursor}, "", 3, true},
		{"before alone", Args{Before: &cursor}, "", paging.DefaultSize, true},
		{"first and last", Args{First: intp(1), Last: intp(1)}, "first", 0, false},
		{"after with last", Args{Last: intp(1), After: &cursor}, "after", 0, false},
		{"before with first", Args{First: intp(1), Before: &cursor}, "before", 0, false},
		{"bad cursor", Args{First: intp(1), After: strp("nope")}, "after", 0, false},
	}
	for _, tt := range tests {
		w, err := tt.args.Validate()
		if tt.wantErr != "" {
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.BadUserInput || e.Field != tt.wantErr {
				t.Errorf("%s: Validate() error = %v, want BAD_USER_INPUT on %s", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || w.Limit != tt.limit || w.Backward != tt.backward {
			t.Errorf("%s: Validate() = %+v, %v, want limit %d backward %v", tt.name, w, err, tt.limit, tt.backward)
		}
	}
}

// FuzzCursors: any string either fails to decode as a page or an event
// cursor, or decodes to a position that encodes and decodes to itself; an
// event cursor is accepted only in its one canonical spelling.
func FuzzCursors(f *testing.F) {
	f.Add(EncodeCursor(paging.Position{Key: "Tee", ID: 7}))
	f.Add(EncodeEventCursor(events.Position{Xid: 900, ID: 12}))
	f.Add("eyJrIjpudWxsfQ")
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := DecodeCursor(s); err == nil {
			again, err := DecodeCursor(EncodeCursor(p))
			if err != nil || !reflect.DeepEqual(again, p) {
				t.Fatalf("DecodeCursor(EncodeCursor(%+v)) = %+v, %v", p, again, err)
			}
		}
		if p, err := DecodeEventCursor("after", s); err == nil && EncodeEventCursor(p) != s {
			t.Fatalf("DecodeEventCursor(%q) accepted a non-canonical cursor of %+v", s, p)
		} else if err != nil && apperr.CodeOf(err) != apperr.BadUserInput {
			t.Fatalf("DecodeEventCursor(%q) error code = %s, want BAD_USER_INPUT", s, apperr.CodeOf(err))
		}
	})
}
