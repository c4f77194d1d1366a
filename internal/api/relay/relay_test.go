package relay

import (
	paging "stockgraph/internal/page"

	"testing"

	"stockgraph/internal/apperr"
)

func TestIDRoundTrip(t *testing.T) {
	gid := ID(KindVariant, 42)
	kind, id, err := ParseID(gid)
	if err != nil || kind != KindVariant || id != 42 {
		t.Fatalf("ParseID(ID(Variant, 42)) = %s, %d, %v, want Variant, 42, nil", kind, id, err)
	}
}

func TestParseIDRejects(t *testing.T) {
	for _, gid := range []string{"", "42", "!!!", ID(KindProduct, 1)[:3], "VW5rbm93bjox" /* Unknown:1 */, "UHJvZHVjdDow" /* Product:0 */, "UHJvZHVjdDotMQ" /* Product:-1 */} {
		if _, _, err := ParseID(gid); apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("ParseID(%q) error = %v, want BAD_USER_INPUT", gid, err)
		}
	}
	if _, err := ParseIDOf(KindProduct, ID(KindVariant, 1)); apperr.CodeOf(err) != apperr.BadUserInput {
		t.Errorf("ParseIDOf(Product, a variant ID) error = %v, want BAD_USER_INPUT", err)
	}
}

func FuzzParseID(f *testing.F) {
	f.Add(ID(KindProduct, 7))
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, gid string) {
		kind, id, err := ParseID(gid)
		if err != nil {
			if apperr.CodeOf(err) != apperr.BadUserInput {
				t.Fatalf("ParseID(%q) error code = %s, want BAD_USER_INPUT", gid, apperr.CodeOf(err))
			}
			return
		}
		if again := ID(kind, id); again != gid {
			// Different encodings of one ID are fine only if they decode alike.
			k2, id2, _ := ParseID(again)
			if k2 != kind || id2 != id {
				t.Fatalf("ID(ParseID(%q)) does not round-trip", gid)
			}
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
