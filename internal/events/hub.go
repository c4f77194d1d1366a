package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"stockgraph/models"
)

// ErrTooSlow ends a subscription whose buffer stayed full for a fan-out's
// grace period: the subscriber fell behind, and holding events for it
// would grow memory without bound or hold back everyone else. The
// subscriber resumes from the last event it received.
var ErrTooSlow = errors.New("the subscriber fell too far behind and was dropped")

// HubOptions tune a Hub; zero fields take the defaults.
type HubOptions struct {
	// Buffer is how many events a subscriber may have waiting (1024).
	Buffer int
	// Grace is how long a full buffer may go without taking an event
	// before its subscriber is dropped (250ms), so that a burst larger
	// than a buffer drops nobody who keeps reading. One fan-out waits at
	// most maxGraces times Grace in all, so a stuck (or barely moving)
	// subscriber delays its store's feed once, by a bounded time.
	Grace time.Duration
	// Poll is the slow timer on which every feed reads even when no
	// notification rang (1s): the safety net under LISTEN/NOTIFY.
	Poll time.Duration
	// Batch is how many events one read takes (500).
	Batch  int
	Logger *slog.Logger
	// Doorbell, when set, is also rung on every notification and every
	// (re)connection of the listener, so that other readers of the events
	// table in the process (the webhook worker) share its one connection.
	Doorbell func()
	// Lag, when set, hears on each shared read that found events how old
	// the oldest of them was: how far the feeds run behind the writes (the
	// server's metrics). Subscribers' own catch-up reads are not in it.
	Lag func(time.Duration)
}

// Hub delivers stores' events live: one feed per store with subscribers
// reads the table once per wake-up and fans each event out to every
// subscriber, so a burst costs the same statements for one subscriber as
// for a hundred. Wake-ups come from the listener (NOTIFY, one connection
// per process), from the slow poll, and from a feed's own quick re-polls
// while it knows of events that are not final yet.
type Hub struct {
	db      *gorm.DB
	opts    HubOptions
	mu      sync.Mutex
	feeds   map[int64]*feed
	dropped atomic.Int64
	// ctx is the hub's lifetime, until Close (which Run calls when its
	// context ends); feeds and subscriptions end with it.
	ctx    context.Context
	cancel context.CancelFunc
}

// NewHub returns a hub over db. Subscriptions work at once, each feed
// reading on its slow poll; Run adds the doorbell.
func NewHub(db *gorm.DB, opts HubOptions) *Hub {
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.Grace <= 0 {
		opts.Grace = 250 * time.Millisecond
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{db: db, opts: opts, feeds: map[int64]*feed{}, ctx: ctx, cancel: cancel}
}

// Dropped is how many subscribers were dropped as too slow.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }

// Live is how many of the store's subscribers have caught up and receive
// from its shared feed.
func (h *Hub) Live(storeID int64) int {
	h.mu.Lock()
	f := h.feeds[storeID]
	h.mu.Unlock()
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Close ends every feed and subscription.
func (h *Hub) Close() { h.cancel() }

// Run listens for notifications on a connection of its own (see listen)
// until ctx ends, then closes the hub. Without Run, feeds still read on
// their slow poll.
func (h *Hub) Run(ctx context.Context, dsn string) {
	defer h.Close()
	if dsn == "" {
		<-ctx.Done() // pgx would read an empty URL as libpq's defaults
		return
	}
	h.listen(ctx, dsn)
}

// wake rings the feed of one store, if it has one.
func (h *Hub) wake(storeID int64) {
	if h.opts.Doorbell != nil {
		h.opts.Doorbell()
	}
	h.mu.Lock()
	f := h.feeds[storeID]
	h.mu.Unlock()
	if f != nil {
		f.ring()
	}
}

// wakeAll rings every feed: after the listener (re)connects, since a
// notification may have been lost meanwhile.
func (h *Hub) wakeAll() {
	if h.opts.Doorbell != nil {
		h.opts.Doorbell()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.feeds {
		f.ring()
	}
}

// DefaultCheckEvery is how often a subscription checks its caller again
// (a revoked token's subscription ends at the next check) when its
// options say nothing.
const DefaultCheckEvery = 5 * time.Second

// SubscribeOptions are a subscription's own settings.
type SubscribeOptions struct {
	// Check, when set, runs every CheckEvery (DefaultCheckEvery); an error ends the
	// subscription with it (a revoked token).
	Check      func(context.Context) error
	CheckEvery time.Duration
}

// Subscription is a live stream of one store's events matching a filter.
type Subscription struct {
	// C yields the events in order, then closes; Err then says why. The
	// events are shared with the store's other subscribers: read only.
	C <-chan *models.StockEvent
	// Start is the position the subscription started from: its after, or
	// the horizon when it had none.
	Start  Position
	ch     chan *models.StockEvent
	filter Filter
	// at is the position of the last event this subscriber has received
	// or passed over; the feed delivers only events above it. Guarded by
	// the feed's mu once the subscriber has joined.
	at   Position
	once sync.Once
	err  error
	done chan struct{}
	live chan struct{}
}

// Live is closed once the subscription has caught up and receives events
// from its store's shared feed.
func (s *Subscription) Live() <-chan struct{} { return s.live }

// Err is why C closed: ErrTooSlow, the Check's error, a read error, or
// nil when the context ended or the hub closed.
func (s *Subscription) Err() error {
	<-s.done
	return s.err
}

// end closes the subscription with err, once.
func (s *Subscription) end(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.ch)
		close(s.done)
	})
}

