package webhooks

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"stockgraph/internal/events"
	"stockgraph/internal/throttle"
	"stockgraph/internal/wake"
	"stockgraph/models"
)

// Config sets the workers' schedule and limits. Tests shrink the times to
// milliseconds.
type Config struct {
	Guard Guard
	// Schedule is the wait after each failed attempt: a delivery is tried
	// len(Schedule)+1 times, then FAILED.
	Schedule []time.Duration
	// Timeout bounds one attempt, connection included.
	Timeout time.Duration
	// DisableAfter disables a webhook whose attempts have all failed for
	// this long; DisableAfterFailures (when above 0) one whose last so
	// many deliveries finally failed.
	DisableAfter         time.Duration
	DisableAfterFailures int
	// Poll is how often workers look for work when no doorbell rang.
	Poll time.Duration
	// Batch is how many events one fan-out step reads; Senders how many
	// deliveries are posted at once by one worker.
	Batch   int
	Senders int
	// MaxResponse is how much of a receiver's answer is kept.
	MaxResponse int
	// Names gives the body its global IDs and cursor; numbers only when nil.
	Names  Names
	Logger *slog.Logger
	// OnAttempt, when set, hears each attempt's result: the delivery's
	// status after it (PENDING: failed, to be tried again). The server
	// counts them in its metrics.
	OnAttempt func(DeliveryStatus)
	// Throttle paces each store's deliveries: every attempt takes a point
	// of the store's bucket (DefaultThrottle when zero), so that a store
	// flooding its webhooks gets its burst and then its rate, and the
	// other stores' deliveries go out meanwhile.
	Throttle throttle.Config
	// OnThrottled, when set, hears each delivery that was claimed when
	// its store's bucket could not pay, and put back.
	OnThrottled func()
}

// DefaultThrottle lets a store's webhooks have 100 attempts at once and
// 20 a second after that, in each replica.
var DefaultThrottle = throttle.Config{Size: 100, Rate: 20}

// DefaultSchedule retries for about a day: after 5 s, 5 min, 30 min,
// 2 h, 5 h, 10 h and 10 h (jittered), then the delivery has failed.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DefaultConfig is the production configuration.
func DefaultConfig() Config {
	return Config{
		Schedule: DefaultSchedule, Timeout: 10 * time.Second, DisableAfter: 5 * 24 * time.Hour,
		Poll: 250 * time.Millisecond, Batch: 200, Senders: 16, MaxResponse: 2048, Throttle: DefaultThrottle,
	}
}

// withDefaults fills the zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Schedule == nil {
		c.Schedule = d.Schedule
	}
	for _, f := range []struct{ v, def *time.Duration }{{&c.Timeout, &d.Timeout}, {&c.DisableAfter, &d.DisableAfter}, {&c.Poll, &d.Poll}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *int }{{&c.Batch, &d.Batch}, {&c.Senders, &d.Senders}, {&c.MaxResponse, &d.MaxResponse}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Throttle == (throttle.Config{}) {
		c.Throttle = d.Throttle
	}
	return c
}

// delay is the wait after the n-th failed attempt of a round (from 1):
// the schedule's step, less a random part of up to half of it. Half
// jitter rather than full: it spreads the retries of many deliveries
// apart while keeping the whole schedule about a day long.
func (c Config) delay(n int) time.Duration {
	if len(c.Schedule) == 0 || n < 1 {
		return 0
	}
	d := c.Schedule[min(n, len(c.Schedule))-1]
	return d - rand.N(d/2+1)
}

// Names turns IDs into the API's global IDs and an event into its cursor;
// the API layer provides them, since global IDs are its business.
type Names interface {
	GlobalID(kind string, id int64) string
	Cursor(e models.StockEvent) string
}

// Worker fans events out into deliveries and sends them. Any number of
// workers, in one process or several, may run on one database.
type Worker struct {
	db       *gorm.DB
	cfg      Config
	client   *http.Client
	fanBell  *wake.Bell
	sendBell *wake.Bell
	retrying atomic.Bool
	// stores are the stores' buckets of attempts (Config.Throttle);
	// claiming counts the claims in flight (Worker.claim).
	stores   *throttle.Buckets
	claiming atomic.Int64
}

// NewWorker returns a worker; Run starts it.
func NewWorker(db *gorm.DB, cfg Config) *Worker {
	cfg = cfg.withDefaults()
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: cfg.Guard.Control}
	transport := &http.Transport{
		// No proxy from the environment: the guard checks the address the
		// connection really goes to.
		Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
		MaxIdleConnsPerHost: cfg.Senders, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: cfg.Timeout,
	}
	client := &http.Client{
		Transport: transport, Timeout: cfg.Timeout,
		// A redirect is an answer that is not 2xx: following it could lead
		// anywhere the guard did not see at create time.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Worker{db: db, cfg: cfg, client: client, fanBell: wake.New(), sendBell: wake.New(), stores: throttle.New(cfg.Throttle)}
}

// Wake tells the worker new events may have committed; the events
// doorbell (NOTIFY events.Channel) calls it. Without it, the worker still
// finds them within Config.Poll.
func (w *Worker) Wake() { w.fanBell.Ring() }

// Run fans out and sends until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1 + w.cfg.Senders)
	go func() {
		defer wg.Done()
		w.loop(ctx, w.fanBell, w.fanOutAll)
	}()
	for range w.cfg.Senders {
		go func() {
			defer wg.Done()
			w.loop(ctx, w.sendBell, w.sendDue)
		}()
	}
	wg.Wait()
}

// loop runs step until ctx ends, at once again when it did work, else
// when the bell rings or the poll interval passes.
func (w *Worker) loop(ctx context.Context, b *wake.Bell, step func(context.Context) (bool, error)) {
	timer := time.NewTimer(w.cfg.Poll)
	defer timer.Stop()
	for ctx.Err() == nil {
		rung := b.Wait() // before the step, so that a ring during it counts
		busy, err := step(ctx)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.ErrorContext(ctx, "webhooks", "err", err)
		}
		if busy && err == nil {
			continue
		}
		timer.Reset(w.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-rung:
		case <-timer.C:
		}
	}
}

// Listen rings the worker's doorbell on every NOTIFY of events.Channel,
// over a connection of its own, reconnecting after a failure, until ctx
// ends: for a worker that runs without an events hub (serve shares the
// hub's connection through Wake instead). Notifications only shorten the wait: the events table stays the
// truth, so one lost while reconnecting delays an event by a poll at most.
func (w *Worker) Listen(ctx context.Context, dsn string) {
	for ctx.Err() == nil {
		if err := w.listenOnce(ctx, dsn); err != nil && ctx.Err() == nil {
			w.cfg.Logger.WarnContext(ctx, "webhooks: listening for events", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (w *Worker) listenOnce(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{events.Channel}.Sanitize()); err != nil {
		return err
	}
	w.Wake() // what committed before LISTEN rang no bell here
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		w.Wake()
	}
}
