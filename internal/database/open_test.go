package database

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestOpenExplainsBadConfiguration checks that a user who got
// DATABASE_URL wrong is told what to fix.
func TestOpenExplainsBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
		want string
	}{
		{"empty", "", "DATABASE_URL is empty"},
		{"not a URL", "postgres://a b@/%zz", "is not a PostgreSQL URL"},
		{"nobody listening", "postgres://postgres:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "cannot reach PostgreSQL"},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_, err := Open(ctx, tt.dsn)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%s) error = %v, want it to say %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%s) error = %v, shows the password", tt.name, err)
		}
	}
}

func TestRedact(t *testing.T) {
	got := Redact("postgres://u:pw@h:5432/db")
	if strings.Contains(got, "pw") || !strings.Contains(got, "u:xxxxx@h:5432/db") {
		t.Errorf("Redact() = %q, want the password hidden", got)
	}
}
