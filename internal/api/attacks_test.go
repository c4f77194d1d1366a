package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/seed"
	"stockgraph/internal/throttle"
)

// attackWindow is how long each attack runs next to the normal client.
const attackWindow = 1500 * time.Millisecond

// attack is one way a client once starved the API (issue 9's list), with
// the outcomes it may get now: an extensions.code, "HTTP <status>" or a
// websocket close code.
type attack struct {
	name    string
	clients int
	try     func(a *attackers) string
	allowed []string
	// needs is an outcome at least one try must get (the refusal shows).
	needs string
	// setup, when set, prepares the attack and returns its undoing.
	setup func(a *attackers) (undo func())
}

// attackers is the API under attack: the attacker's store, the lock
// fixture's store with its item, and a normal client's store, in one
// server.
type attackers struct {
	e           *env
	storeID     int64
	normal, sku string
	lock        *lockFixture
}

// TestAttacksLeaveNormalClientsServed runs each attack for a moment with
// several clients while another store's dashboard reads in a loop: each
// attack gets its documented refusal, and every read of the normal client
// is answered. The normal client's latency, alone and next to each
// attack, is printed (figures, not assertions: this machine is shared).
func TestAttacksLeaveNormalClientsServed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs each attack for 1.5 s")
	}
	a := newAttackers(t)
	base := a.normalReads(t, attackWindow)
	t.Logf("%-44s %9s %-40s %s", "attack", "tries", "outcomes", "normal client: reads, p50, p99, max")
	t.Logf("%-44s %9s %-40s %s", "(none)", "", "", base)
	for _, at := range a.attacks() {
		undo := func() {}
		if at.setup != nil {
			undo = at.setup(a)
		}
		outcomes := map[string]int{}
		var mu sync.Mutex
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range at.clients {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					o := at.try(a)
					mu.Lock()
					outcomes[o]++
					mu.Unlock()
				}
			})
		}
		normal := a.normalReads(t, attackWindow)
		close(stop)
		wg.Wait()
		undo()
		t.Logf("%-44s %9d %-40s %s", at.name, total(outcomes), describeOutcomes(outcomes), normal)
		for o, n := range outcomes {
			if !slices.Contains(at.allowed, o) {
				t.Errorf("%s: %d tries got %q, want only %q", at.name, n, o, at.allowed)
			}
		}
		if at.needs != "" && outcomes[at.needs] == 0 {
			t.Errorf("%s: no try got %q (outcomes %v)", at.name, at.needs, outcomes)
		}
	}
}

func newAttackers(t *testing.T) *attackers {
	t.Helper()
	lock := newLockFixture(t, database.Options{LockTimeout: 300 * time.Millisecond, StatementTimeout: 10 * time.Second}, 0)
	// One server for all: a short connection_init deadline, and buckets
	// of 100,000 points that a paced dashboard (about 400 points a read)
	// never empties, and two of the heaviest attack below (75,100 points
	// each, asked for at once) do, however slowly the machine runs them.
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: lock.e.db, InitTimeout: 500 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		Throttle: throttle.Config{Size: 100_000, Rate: 50_000}}))
	t.Cleanup(srv.Close)
	lock.e.srv = srv
	e := lock.e
	a := &attackers{e: e, lock: lock}
	for handle, opts := range map[string]seed.Options{
		"attacker":  {Products: 100, Variants: 1, Locations: 2},
		"dashboard": {Products: 20, Variants: 5, Locations: 3},
	} {
		opts.StoreHandle = handle
		res, err := seed.Run(context.Background(), e.db.DB, opts)
		if err != nil {
			t.Fatal(err)
		}
		if handle == "attacker" {
			a.storeID = res.Store.ID
		} else {
			a.normal = e.token(res.Store.ID, auth.ReadInventory)
		}
	}
	var data struct {
		Store struct {
			Products struct{ Nodes []struct{ SKU string } }
		}
	}
	e.mustData(a.lock.token, `{ store { products(first: 1) { nodes { sku } } } }`, nil, &data)
	a.sku = data.Store.Products.Nodes[0].SKU
	return a
}

// dashboardRead is the normal client's query: a page of products with
// their variants' stock.
const dashboardRead = `{ store { products(first: 10) { nodes { name variants(first: 5) { nodes { sku
	inventory { aggregated { availableToSell onHand } } } } } } } }`

// latencies summarises the normal client's reads.
type latencies []time.Duration

func (l latencies) String() string {
	if len(l) == 0 {
		return "no reads"
	}
	s := slices.Clone(l)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		return s[min(len(s)-1, int(q*float64(len(s))))].Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("%d, %v, %v, %v", len(s), at(0.5), at(0.99), s[len(s)-1].Round(100*time.Microsecond))
}

// readEvery paces the normal client, as a dashboard refreshing its
// widgets would: 50 reads a second at most.
const readEvery = 20 * time.Millisecond

// normalReads reads the dashboard for d and fails the test on any read
// that is not answered.
func (a *attackers) normalReads(t *testing.T, d time.Duration) latencies {
	var out latencies
	for end := time.Now().Add(d); time.Now().Before(end); {
		start := time.Now()
		status, code, err := a.post("Bearer "+a.normal, dashboardRead)
		out = append(out, time.Since(start))
		if err != nil || status != http.StatusOK || code != "" {
			t.Errorf("normal client's read = HTTP %d, code %q, %v; want an answer", status, code, err)
		}
		time.Sleep(time.Until(start.Add(readEvery)))
	}
	return out
}

