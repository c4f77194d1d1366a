package coalesce

import "context"

// NewRequestForTest is a request outside any queue.
func NewRequestForTest[In, Out any](ctx context.Context, in In) *Request[In, Out] {
	return &Request[In, Out]{Ctx: ctx, In: in, done: make(chan result[Out], 1)}
}

// AnswerForTest is the request's answer; it must have one.
func AnswerForTest[In, Out any](r *Request[In, Out]) (Out, error) {
	res := <-r.done
	return res.value, res.err
}
