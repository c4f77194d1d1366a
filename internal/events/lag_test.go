package events_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"stockgraph/internal/events"
)

// TestHubReportsLag: the shared feed's reads report how old their oldest
// event was, a small age for events read as they commit.
func TestHubReportsLag(t *testing.T) {
	db, url := openWithURL(t)
	store := newStore(t, db)
	var mu sync.Mutex
	var ages []time.Duration
	hub := startHub(t, db, url, events.HubOptions{Lag: func(d time.Duration) {
		mu.Lock()
		ages = append(ages, d)
		mu.Unlock()
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sub, err := hub.Subscribe(ctx, store, events.Filter{}, nil, events.SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(sub)
	<-sub.Live()
	appendIn(t, db, store, 1, 2)
	if tags := got.waitFor(2); len(tags) != 2 {
		t.Fatalf("events received = %v, want 2", tags)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ages) == 0 {
		t.Fatal("Lag heard nothing after the feed read 2 events, want their age")
	}
	for _, age := range ages {
		if age < 0 || age > 10*time.Second {
			t.Errorf("Lag(%v), want an age between 0 and 10s", age)
		}
	}
}
