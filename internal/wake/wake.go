// Package wake has the one way our background workers wait for news: a
// Bell that wakes every goroutine waiting on it at once. A worker takes
// the channel before it looks for work and waits on it after, so a ring
// during the look is not missed.
package wake

import "sync"

// A Bell wakes every goroutine waiting on it at once.
type Bell struct {
	mu sync.Mutex
	ch chan struct{}
}

// New returns a bell nobody has rung.
func New() *Bell { return &Bell{ch: make(chan struct{})} }

// Wait returns a channel that closes at the next ring.
func (b *Bell) Wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// Ring wakes everyone waiting.
func (b *Bell) Ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}