// post sends a query and returns the status and the first error's code;
// it never fails the test, being called from the attackers' goroutines.
func (a *attackers) post(authorization, query string) (status int, code string, err error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"sku": a.sku}})
	req, _ := http.NewRequest(http.MethodPost, a.e.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return resp.StatusCode, "", fmt.Errorf("response is not JSON: %w", err)
	}
	return resp.StatusCode, r.code(), nil
}

// query is a try that posts a query with a token of the attacker's
// store made for this attack, so that each attack has its own bucket.
func (a *attackers) query(q string) func(*attackers) string {
	token := a.e.token(a.storeID, auth.AllScopes...)
	return func(a *attackers) string {
		status, code, err := a.post("Bearer "+token, q)
		return outcome(status, code, err)
	}
}

func outcome(status int, code string, err error) string {
	switch {
	case err != nil:
		return "error: " + err.Error()
	case code != "":
		return code
	}
	return "HTTP " + strconv.Itoa(status)
}

func (a *attackers) attacks() []attack {
	aliases := make([]string, 1000)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("r%d: inventoryConsistencyReport { mismatches { variantId } }", i)
	}
	heavy := make([]string, 100)
	for i := range heavy {
		heavy[i] = fmt.Sprintf("p%d: products(first: 250) { nodes { name sku } }", i)
	}
	variants := make([]string, 10_000)
	for i := range variants {
		variants[i] = fmt.Sprintf(`{sku: "V-%d", name: "v"}`, i)
	}
	return []attack{
		{name: "fragment doubling, k = 30", clients: 4, try: a.query(fragmentDoubling(30)), allowed: []string{"FIELD_LIMIT_EXCEEDED"}},
		{name: "1,000 aliased consistency reports", clients: 4, try: a.query("{ " + strings.Join(aliases, " ") + " }"), allowed: []string{"ALIAS_LIMIT_EXCEEDED"}},
		{name: "7 nested byLocation", clients: 4, try: a.query(nestedByLocation(7)), allowed: []string{"DEPTH_LIMIT_EXCEEDED", "COMPLEXITY_LIMIT_EXCEEDED"}},
		{name: "a search of 100,000 characters", clients: 4, try: a.query(`{ store { products(filter: {search: "` + strings.Repeat("x", 100_000) + `"}) { nodes { id } } } }`), allowed: []string{"BAD_USER_INPUT"}},
		{name: "createProduct with 10,000 variants", clients: 2, try: a.query(`mutation { createProduct(input: {name: "many", variants: [` + strings.Join(variants, ",") + `]}) { product { id } } }`), allowed: []string{"BAD_USER_INPUT", "THROTTLED"}, needs: "BAD_USER_INPUT"},
		{name: "100 aliased product pages until throttled", clients: 4, try: a.query("{ store { " + strings.Join(heavy, " ") + " } }"), allowed: []string{"HTTP 200", "THROTTLED"}, needs: "THROTTLED"},
		{name: "adjustments of a row held locked", clients: 8, try: a.lockedAdjustment, allowed: []string{"LOCK_TIMEOUT"}, setup: a.holdLock},
		{name: "a 100 MB body announced", clients: 4, try: a.slowBody("Bearer "+a.lock.token, 100<<20), allowed: []string{"HTTP 413"}},
		{name: "slow bodies without a token", clients: 16, try: a.slowBody("", 100_000), allowed: []string{"HTTP 401", "HTTP 429"}, needs: "HTTP 429"},
		{name: "websockets that never send connection_init", clients: 32, try: a.silentWebsocket, allowed: []string{"close 4408"}},
	}
}

// lockedAdjustment adjusts the lock fixture's item, whose row holdLock
// holds.
func (a *attackers) lockedAdjustment(*attackers) string {
	status, code, err := a.post("Bearer "+a.lock.token, fmt.Sprintf(`mutation { adjustInventoryRelative(input: {reason: "received",
		items: [{variantId: %q, locationId: %q, quantity: 5}]}) { items { onHand } } }`, a.lock.variant, a.lock.location))
	return outcome(status, code, err)
}

// holdLock locks the lock fixture's item in another transaction.
func (a *attackers) holdLock(*attackers) func() {
	return a.lock.holdLock()
}

// slowBody announces a body of n bytes and sends a few, then waits for
// the answer, which must come without the rest.
func (a *attackers) slowBody(authorization string, n int) func(*attackers) string {
	return func(a *attackers) string {
		conn, err := net.Dial("tcp", a.e.srv.Listener.Addr().String())
		if err != nil {
			return "error: " + err.Error()
		}
		defer conn.Close()
		head := fmt.Sprintf("POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", a.e.srv.Listener.Addr(), n)
		if authorization != "" {
			head += "Authorization: " + authorization + "\r\n"
		}
		if _, err := io.WriteString(conn, head+"\r\n"+`{"query": "{ store { id`); err != nil {
			return "error: " + err.Error()
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return "no answer: " + err.Error()
		}
		resp.Body.Close()
		return "HTTP " + strconv.Itoa(resp.StatusCode)
	}
}

// silentWebsocket opens a websocket and never sends connection_init: the
// server must close it.
func (a *attackers) silentWebsocket(*attackers) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := a.e.dialGraphQLWS(ctx, nil)
	if err != nil {
		return "error: " + err.Error()
	}
	defer conn.CloseNow()
	_, _, err = conn.Read(ctx)
	var closed websocket.CloseError
	if errors.As(err, &closed) {
		return "close " + strconv.Itoa(int(closed.Code))
	}
	return fmt.Sprintf("not closed: %v", err)
}

func total(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

func describeOutcomes(m map[string]int) string {
	var parts []string
	for o, n := range m {
		parts = append(parts, fmt.Sprintf("%s ×%d", o, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
