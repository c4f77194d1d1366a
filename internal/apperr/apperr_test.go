package apperr

import (
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
