package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestLoggerAddsRequestID: a line logged with a request's context carries
// the request's id, once, however it was logged.
func TestLoggerAddsRequestID(t *testing.T) {
	ctx := context.WithValue(context.Background(), recordKey{}, &requestRecord{id: "req-7"})
	tests := []struct {
		name string
		log  func(*bytes.Buffer)
		want string
	}{
		{"with the request's context", func(b *bytes.Buffer) { NewLogger(b).ErrorContext(ctx, "internal error", "err", "boom") }, "req-7"},
		{"with attrs", func(b *bytes.Buffer) { NewLogger(b).With("a", 1).InfoContext(ctx, "x", "b", 2) }, "req-7"},
		{"an id given already", func(b *bytes.Buffer) { NewLogger(b).InfoContext(ctx, "x", "requestId", "own") }, "own"},
		{"outside a request", func(b *bytes.Buffer) { NewLogger(b).Info("x") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.log(&b)
			var line map[string]any
			if err := json.Unmarshal(b.Bytes(), &line); err != nil {
				t.Fatalf("log line %q: %v", b.String(), err)
			}
			got, _ := line["requestId"].(string)
			if got != tt.want || strings.Count(b.String(), `"requestId"`) > 1 {
				t.Errorf("requestId of %s = %q, want %q once", b.String(), got, tt.want)
			}
		})
	}
}
