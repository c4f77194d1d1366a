package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"plain", New(NotFound, "no product %d", 7), NotFound},
		{"wrapped", fmt.Errorf("load: %w", New(Conflict, "taken")), Conflict},
		{"foreign", fmt.Errorf("boom"), Internal},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("CodeOf(%s) = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestExtensions(t *testing.T) {
	e := New(BadUserInput, "bad").WithField("input.items").WithIndex(3)
	ext := e.Extensions()
	if ext["code"] != "BAD_USER_INPUT" || ext["field"] != "input.items" || ext["index"] != 3 {
		t.Errorf("Extensions() = %v, want code, field and index", ext)
	}
	if _, ok := New(NotFound, "x").Extensions()["index"]; ok {
		t.Errorf("Extensions() of an error with no index has an index")
	}
}

func TestIsRefusal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{New(OutOfStock, "sold out"), true},
		{List{New(OutOfStock, "a"), New(OutOfStock, "b")}.Err(), true},
		{fmt.Errorf("line 2: %w", New(RevisionConflict, "moved")), true},
		{New(BadUserInput, "no"), true},
		{New(LockTimeout, "locked"), false},
		{New(Timeout, "late"), false},
		{New(Unavailable, "down"), false},
		{New(Cancelled, "gone"), false},
		{New(Internal, "bug"), false},
		{errors.New("connection reset"), false},
		{nil, false},
	} {
		if got := IsRefusal(c.err); got != c.want {
			t.Errorf("IsRefusal(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
