// This file holds the events benchmark: subscribers split between two
// replicas (two API handlers, each with its own hub and LISTEN connection,
// on one database) while writers send relative adjustments through HTTP;
// it reports the delay from an event's writing to its receipt, the events
// per second delivered, and dropped or incomplete subscribers.

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/events"
	"stockgraph/internal/seed"
)

// EventOptions say what the events benchmark measures.
type EventOptions struct {
	Subscribers int           // split between the two replicas
	Writers     int           // concurrent writers, also split
	Duration    time.Duration // how long the writers write
	Items       int           // items the writers change, all at one location
	DatabaseURL string        // for the replicas' LISTEN connections
}

// maxSamples bounds the latencies kept, whatever the rate and duration.
const maxSamples = 1_000_000

// EventReport is what the events benchmark measured.
type EventReport struct {
	EventOptions
	Mutations       int64         // adjustments that committed
	WriteErrors     int64         // adjustments that failed
	Delivered       int64         // events received, over all subscribers
	Elapsed         time.Duration // from the first write to the last receipt
	P50, P99, Max   time.Duration // from an event's writing to its receipt
	Dropped         int           // subscribers ended as too slow (or otherwise)
	Incomplete      int           // subscribers that did not receive every event
	FirstProblem    string
	DeliveredPerSec float64
	MutationsPerSec float64
}

// subscriber is one websocket subscription of the benchmark.
type subscriber struct {
	conn    *websocket.Conn
	got     atomic.Int64
	lat     []time.Duration
	ended   string // why it ended early, if it did
	done    chan struct{}
	samples int
}

// RunEvents seeds a store, serves two replicas on loopback, subscribes,
// writes for o.Duration, waits (at most 30s) for every subscriber to
// receive every event, and reports.
func RunEvents(ctx context.Context, db *database.DB, o EventOptions, progress io.Writer) (EventReport, error) {
	rep := EventReport{EventOptions: o}
	if err := o.validate(); err != nil {
		return rep, err
	}
	token, targets, err := prepareEvents(ctx, db, o, progress)
	if err != nil {
		return rep, err
	}
	replicas, stop := startReplicas(db, o.DatabaseURL)
	defer stop()
	client := &Client{URL: replicas[0].URL + "/graphql", Token: token, HTTP: pooledHTTPClient(o.Writers)}
	after, err := horizonCursor(ctx, client)
	if err != nil {
		return rep, err
	}
	fmt.Fprintf(progress, "subscribing %d clients over two replicas…\n", o.Subscribers)
	subs, err := subscribeAll(ctx, replicas, token, after, o)
	if err != nil {
		return rep, err
	}
	defer func() {
		for _, s := range subs {
			s.conn.CloseNow()
		}
	}()
	fmt.Fprintf(progress, "writing with %d clients for %s…\n", o.Writers, o.Duration)
	start := time.Now()
	rep.Mutations, rep.WriteErrors = writeFor(ctx, replicas, client, targets, o)
	rep.MutationsPerSec = float64(rep.Mutations) / o.Duration.Seconds()
	fmt.Fprintf(progress, "waiting for %d events at each subscriber…\n", rep.Mutations)
	waitForAll(subs, rep.Mutations, 30*time.Second)
	rep.Elapsed = time.Since(start)
	rep.collect(subs)
	return rep, nil
}

func (o EventOptions) validate() error {
	switch {
	case o.Subscribers < 2 || o.Subscribers > 2000:
		return fmt.Errorf("bench events: subscribers must be between 2 and 2000, got %d", o.Subscribers)
	case o.Writers < 1 || o.Writers > 200:
		return fmt.Errorf("bench events: writers must be between 1 and 200, got %d", o.Writers)
	case o.Duration < time.Second || o.Duration > 10*time.Minute:
		return fmt.Errorf("bench events: the duration must be between 1s and 10m, got %s", o.Duration)
	case o.Items < 1 || o.Items > 100000:
		return fmt.Errorf("bench events: items must be between 1 and 100000, got %d", o.Items)
	case o.DatabaseURL == "":
		return errors.New("bench events: no database URL for the listeners")
	}
	return nil
}

