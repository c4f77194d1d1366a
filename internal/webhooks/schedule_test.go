package webhooks

import (
	"testing"
	"time"
)

// TestDelay checks the retry waits: the schedule's step for the n-th
// failure, less at most half of it, and the last step for any later one.
func TestDelay(t *testing.T) {
	c := Config{Schedule: DefaultSchedule}
	for _, tc := range []struct {
		n    int
		step time.Duration
	}{{1, 5 * time.Second}, {2, 5 * time.Minute}, {3, 30 * time.Minute}, {7, 10 * time.Hour}, {9, 10 * time.Hour}, {0, 0}} {
		for range 200 {
			if got := c.delay(tc.n); got < tc.step/2 || got > tc.step {
				t.Fatalf("delay(%d) = %s, want between %s and %s", tc.n, got, tc.step/2, tc.step)
			}
		}
	}
	var total time.Duration
	for _, d := range DefaultSchedule {
		total += d
	}
	if total < 20*time.Hour || total > 36*time.Hour {
		t.Errorf("DefaultSchedule spans %s, want about a day", total)
	}
	if got := (Config{}).delay(1); got != 0 {
		t.Errorf("delay(1) with no schedule = %s, want 0", got)
	}
}
