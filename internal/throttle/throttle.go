// Package throttle holds leaky buckets of cost points, one per key (an API
// token, a client address, a store's webhook deliveries), in the manner of Shopify's GraphQL Admin API:
// a bucket holds at most Size points, refills at Rate points a second,
// and a request is let through only when its cost is available. Buckets
// live in the process's memory: each replica has its own.
package throttle

import (
	"math"
	"sync"
	"time"
)

// Config is a bucket's size in points and its restore rate in points a
// second.
type Config struct {
	Size, Rate float64
}

// Status is a bucket's state after a request, as extensions.cost's
// throttleStatus reports it.
type Status struct {
	Maximum, Available, Rate float64
	// RetryAfter is how long until the refused cost is available; zero
	// when the request was let through.
	RetryAfter time.Duration
}

// Buckets are the buckets of one kind of key.
type Buckets struct {
	cfg Config
	// Now is the clock; tests set it.
	Now func() time.Time

	mu    sync.Mutex
	level map[string]bucket
}

type bucket struct {
	available float64
	at        time.Time
}

// sweepAbove is the number of buckets above which a Take forgets the
// full ones, so that keys seen once do not hold memory for ever.
const sweepAbove = 10_000

// New returns empty buckets; a key's bucket starts full.
func New(cfg Config) *Buckets {
	return &Buckets{cfg: cfg, Now: time.Now, level: map[string]bucket{}}
}

// Take takes cost points from key's bucket when it holds them, and says
// whether it did. A cost above the bucket's size is refused for ever; the
// caller refuses it for its cost before (COMPLEXITY_LIMIT_EXCEEDED).
func (b *Buckets) Take(key string, cost float64) (Status, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.Now()
	cur := b.current(key, now)
	st := Status{Maximum: b.cfg.Size, Rate: b.cfg.Rate}
	if cost > cur {
		st.Available = cur
		st.RetryAfter = b.wait(cost - cur)
		b.level[key] = bucket{available: cur, at: now}
		return st, false
	}
	st.Available = cur - cost
	b.level[key] = bucket{available: st.Available, at: now}
	if len(b.level) > sweepAbove {
		b.sweep(now)
	}
	return st, true
}

// Below lists the keys whose buckets hold less than points now: the keys
// a caller should not pick work for until they restore.
func (b *Buckets) Below(points float64) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.Now()
	var keys []string
	for key := range b.level {
		if b.current(key, now) < points {
			keys = append(keys, key)
		}
	}
	return keys
}

// Refund gives points back to key's bucket, up to its size: an operation
// priced at more than it turned out to cost gets the difference back.
func (b *Buckets) Refund(key string, points float64) Status {
	return b.settle(key, max(points, 0))
}

// Charge takes points from key's bucket whether or not it holds them, down
// to zero at the lowest: for work already done (an event delivered, an
// operation that cost more than its price), which cannot be refused any
// more. An empty bucket refuses the key's next Take.
func (b *Buckets) Charge(key string, points float64) Status {
	return b.settle(key, -max(points, 0))
}

// settle adds delta to key's bucket, keeping it within 0 and the size.
func (b *Buckets) settle(key string, delta float64) Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.Now()
	level := min(max(b.current(key, now)+delta, 0), b.cfg.Size)
	b.level[key] = bucket{available: level, at: now}
	if len(b.level) > sweepAbove {
		b.sweep(now)
	}
	return Status{Maximum: b.cfg.Size, Available: level, Rate: b.cfg.Rate}
}

// current is key's points at now, restored since its last request.
func (b *Buckets) current(key string, now time.Time) float64 {
	l, ok := b.level[key]
	if !ok {
		return b.cfg.Size
	}
	return min(b.cfg.Size, l.available+now.Sub(l.at).Seconds()*b.cfg.Rate)
}

// maxWait is the longest Retry-After a bucket asks for: past it the
// number means nothing to a client, and the float would overflow a
// Duration.
const maxWait = time.Hour

// wait is how long the bucket takes to restore missing points.
func (b *Buckets) wait(missing float64) time.Duration {
	if b.cfg.Rate <= 0 {
		return maxWait
	}
	ms := math.Ceil(missing / b.cfg.Rate * 1000)
	if ms >= float64(maxWait/time.Millisecond) {
		return maxWait
	}
	return time.Duration(ms) * time.Millisecond
}

func (b *Buckets) sweep(now time.Time) {
	for key := range b.level {
		if b.current(key, now) >= b.cfg.Size {
			delete(b.level, key)
		}
	}
}