// Subscribe starts a subscription to the store's events matching f: from
// after when given (the events since then first), else from the current
// horizon (only new events). It ends when ctx does.
func (h *Hub) Subscribe(ctx context.Context, storeID int64, f Filter, after *Position, opts SubscribeOptions) (*Subscription, error) {
	var from Position
	if after != nil {
		from = *after
	} else {
		horizon, err := Horizon(ctx, h.db)
		if err != nil {
			return nil, err
		}
		from = horizon
	}
	ch := make(chan *models.StockEvent, h.opts.Buffer)
	s := &Subscription{C: ch, Start: from, ch: ch, filter: f, at: from, done: make(chan struct{}), live: make(chan struct{})}
	go h.serve(ctx, storeID, s, opts)
	return s, nil
}

// serve runs one subscription: catch up, join the store's feed, then wait
// for the end while checking the caller now and then.
func (h *Hub) serve(ctx context.Context, storeID int64, s *Subscription, opts SubscribeOptions) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()
	f := h.feedFor(storeID)
	if err := f.join(ctx, s); err != nil {
		if errors.Is(err, ErrTooSlow) {
			h.dropped.Add(1)
		}
		h.leave(f, s, errOrNil(ctx, err))
		return
	}
	close(s.live)
	h.leave(f, s, s.wait(ctx, opts))
}

// wait blocks until the subscription ends: its context ends (nil), the
// feed drops it (its error stands), or the check fails (the check's error).
func (s *Subscription) wait(ctx context.Context, opts SubscribeOptions) error {
	every := opts.CheckEvery
	if every <= 0 {
		every = DefaultCheckEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.done:
			return nil
		case <-tick.C:
			if opts.Check == nil {
				continue
			}
			if err := opts.Check(ctx); err != nil {
				return errOrNil(ctx, err)
			}
		}
	}
}

