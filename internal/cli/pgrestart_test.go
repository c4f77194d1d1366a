package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"stockgraph/dbmigrate"
	"stockgraph/internal/auth"
	"stockgraph/internal/database"
	"stockgraph/internal/ledger"
	"stockgraph/internal/seed"
)

// cluster is a PostgreSQL cluster of the test's own (scripts/pg.sh on a
// port and in a folder of its own), so that stopping it disturbs no other
// test.
type cluster struct {
	t   *testing.T
	env []string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	// Not t.TempDir(): as root the cluster belongs to the postgres user,
	// which may not enter root's private folders.
	data := fmt.Sprintf("/var/tmp/stockgraph-pgfault-%d-%d", os.Getpid(), time.Now().UnixNano())
	c := &cluster{t: t, env: append(os.Environ(), "STOCKGRAPH_PGPORT="+port, "STOCKGRAPH_PGDATA="+data)}
	t.Cleanup(func() {
		c.run("stop")
		_ = os.RemoveAll(data)
		_ = os.Remove(data + ".log")
	})
	c.run("start")
	return c
}

func (c *cluster) run(verb string) string {
	c.t.Helper()
	cmd := exec.Command("bash", "../../scripts/pg.sh", verb)
	cmd.Env = c.env
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("pg.sh %s: %v", verb, err)
	}
	return string(bytes.TrimSpace(out))
}

// outcome is what one write got.
type outcome struct {
	at   time.Time
	code string // "" for success, the error's extensions.code, or "transport"
}

// TestPostgresRestartUnderWriteLoad stops PostgreSQL while 4 clients write
// through `stockgraph serve` and starts it again: meanwhile writes fail
// with UNAVAILABLE (HTTP 503), afterwards they succeed again with no
// restart of the server, and no answered write is lost.
func TestPostgresRestartUnderWriteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a PostgreSQL cluster of its own")
	}
	pg := newCluster(t)
	dsn := pg.run("url")
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqlDB, _ := db.DB.DB()
	if _, err := dbmigrate.Up(context.Background(), sqlDB); err != nil {
		t.Fatal(err)
	}
	res, err := seed.Run(context.Background(), db.DB, seed.Options{StoreHandle: "restart", Products: 20, Variants: 2, Locations: 2})
	if err != nil {
		t.Fatal(err)
	}
	token, err := auth.CreateToken(context.Background(), db.DB, res.Store.ID, "restart", auth.AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	srv := newKillServer(t, dsn)
	srv.start()
	loc := firstLocation(t, srv, token)
	results := make(chan []outcome, 4)
	// The load runs until 4 s after PostgreSQL is back, however long its
	// stop and start take on a busy machine.
	stop := make(chan struct{})
	for c := range 4 {
		go func() { results <- restartLoad(srv.url, token, loc, c, stop) }()
	}
	time.Sleep(1500 * time.Millisecond)
	pg.run("stop")
	down := time.Now()
	time.Sleep(1500 * time.Millisecond)
	pg.run("start")
	up := time.Now()
	time.Sleep(4 * time.Second)
	close(stop)
	var all []outcome
	for range 4 {
		all = append(all, <-results...)
	}
	checkRestart(t, db, res.Store.ID, all, down, up)
}

// checkRestart checks the outcomes: successes before the stop and after
// the start, only UNAVAILABLE failures, and every success in a
// consistent ledger.
func checkRestart(t *testing.T, db *database.DB, storeID int64, all []outcome, down, up time.Time) {
	t.Helper()
	counts := map[string]int{}
	before, after := 0, 0
	for _, o := range all {
		counts[o.code]++
		if o.code == "" && o.at.Before(down) {
			before++
		}
		if o.code == "" && o.at.After(up) {
			after++
		}
	}
	var moved int64
	db.Raw(`SELECT count(*) FROM inventory_movements WHERE reason = 'restart'`).Scan(&moved)
	bad, err := ledger.Inconsistencies(context.Background(), db.DB, storeID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outcomes by code %v; %d answered before the stop, %d after the start; %d movements", counts, before, after, moved)
	if before == 0 || after == 0 || counts["UNAVAILABLE"] == 0 || len(counts) != 2 || moved < int64(counts[""]) || len(bad) > 0 {
		t.Errorf("outcomes %v (before %d, after %d), %d movements, ledger mismatches %v; want successes before and after, only UNAVAILABLE between, every success in a consistent ledger",
			counts, before, after, moved, bad)
	}
}

// restartLoad writes until stop, one adjustment at a time, and records
// each outcome.
func restartLoad(url, token, loc string, c int, stop <-chan struct{}) []outcome {
	var out []outcome
	for i := 0; ; i++ {
		select {
		case <-stop:
			return out
		default:
		}
		code := writeCode(url, token, loc, fmt.Sprintf("P%05d-01", 1+(c*5+i)%20))
		out = append(out, outcome{at: time.Now(), code: code})
		if code != "" {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// writeCode sends one adjustment and returns "" on success, else the
// error's code ("transport" when no answer came).
func writeCode(url, token, loc, sku string) string {
	body, _ := json.Marshal(map[string]any{"query": `mutation($loc: ID!, $sku: String!) { adjustInventoryRelative(input: {
		reason: "restart", items: [{ locationId: $loc, sku: $sku, quantity: 1 }] }) { items { onHand } } }`,
		"variables": map[string]any{"loc": loc, "sku": sku}})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "transport"
	}
	defer resp.Body.Close()
	var out struct {
		Errors []struct{ Extensions map[string]any }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "transport"
	}
	if len(out.Errors) == 0 {
		return ""
	}
	code, _ := out.Errors[0].Extensions["code"].(string)
	return code
}
