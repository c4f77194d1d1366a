package throttle_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"stockgraph/internal/throttle"
)

func TestTake(t *testing.T) {
	b := throttle.New(throttle.Config{Size: 10, Rate: 2})
	now := time.Unix(1_000_000, 0)
	b.Now = func() time.Time { return now }
	steps := []struct {
		advance   time.Duration
		key       string
		cost      float64
		ok        bool
		available float64
		retry     time.Duration
	}{
		{0, "a", 6, true, 4, 0},
		{0, "a", 5, false, 4, 500 * time.Millisecond},
		{0, "b", 10, true, 0, 0}, // each key its own bucket
		{time.Second, "a", 5, true, 1, 0},
		{10 * time.Second, "a", 0, true, 10, 0}, // restored up to the size only
		{0, "a", 11, false, 10, 500 * time.Millisecond},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		st, ok := b.Take(s.key, s.cost)
		if ok != s.ok || st.Available != s.available || st.RetryAfter != s.retry || st.Maximum != 10 || st.Rate != 2 {
			t.Errorf("step %d: Take(%q, %v) = %+v, %v, want available %v, retry %v, %v", i, s.key, s.cost, st, ok, s.available, s.retry, s.ok)
		}
	}
}

// TestRetryAfterIsBounded: a huge cost at a slow rate asks to wait an
// hour at most, never a Duration that overflowed.
func TestRetryAfterIsBounded(t *testing.T) {
	b := throttle.New(throttle.Config{Size: 1e300, Rate: 0.001})
	if _, ok := b.Take("a", 1e300); !ok {
		t.Fatal("the first take of a full bucket was refused")
	}
	st, ok := b.Take("a", 1e300)
	if ok || st.RetryAfter != time.Hour {
		t.Errorf("Take after the bucket emptied = %+v, %v; want refused with a retry of 1h", st, ok)
	}
}

// TestTakeConcurrently: concurrent requests never take more than the
// bucket holds.
func TestTakeConcurrently(t *testing.T) {
	b := throttle.New(throttle.Config{Size: 100, Rate: 0})
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, ok := b.Take(fmt.Sprint("k", i%2), 1); ok {
					mu.Lock()
					taken++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if taken != 200 {
		t.Errorf("points taken from two buckets of 100 = %d, want 200", taken)
	}
}

// TestRefundAndCharge: a refund gives points back up to the size, a charge
// takes them even from a bucket that lacks them, down to zero, and the
// next Take sees both.
func TestRefundAndCharge(t *testing.T) {
	b := throttle.New(throttle.Config{Size: 10, Rate: 2})
	now := time.Unix(1_000_000, 0)
	b.Now = func() time.Time { return now }
	steps := []struct {
		advance   time.Duration
		op        string // take, refund or charge
		points    float64
		ok        bool // take's answer
		available float64
	}{
		{0, "take", 8, true, 2},
		{0, "refund", 5, true, 7},
		{0, "refund", 100, true, 10}, // never above the size
		{0, "take", 10, true, 0},
		{0, "charge", 3, true, 0}, // floors at zero
		{0, "take", 1, false, 0},  // and the next take is refused
		{time.Second, "charge", 1.5, true, 0.5},
		{0, "refund", -4, true, 0.5}, // negative points do nothing
		{0, "charge", -4, true, 0.5},
		{time.Second, "take", 2.5, true, 0},
		{0, "refund", 3, true, 3},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		var st throttle.Status
		ok := true
		switch s.op {
		case "take":
			st, ok = b.Take("a", s.points)
		case "refund":
			st = b.Refund("a", s.points)
		case "charge":
			st = b.Charge("a", s.points)
		}
		if ok != s.ok || st.Available != s.available || st.Maximum != 10 || st.Rate != 2 {
			t.Errorf("step %d: %s(%v) = %+v, %v, want available %v, %v", i, s.op, s.points, st, ok, s.available, s.ok)
		}
	}
	if st := b.Refund("fresh", 5); st.Available != 10 {
		t.Errorf("Refund on a key never seen = %v available, want the full 10", st.Available)
	}
	if st := b.Charge("other", 4); st.Available != 6 {
		t.Errorf("Charge(4) on a key never seen = %v available, want 6 (a full bucket less 4)", st.Available)
	}
}

// TestBelow lists the keys that cannot pay, as they restore.
func TestBelow(t *testing.T) {
	b := throttle.New(throttle.Config{Size: 10, Rate: 1})
	now := time.Unix(1_000_000, 0)
	b.Now = func() time.Time { return now }
	b.Take("a", 10)
	b.Take("b", 9.5)
	b.Take("c", 1)
	for _, s := range []struct {
		advance time.Duration
		want    []string
	}{{0, []string{"a", "b"}}, {600 * time.Millisecond, []string{"a"}}, {time.Second, nil}} {
		now = now.Add(s.advance)
		got := b.Below(1)
		slices.Sort(got)
		if !slices.Equal(got, s.want) {
			t.Errorf("after %v more: Below(1) = %v, want %v", s.advance, got, s.want)
		}
	}
}