// errOrNil is err, or nil when it only says that ctx ended.
func errOrNil(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// feedFor returns the store's feed, starting it when the store has none,
// and counts the caller as joining so that the feed is not retired under
// it.
func (h *Hub) feedFor(storeID int64) *feed {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.feeds[storeID]
	if f == nil {
		f = newFeed(h, storeID)
		h.feeds[storeID] = f
		go f.run()
	}
	f.members++
	return f
}

// leave removes a subscriber from its feed and ends it with err (unless
// it has ended already), and retires the feed when it was the last. The
// subscriber leaves the feed before its channel closes, so the feed never
// sends on a closed channel.
func (h *Hub) leave(f *feed, s *Subscription, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f.mu.Lock()
	delete(f.subs, s)
	f.mu.Unlock()
	s.end(err)
	f.members--
	if f.members == 0 {
		delete(h.feeds, f.storeID)
		f.cancel()
	}
}

// feed is the one shared reader of a store's events in a process.
type feed struct {
	hub     *Hub
	storeID int64
	bell    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	// members counts subscribers joining or joined; guarded by hub.mu.
	members int
	// readMu is held while the feed reads and fans out, and by a joining
	// subscriber for its last read, so that the feed stands still while a
	// subscriber steps on.
	readMu sync.Mutex
	// mu guards pos, subs and each joined subscriber's at.
	mu   sync.Mutex
	pos  Position
	subs map[*Subscription]struct{}
}

func newFeed(h *Hub, storeID int64) *feed {
	ctx, cancel := context.WithCancel(h.ctx)
	return &feed{hub: h, storeID: storeID, bell: make(chan struct{}, 1), ctx: ctx, cancel: cancel, subs: map[*Subscription]struct{}{}}
}

// ring asks the feed to read; rings while it reads coalesce into one more
// read.
func (f *feed) ring() {
	select {
	case f.bell <- struct{}{}:
	default:
	}
}

// Quick re-polls while events above the horizon wait for an older
// transaction to end: they start at minRepoll and double up to maxRepoll;
// the slow poll covers anything longer.
const (
	minRepoll = 2 * time.Millisecond
	maxRepoll = 250 * time.Millisecond
)

// run reads whenever the feed is rung, on the slow poll, and again soon
// while it knows of events that are not final yet, until the feed is
// retired.
func (f *feed) run() {
	repoll := time.NewTimer(time.Hour)
	repoll.Stop()
	poll := time.NewTicker(f.hub.opts.Poll)
	defer poll.Stop()
	backoff := time.Duration(0)
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-f.bell:
		case <-poll.C:
		case <-repoll.C:
		}
		read, pending, err := f.advance(f.ctx)
		if err != nil && f.ctx.Err() == nil {
			f.hub.opts.Logger.Error("read stock events", "store", f.storeID, "err", err)
			pending = true // try again soon
		}
		if !pending {
			backoff = 0
			repoll.Stop()
			continue
		}
		if read > 0 {
			backoff = 0 // the horizon moves: the rest is likely near
		}
		backoff = min(max(2*backoff, minRepoll), maxRepoll)
		repoll.Reset(backoff)
	}
}

// advance reads every final event past the feed's position, fans each out,
// and moves the position to the horizon. It reports how many events it
// read and whether committed events wait above the horizon, for which the
// feed re-polls soon.
func (f *feed) advance(ctx context.Context) (int, bool, error) {
	f.readMu.Lock()
	defer f.readMu.Unlock()
	f.mu.Lock()
	pos := f.pos
	f.mu.Unlock()
	batch, read := f.hub.opts.Batch, 0
	for {
		evs, horizon, err := Read(ctx, f.hub.db, f.storeID, Filter{}, pos, batch)
		if err != nil {
			return read, false, err
		}
		read += len(evs)
		if len(evs) > 0 {
			pos = Of(evs[len(evs)-1])
			if f.hub.opts.Lag != nil {
				f.hub.opts.Lag(time.Since(evs[0].CreatedAt))
			}
		}
		if len(evs) < batch && pos.Less(horizon) {
			pos = horizon
		}
		f.fanOut(pointers(evs), pos)
		if len(evs) < batch {
			pending, err := Pending(ctx, f.hub.db, f.storeID, pos)
			return read, pending, err
		}
	}
}

// fanOut hands events to every joined subscriber that has not yet got
// them, and moves the feed to pos. Subscribers whose buffers are full are
// waited for, together: each is dropped when it takes no event for Grace,
// and all waiting ends after maxGraces × Grace. So a stuck subscriber
// holds back its store's feed once, by a bounded time, and memory stays
// bounded.
func (f *feed) fanOut(evs []*models.StockEvent, pos Position) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rest := map[*Subscription][]*models.StockEvent{}
	for s := range f.subs {
		if r := s.push(evs); len(r) > 0 {
			rest[s] = r
		}
	}
	if len(rest) > 0 {
		f.waitForRoom(rest)
	}
	f.pos = pos
}

// maxGraces bounds one fan-out's waiting, in grace periods.
const maxGraces = 10