// prepareEvents seeds the store (once) and returns a token and the items.
func prepareEvents(ctx context.Context, db *database.DB, o EventOptions, progress io.Writer) (string, []Target, error) {
	products, variants := o.Items, 1
	if o.Items%10 == 0 {
		products, variants = o.Items/10, 10
	}
	handle := fmt.Sprintf("bench-events-%d", o.Items)
	fmt.Fprintf(progress, "preparing store %q (%d items at one location)…\n", handle, o.Items)
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: handle, Products: products, Variants: variants, Locations: 1, Progress: progress})
	if err != nil {
		return "", nil, fmt.Errorf("seed the events benchmark store: %w", err)
	}
	token, err := auth.CreateToken(ctx, db.DB, res.Store.ID, "bench events", []auth.Scope{auth.ReadInventory, auth.WriteInventory})
	if err != nil {
		return "", nil, fmt.Errorf("create the benchmark token: %w", err)
	}
	targets, err := loadTargets(ctx, db, res.Store.ID, o.Items)
	return token, targets, err
}

// startReplicas serves two API handlers on loopback, each with its own hub
// listening on its own connection, as two `serve` processes would.
func startReplicas(db *database.DB, url string) ([]*httptest.Server, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var servers []*httptest.Server
	for range 2 {
		hub := events.NewHub(db.DB, events.HubOptions{})
		wg.Add(1)
		go func() { defer wg.Done(); hub.Run(ctx, url) }()
		servers = append(servers, httptest.NewServer(api.NewHandler(api.Config{DB: db, Events: hub})))
	}
	return servers, func() {
		for _, s := range servers {
			s.CloseClientConnections()
			s.Close()
		}
		cancel()
		wg.Wait()
	}
}

// horizonCursor is stockEvents' endCursor with nothing read: the position
// subscribers start from, so that none misses the first writes.
func horizonCursor(ctx context.Context, c *Client) (string, error) {
	body, err := c.Do(ctx, `{ stockEvents(first: 0) { pageInfo { endCursor } } }`)
	if err != nil {
		return "", err
	}
	var out struct {
		Data struct {
			StockEvents struct{ PageInfo struct{ EndCursor string } }
		}
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Data.StockEvents.PageInfo.EndCursor == "" {
		return "", fmt.Errorf("read the event horizon: %v %.200s", err, body)
	}
	return out.Data.StockEvents.PageInfo.EndCursor, nil
}

const benchSubscription = `subscription($after: String) {
	inventoryChanged(after: $after, filter: {types: [STOCK_CHANGED]}) { cursor occurredAt } }`

// subscribeAll opens the subscribers, alternating between the replicas.
func subscribeAll(ctx context.Context, replicas []*httptest.Server, token, after string, o EventOptions) ([]*subscriber, error) {
	subs := make([]*subscriber, o.Subscribers)
	perSub := maxSamples / o.Subscribers
	for i := range subs {
		url := "ws" + strings.TrimPrefix(replicas[i%len(replicas)].URL, "http") + "/graphql"
		conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
		s := &subscriber{conn: conn, done: make(chan struct{}), samples: perSub}
		if err := s.start(ctx, token, after); err != nil {
			return nil, fmt.Errorf("subscriber %d: %w", i, err)
		}
		subs[i] = s
	}
	return subs, nil
}

type wsMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (s *subscriber) start(ctx context.Context, token, after string) error {
	init := map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}
	if err := wsjson.Write(ctx, s.conn, init); err != nil {
		return err
	}
	var ack wsMsg
	if err := wsjson.Read(ctx, s.conn, &ack); err != nil || ack.Type != "connection_ack" {
		return fmt.Errorf("connection_init: got %q, %v", ack.Type, err)
	}
	sub := map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": benchSubscription, "variables": map[string]any{"after": after}}}
	if err := wsjson.Write(ctx, s.conn, sub); err != nil {
		return err
	}
	go s.receive()
	return nil
}

