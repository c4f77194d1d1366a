package cli

import (
	"runtime/debug"
	"testing"
)

// TestTuneGC: serve raises GOGC to 200 when the environment sets none,
// and leaves an operator's own GOGC alone.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tests := []struct {
		env         string
		wantPercent int
		wantSaid    string
	}{
		{"", 200, "200"},
		{"50", 100, "50"}, // the runtime read GOGC at start; tuneGC leaves it
		{"off", 100, "off"},
	}
	for _, tt := range tests {
		t.Run("GOGC="+tt.env, func(t *testing.T) {
			t.Setenv("GOGC", tt.env)
			debug.SetGCPercent(100)
			said := tuneGC()
			if got := debug.SetGCPercent(100); got != tt.wantPercent || said != tt.wantSaid {
				t.Errorf("GOGC=%q: tuneGC set %d and said %q, want %d and %q", tt.env, got, said, tt.wantPercent, tt.wantSaid)
			}
		})
	}
}
