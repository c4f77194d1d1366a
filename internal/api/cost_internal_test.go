package api

import (
	"testing"
	"time"

	"stockgraph/internal/throttle"
)

// TestSettle: a query or mutation's first response settles with its
// bucket, getting back what its price exceeded its actual cost by or
// paying the overrun; each later response (@defer'd parts) and each
// response of a subscription pays its actual cost; a refused operation
// reports a null actual cost and touches nothing.
func TestSettle(t *testing.T) {
	const three = `{"a":{"b":1,"c":2}}` // actual 3
	for _, tt := range []struct {
		name         string
		requested    int64
		subscription bool
		refused      bool
		responses    []string
		want         []float64 // points left after each response
		wantActual   any
	}{
		{"refund", 10, false, false, []string{three}, []float64{97}, int64(3)},
		{"overrun", 1, false, false, []string{three}, []float64{97}, int64(3)},
		{"deferred parts pay", 10, false, false, []string{three, three}, []float64{97, 94}, int64(3)},
		{"no data costs 1", 10, false, false, []string{""}, []float64{99}, int64(1)},
		{"subscription events", 10, true, false, []string{three, three, ""}, []float64{87, 84, 83}, int64(1)},
		{"refused", 10, false, true, []string{three}, []float64{100}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := throttle.New(throttle.Config{Size: 100, Rate: 0})
			b.Now = func() time.Time { return time.Unix(1_000_000, 0) }
			oc := &operationCost{requested: tt.requested, buckets: b, key: "k", subscription: tt.subscription}
			if tt.refused {
				st := throttle.Status{Maximum: 100, Available: 100}
				oc.refused = &st
			} else {
				st, _ := b.Take("k", float64(tt.requested))
				oc.status = st
			}
			var ext map[string]any
			for i, data := range tt.responses {
				ext = oc.settle([]byte(data))
				left := ext["throttleStatus"].(map[string]any)["currentlyAvailable"]
				if left != tt.want[i] {
					t.Errorf("after response %d: %v points left, want %v", i+1, left, tt.want[i])
				}
			}
			if ext["actualQueryCost"] != tt.wantActual || ext["requestedQueryCost"] != tt.requested {
				t.Errorf("extensions.cost = %v, want requested %d, actual %v", ext, tt.requested, tt.wantActual)
			}
		})
	}
}
