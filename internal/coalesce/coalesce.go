// Package coalesce queues the requests that arrive for a busy resource
// and hands them to a runner in groups, in arrival order: the way
// PostgreSQL's own group commit passes the ceiling of one commit at a
// time. A request that finds its resource idle is handed over at once,
// alone; groups form only while a group of the same resource is being
// applied, so no request ever waits for a timer. What a group means (one
// transaction, a savepoint per request) is the runner's business: this
// package only owns the queues.
package coalesce

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Request is one queued request: its context, what it asks, and where its
// outcome goes.
type Request[In, Out any] struct {
	Ctx  context.Context
	In   In
	done chan result[Out] // buffered by one: every request is answered once
	// Guarded by the Queues' mutex: taken says the request was handed to
	// a group, gone that its asker left before that, so it never will be.
	taken, gone bool
}

type result[Out any] struct {
	value Out
	err   error
}

// Answer gives the request its outcome. Only the first answer counts.
func (r *Request[In, Out]) Answer(v Out, err error) {
	select {
	case r.done <- result[Out]{v, err}:
	default:
	}
}

// Queues groups requests by the key of the resource they are for. Make
// them with New; they are safe for concurrent use.
type Queues[K comparable, In, Out any] struct {
	max   int
	apply func(group []*Request[In, Out])
	// Observe, when set before the first request, learns each group's
	// size as it is handed over (a metric).
	Observe func(size int)
	mu      sync.Mutex
	byKey   map[K]*queue[In, Out]
}

// queue holds the requests for a resource whose group is being applied.
type queue[In, Out any] struct{ waiting []*Request[In, Out] }

// New returns queues that hand apply groups of at most max requests, one
// group of a key at a time, each on a goroutine of the key's. apply must
// answer every request of its group.
func New[K comparable, In, Out any](max int, apply func(group []*Request[In, Out])) *Queues[K, In, Out] {
	return &Queues[K, In, Out]{max: max, apply: apply, byKey: map[K]*queue[In, Out]{}}
}

// Do queues in for the resource of key and waits for its outcome. When
// ctx ends first, a request still waiting leaves the queue and Do returns
// ctx's error; one already handed to a group waits for the group, whose
// answer says what was done (a group skips a request whose context has
// ended before its turn), so that no caller hears "nothing changed" of a
// change that was applied.
func (qs *Queues[K, In, Out]) Do(ctx context.Context, key K, in In) (Out, error) {
	r := &Request[In, Out]{Ctx: ctx, In: in, done: make(chan result[Out], 1)}
	qs.enqueue(key, r)
	select {
	case res := <-r.done:
		return res.value, res.err
	case <-ctx.Done():
	}
	if qs.leave(r) {
		var zero Out
		return zero, ctx.Err()
	}
	res := <-r.done
	return res.value, res.err
}

// leave takes r out of the queue unless a group has it already.
func (qs *Queues[K, In, Out]) leave(r *Request[In, Out]) bool {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	r.gone = !r.taken
	return r.gone
}

// Waiting is how many requests wait behind the group of key being applied.
func (qs *Queues[K, In, Out]) Waiting(key K) int {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if q, busy := qs.byKey[key]; busy {
		return len(q.waiting)
	}
	return 0
}

// enqueue adds r to its key's queue, and starts draining the queue when
// no group of the key is being applied.
func (qs *Queues[K, In, Out]) enqueue(key K, r *Request[In, Out]) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if q, busy := qs.byKey[key]; busy {
		q.waiting = append(q.waiting, r)
		return
	}
	q := &queue[In, Out]{waiting: []*Request[In, Out]{r}}
	qs.byKey[key] = q
	go qs.drain(key, q)
}

// drain applies the key's queue group by group until it is empty.
func (qs *Queues[K, In, Out]) drain(key K, q *queue[In, Out]) {
	for {
		group := qs.next(key, q)
		if group == nil {
			return
		}
		if qs.Observe != nil {
			qs.Observe(len(group))
		}
		qs.applySafely(group)
	}
}

// next takes the next group off the queue, leaving out requests whose
// askers have gone; nil (and the queue removed) when nothing waits.
func (qs *Queues[K, In, Out]) next(key K, q *queue[In, Out]) []*Request[In, Out] {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	var group []*Request[In, Out]
	for len(q.waiting) > 0 && len(group) < qs.max {
		r := q.waiting[0]
		q.waiting[0], q.waiting = nil, q.waiting[1:]
		if !r.gone && r.Ctx.Err() == nil {
			r.taken = true
			group = append(group, r)
		}
	}
	if len(group) == 0 {
		delete(qs.byKey, key)
		return nil
	}
	return group
}

// applySafely applies a group; a panic answers the group's requests that
// have no answer yet with an error, instead of taking the server down
// from a goroutine that no request's recovery covers.
func (qs *Queues[K, In, Out]) applySafely(group []*Request[In, Out]) {
	defer func() {
		if p := recover(); p != nil {
			var zero Out
			for _, r := range group {
				r.Answer(zero, fmt.Errorf("coalesced requests panicked: %v", p))
			}
		}
	}()
	qs.apply(group)
}

// GroupTimeout bounds a group's transaction.
const GroupTimeout = 30 * time.Second

// Outcome is what became of one request of a group: its value or error.
type Outcome[Out any] struct {
	Value Out
	Err   error
}

// Apply answers every request of a group the way each coalesced write
// does. A request alone runs as alone runs it, in a transaction of its
// own. A group runs together, in one transaction; when that fails before
// its commit (committing is false), nothing of it was committed, and its
// requests run alone, one by one, in arrival order, each with its own
// context: each then meets only its own failure (a deadlock, one
// request's failure). When the commit itself failed, whether it took
// effect is unknown, so none may run again: each is answered the error.
// together runs under a context of its own, bounded by GroupTimeout,
// since the group's requests may each have given up already.
func Apply[In, Out any](group []*Request[In, Out], alone func(*Request[In, Out]) (Out, error),
	together func(context.Context, []*Request[In, Out]) (outs []Outcome[Out], committing bool, err error)) {
	if len(group) == 1 {
		group[0].Answer(alone(group[0]))
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].Ctx), GroupTimeout)
	defer cancel()
	outs, committing, err := together(ctx, group)
	for i, r := range group {
		switch {
		case err == nil:
			r.Answer(outs[i].Value, outs[i].Err)
		case committing:
			var zero Out
			r.Answer(zero, err)
		default:
			r.Answer(alone(r))
		}
	}
}
