package coalesce_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"stockgraph/internal/coalesce"
)

// recorder applies groups by recording them; the first group waits for
// the gate, so that the requests sent meanwhile queue behind it.
type recorder struct {
	mu     sync.Mutex
	groups [][]int
	gate   chan struct{}
	held   bool // the first group has been held at the gate
	inside chan struct{}
}

func (rec *recorder) apply(group []*coalesce.Request[int, int]) {
	rec.mu.Lock()
	first := !rec.held
	rec.held = true
	rec.mu.Unlock()
	if first {
		close(rec.inside)
		<-rec.gate
	}
	var ins []int
	for _, r := range group {
		ins = append(ins, r.In)
	}
	rec.mu.Lock()
	rec.groups = append(rec.groups, ins)
	rec.mu.Unlock()
	for _, r := range group {
		r.Answer(r.In*10, nil)
	}
}

// TestGroupsFormWhileBusyInArrivalOrder holds the first request's group
// at a gate while seven more arrive: they are applied after it in groups
// of at most three, in arrival order, each answered with its own result;
// another key is not held up, and a request whose asker has gone is left
// out.
func TestGroupsFormWhileBusyInArrivalOrder(t *testing.T) {
	rec := &recorder{gate: make(chan struct{}), inside: make(chan struct{})}
	qs := coalesce.New[string](3, rec.apply)
	var sizes []int
	qs.Observe = func(n int) { rec.mu.Lock(); sizes = append(sizes, n); rec.mu.Unlock() }
	ctx := context.Background()
	results := make([]int, 8)
	var wg sync.WaitGroup
	wg.Go(func() { results[0], _ = qs.Do(ctx, "item", 0) })
	<-rec.inside // the first request is being applied, alone
	for i := 1; i < 8; i++ {
		// Sent one after another, so that arrival order is known.
		wg.Go(func() { results[i], _ = qs.Do(ctx, "item", i) })
		for qs.Waiting("item") < i {
			time.Sleep(time.Millisecond)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := qs.Do(cancelled, "item", 99); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do with a cancelled context = %v, want context.Canceled", err)
	}
	other, _ := qs.Do(ctx, "other", 5) // another key is not held up
	close(rec.gate)
	wg.Wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := [][]int{{5}, {0}, {1, 2, 3}, {4, 5, 6}, {7}}
	if fmt.Sprint(rec.groups) != fmt.Sprint(want) || other != 50 {
		t.Fatalf("groups = %v (other key %d), want %v", rec.groups, other, want)
	}
	slices.Sort(sizes)
	if fmt.Sprint(sizes) != "[1 1 1 3 3]" {
		t.Fatalf("observed group sizes %v, want [1 1 1 3 3]", sizes)
	}
	for i, r := range results {
		if r != i*10 {
			t.Fatalf("results = %v, want each request's own", results)
		}
	}
	if slices.Contains(slices.Concat(rec.groups...), 99) {
		t.Fatal("a request whose asker had gone was applied")
	}
}

func TestPanicAnswersTheGroup(t *testing.T) {
	qs := coalesce.New[string](4, func(group []*coalesce.Request[int, int]) {
		group[0].Answer(1, nil)
		panic("boom")
	})
	if _, err := qs.Do(context.Background(), "item", 1); err != nil {
		t.Fatalf("the answered request got %v", err)
	}
	qs2 := coalesce.New[string](4, func([]*coalesce.Request[int, int]) { panic("boom") })
	if _, err := qs2.Do(context.Background(), "item", 1); err == nil {
		t.Fatal("a request of a panicking group got no error")
	}
}

// TestAnswersSayWhatWasDone: a request whose asker gives up while it
// waits in the queue leaves it, is never applied and gets its context's
// error; one whose asker gives up after a group took it gets the group's
// answer, since the group may have applied it.
func TestAnswersSayWhatWasDone(t *testing.T) {
	gate, inside := make(chan struct{}), make(chan int, 4)
	var mu sync.Mutex
	var applied []int
	qs := coalesce.New[string](4, func(group []*coalesce.Request[int, int]) {
		for _, r := range group {
			inside <- r.In
		}
		<-gate
		for _, r := range group {
			mu.Lock()
			applied = append(applied, r.In)
			mu.Unlock()
			r.Answer(r.In*10, nil)
		}
	})
	taken, cancelTaken := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var takenValue int
	var takenErr error
	wg.Go(func() { takenValue, takenErr = qs.Do(taken, "item", 1) })
	<-inside // request 1 is in its group, which waits at the gate
	queued, cancelQueued := context.WithCancel(context.Background())
	queuedErr := make(chan error, 1)
	go func() { _, err := qs.Do(queued, "item", 2); queuedErr <- err }()
	for qs.Waiting("item") < 1 {
		time.Sleep(time.Millisecond)
	}
	cancelQueued()
	if err := <-queuedErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("a request given up while queued = %v, want context.Canceled", err)
	}
	cancelTaken()
	close(gate)
	wg.Wait()
	if takenValue != 10 || takenErr != nil {
		t.Fatalf("a request given up after its group took it = %d, %v; want the group's answer 10, nil", takenValue, takenErr)
	}
	if v, err := qs.Do(context.Background(), "item", 3); v != 30 || err != nil {
		t.Fatalf("the next request = %d, %v", v, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(applied) != "[1 3]" {
		t.Fatalf("applied %v, want [1 3]: the request given up while queued must not be applied", applied)
	}
}

// TestApplyAnswersByHowTheGroupEnded: a request alone runs alone; a group
// that ran answers each its outcome; one that failed before its commit
// runs each request alone, in arrival order; one whose commit failed
// answers each the commit's error and runs nothing again.
func TestApplyAnswersByHowTheGroupEnded(t *testing.T) {
	failed := errors.New("failed")
	for _, c := range []struct {
		name       string
		size       int
		committing bool
		err        error
		want       string
	}{
		{"alone", 1, false, nil, "[alone 0] [0]"},
		{"ran", 3, true, nil, "[] [100 101 102]"},
		{"failed before its commit", 3, false, failed, "[alone 0 alone 1 alone 2] [0 1 2]"},
		{"commit failed", 3, true, failed, "[] [failed failed failed]"},
	} {
		var ran []any
		group := make([]*coalesce.Request[int, int], c.size)
		for i := range group {
			group[i] = coalesce.NewRequestForTest[int, int](context.Background(), i)
		}
		coalesce.Apply(group, func(r *coalesce.Request[int, int]) (int, error) {
			ran = append(ran, "alone", r.In)
			return r.In, nil
		}, func(_ context.Context, g []*coalesce.Request[int, int]) ([]coalesce.Outcome[int], bool, error) {
			outs := make([]coalesce.Outcome[int], len(g))
			for i, r := range g {
				outs[i].Value = 100 + r.In
			}
			return outs, c.committing, c.err
		})
		var answers []any
		for _, r := range group {
			v, err := coalesce.AnswerForTest(r)
			if err != nil {
				answers = append(answers, err.Error())
			} else {
				answers = append(answers, v)
			}
		}
		if got := fmt.Sprint(ran) + " " + fmt.Sprint(answers); got != c.want {
			t.Errorf("%s: ran and answers = %s, want %s", c.name, got, c.want)
		}
	}
}