// receive reads events until the connection ends, timing each from its
// occurredAt (the database's clock, on this machine).
func (s *subscriber) receive() {
	defer close(s.done)
	ctx := context.Background()
	for {
		var m wsMsg
		if err := wsjson.Read(ctx, s.conn, &m); err != nil {
			return
		}
		switch m.Type {
		case "ping":
			_ = wsjson.Write(ctx, s.conn, map[string]any{"type": "pong"})
		case "next":
			var p struct {
				Data struct {
					InventoryChanged struct{ OccurredAt time.Time }
				}
			}
			if err := json.Unmarshal(m.Payload, &p); err == nil && len(s.lat) < s.samples {
				s.lat = append(s.lat, time.Since(p.Data.InventoryChanged.OccurredAt))
			}
			s.got.Add(1)
		case "error", "complete":
			s.ended = fmt.Sprintf("%s %.200s", m.Type, m.Payload)
			return
		}
	}
}

// writeFor runs the writers until o.Duration has passed, alternating the
// replicas; each sends +1 then −1 to a random item.
func writeFor(ctx context.Context, replicas []*httptest.Server, base *Client, targets []Target, o EventOptions) (int64, int64) {
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(o.Duration)
	for w := range o.Writers {
		c := *base
		c.URL = replicas[w%len(replicas)].URL + "/graphql"
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := targets[rng.IntN(len(targets))]
				for _, q := range []int{1, -1} {
					if err := adjustRelative(ctx, &c, t, q); err != nil {
						failed.Add(1)
						continue
					}
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return ok.Load(), failed.Load()
}

// waitForAll waits until every subscriber has n events or has ended, for
// at most limit.
func waitForAll(subs []*subscriber, n int64, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for _, s := range subs {
		for s.got.Load() < n && time.Now().Before(deadline) && !s.finished() {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (s *subscriber) finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// collect closes the subscribers and sums up what they received.
func (r *EventReport) collect(subs []*subscriber) {
	var all []time.Duration
	for _, s := range subs {
		s.conn.Close(websocket.StatusNormalClosure, "done")
		<-s.done
		got := s.got.Load()
		r.Delivered += got
		switch {
		case s.ended != "":
			r.Dropped++
			r.problem(s.ended)
		case got != r.Mutations:
			r.Incomplete++
			r.problem(fmt.Sprintf("a subscriber received %d events of %d", got, r.Mutations))
		}
		all = append(all, s.lat...)
	}
	slices.Sort(all)
	if n := len(all); n > 0 {
		r.P50, r.P99, r.Max = all[n/2], all[min(n-1, n*99/100)], all[n-1]
	}
	r.DeliveredPerSec = float64(r.Delivered) / r.Elapsed.Seconds()
}

func (r *EventReport) problem(p string) {
	if r.FirstProblem == "" {
		r.FirstProblem = p
	}
}

// String prints the figures.
func (r EventReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stock events: %d subscribers on two replicas, %d writers for %s over %d items\n\n",
		r.Subscribers, r.Writers, r.Duration, r.Items)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mutations\tmutations/s\twrite errors\tdelivered\tdelivered/s\tp50\tp99\tmax\tdropped\tincomplete\t")
	fmt.Fprintf(tw, "%d\t%.1f\t%d\t%d\t%.0f\t%s\t%s\t%s\t%d\t%d\t\n", r.Mutations, r.MutationsPerSec, r.WriteErrors,
		r.Delivered, r.DeliveredPerSec, ms(r.P50), ms(r.P99), ms(r.Max), r.Dropped, r.Incomplete)
	tw.Flush()
	fmt.Fprintln(&b, "\nlatency: from the event's occurredAt (written in the mutation's transaction) to its receipt by a subscriber")
	if r.FirstProblem != "" {
		fmt.Fprintf(&b, "first problem: %s\n", r.FirstProblem)
	}
	return b.String()
}

// Err says whether every subscriber received every event.
func (r EventReport) Err() error {
	if r.Dropped > 0 || r.Incomplete > 0 || r.WriteErrors > 0 {
		return fmt.Errorf("%d subscribers dropped, %d incomplete, %d write errors: %s", r.Dropped, r.Incomplete, r.WriteErrors, r.FirstProblem)
	}
	return nil
}
