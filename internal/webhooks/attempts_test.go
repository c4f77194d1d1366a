package webhooks_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"stockgraph/internal/webhooks"
)

// TestOnAttemptHearsEachResult: a receiver that fails twice, then answers,
// gives two PENDING (to be retried) and one SUCCEEDED; one that always
// fails, PENDING for each retry and FAILED at the end.
func TestOnAttemptHearsEachResult(t *testing.T) {
	tests := []struct {
		name   string
		answer func(n int) int
		want   func(cfg webhooks.Config) []webhooks.DeliveryStatus
	}{
		{"succeeds on the third", func(n int) int {
			if n < 3 {
				return http.StatusBadGateway
			}
			return http.StatusOK
		}, func(webhooks.Config) []webhooks.DeliveryStatus {
			return []webhooks.DeliveryStatus{webhooks.Pending, webhooks.Pending, webhooks.Succeeded}
		}},
		{"always fails", always(http.StatusInternalServerError), func(cfg webhooks.Config) []webhooks.DeliveryStatus {
			return append(slices.Repeat([]webhooks.DeliveryStatus{webhooks.Pending}, len(cfg.Schedule)), webhooks.Failed)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := newReceiver(t, tt.answer)
			e.hook(r)
			var mu sync.Mutex
			var got []webhooks.DeliveryStatus
			cfg := fast()
			cfg.OnAttempt = func(s webhooks.DeliveryStatus) {
				mu.Lock()
				got = append(got, s)
				mu.Unlock()
			}
			want := tt.want(cfg)
			e.run(cfg)
			e.write(1)
			eventually(t, "every attempt heard", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(got) >= len(want)
			})
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(got, want) {
				t.Errorf("OnAttempt heard %v, want %v", got, want)
			}
		})
	}
}