// waitForRoom delivers the rest of each full subscriber's events, all of
// them concurrently, and drops the ones that could not take everything
// (see fanOut). Called with f.mu held.
func (f *feed) waitForRoom(rest map[*Subscription][]*models.StockEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), maxGraces*f.hub.opts.Grace)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slow []*Subscription
	for s, evs := range rest {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !s.pushWaiting(ctx, evs, f.hub.opts.Grace) {
				mu.Lock()
				slow = append(slow, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, s := range slow {
		delete(f.subs, s)
		f.hub.dropped.Add(1)
		s.end(ErrTooSlow)
	}
}

// push offers the subscriber the events above its position that match
// its filter, without waiting, and returns those that did not fit.
func (s *Subscription) push(evs []*models.StockEvent) []*models.StockEvent {
	for i, e := range evs {
		if !s.at.Less(Of(*e)) {
			continue // the subscriber's catch-up already passed it
		}
		if s.filter.Match(*e) {
			select {
			case s.ch <- e:
			default:
				return evs[i:]
			}
		}
		s.at = Of(*e)
	}
	return nil
}

// pushWaiting is push that waits for room, up to grace for each event
// and until ctx ends in all; it reports whether every event went in.
func (s *Subscription) pushWaiting(ctx context.Context, evs []*models.StockEvent, grace time.Duration) bool {
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for _, e := range evs {
		if !s.at.Less(Of(*e)) {
			continue
		}
		if s.filter.Match(*e) {
			timer.Reset(grace)
			select {
			case s.ch <- e:
			case <-timer.C:
				return false
			case <-ctx.Done():
				return false
			}
		}
		s.at = Of(*e)
	}
	return true
}

func pointers(evs []models.StockEvent) []*models.StockEvent {
	out := make([]*models.StockEvent, len(evs))
	for i := range evs {
		out[i] = &evs[i]
	}
	return out
}

// join catches the subscriber up from its position and then makes it one
// of the feed's subscribers, with no gap and no duplicate:
//
//  1. The subscriber reads its own events (filtered) from its position, in
//     batches, delivering each; Read returns every event in (at, horizon)
//     in order, and no event can appear below a horizon later, so moving
//     at to the last event, or to the horizon when none was left, skips
//     nothing.
//  2. It takes readMu: the feed neither reads nor fans out meanwhile, so
//     its position pos stays put. It reads on until at >= pos (the horizon
//     only grows, so one read is enough unless events keep coming).
//  3. Still under readMu it joins. Every later event the feed fans out lies
//     above pos; the feed skips those at or below at (the subscriber has
//     them) and delivers the others, in order, moving at along. So the
//     events in (pos, at] come once, from step 1 or 2, and every event
//     above at comes once, from the feed.
//
// A feed without subscribers takes the joiner's position, so that a new
// feed does not start from the beginning of the store's history.
func (f *feed) join(ctx context.Context, s *Subscription) error {
	if err := f.catchUp(ctx, s, nil, true); err != nil {
		return err
	}
	if caughtUpHook != nil {
		caughtUpHook() // tests move the feed on here, before step 2
	}
	f.readMu.Lock()
	defer f.readMu.Unlock()
	f.mu.Lock()
	target, alone := f.pos, len(f.subs) == 0
	f.mu.Unlock()
	if !alone {
		if err := f.catchUp(ctx, s, &target, false); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if alone {
		f.pos = s.at
	}
	f.subs[s] = struct{}{}
	f.ring() // what rang before the feed had this subscriber
	return nil
}

// catchUp delivers the subscriber's events from its position until a read
// comes back short and, when target is set, the position is at or past
// it. Before the subscriber holds readMu (wait) delivery waits for it: it
// holds back only itself; under readMu a full buffer is ErrTooSlow, as it
// would be in the feed. A catch-up that needs more than maxCatchUpReads short
// reads to reach target (events keep arriving) gives up with an error
// rather than hold the feed for long.
func (f *feed) catchUp(ctx context.Context, s *Subscription, target *Position, wait bool) error {
	batch := f.hub.opts.Batch
	short := 0
	for {
		evs, horizon, err := Read(ctx, f.hub.db, f.storeID, s.filter, s.at, batch)
		if err != nil {
			return err
		}
		for _, e := range pointers(evs) {
			if err := s.deliver(ctx, e, wait); err != nil {
				return err
			}
		}
		if len(evs) == batch {
			continue
		}
		if s.at.Less(horizon) {
			s.at = horizon
		}
		if target == nil || !s.at.Less(*target) {
			return nil
		}
		if short++; short > maxCatchUpReads {
			return fmt.Errorf("catch up with store %d's events: still behind %v at %v", f.storeID, *target, s.at)
		}
	}
}

// caughtUpHook, set only by tests, runs between a joiner's own catch-up
// and its taking readMu: the window in which the feed may move past it.
var caughtUpHook func()

// maxCatchUpReads bounds the short reads of a catch-up under readMu. The
// horizon only grows, so one is enough in practice.
const maxCatchUpReads = 100

// deliver sends an event during catch-up, waiting for room or not.
func (s *Subscription) deliver(ctx context.Context, e *models.StockEvent, wait bool) error {
	if !wait {
		select {
		case s.ch <- e:
			s.at = Of(*e)
			return nil
		default:
			return ErrTooSlow
		}
	}
	select {
	case s.ch <- e:
		s.at = Of(*e)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
