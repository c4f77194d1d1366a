package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/events"
	"stockgraph/internal/throttle"
)

// TestSubscriptionEventsSpendTheBucket: a subscription pays its price when
// it starts and each event's actual cost as it is delivered, even when
// the bucket cannot pay (it stays at zero and the event still goes out);
// the token that emptied its bucket so gets THROTTLED on its next query.
func TestSubscriptionEventsSpendTheBucket(t *testing.T) {
	le := newLiveEnv(t)
	f := le.subsFixture("subcost", 1, 10, 1)
	// The subscription costs 6 (inventoryChanged, cursor, type, variantId,
	// after, onHand) and so does each event: 54 points after it starts,
	// enough for 9 events, and 10 come.
	small := le.replica(api.Config{Throttle: throttle.Config{Size: 60, Rate: 0.001}}, events.HubOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := dialWS(t, ctx, small, "graphql-transport-ws", nil)
	c.init(f.token)
	c.subscribe("1", changedQuery, map[string]any{"after": le.horizon(f.token), "f": map[string]any{"types": []string{"STOCK_CHANGED"}}})
	// Written through the other server: its buckets are its own.
	le.bump(le.srv, f.token, f.locations[0], 1, f.variants...)
	for i := range len(f.variants) {
		m := c.read()
		var p struct {
			Data       map[string]streamEvent
			Extensions struct{ Cost map[string]any }
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || m.Type != "next" || p.Data["inventoryChanged"].Type != "STOCK_CHANGED" {
			t.Fatalf("message %d = %s %s, want an event", i+1, m.Type, m.Payload)
		}
		st, _ := p.Extensions.Cost["throttleStatus"].(map[string]any)
		left, _ := st["currentlyAvailable"].(float64)
		want := max(54-6*float64(i+1), 0)
		t.Logf("event %d: requested %v, actual %v, bucket %.2f", i+1, p.Extensions.Cost["requestedQueryCost"], p.Extensions.Cost["actualQueryCost"], left)
		if p.Extensions.Cost["requestedQueryCost"] != 6.0 || p.Extensions.Cost["actualQueryCost"] != 6.0 || left < want || left > want+0.1 {
			t.Errorf("event %d: extensions.cost = %v, want 6/6 and about %v left", i+1, p.Extensions.Cost, want)
		}
	}
	resp, r := postRaw(t, small.URL, "Bearer "+f.token, `{ store { id } }`)
	if resp.StatusCode != http.StatusTooManyRequests || r.code() != "THROTTLED" {
		t.Errorf("a query after the events emptied the bucket: HTTP %d, code %q, want 429 THROTTLED", resp.StatusCode, r.code())
	}
}
