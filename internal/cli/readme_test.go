package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/bulk"
	"stockgraph/internal/changes"
	"stockgraph/internal/seed"
	"stockgraph/internal/testsupport/testdb"
)

// fence is a fenced block of the README: its language and text.
type fence struct {
	lang, text string
	line       int // of the opening fence, for messages
}

// readmeFences returns the README's fenced blocks in order.
func readmeFences(t *testing.T) []fence {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	var fences []fence
	var cur *fence
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fence{lang: strings.TrimPrefix(line, "```"), line: i + 1}
		case cur != nil && line == "```":
			fences = append(fences, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README: the block opened on line %d is never closed", cur.line)
	}
	return fences
}

// readmeRequest is a GraphQL request the README shows.
type readmeRequest struct {
	where string // "README.md:LINE"
	body  []byte // the JSON request body
}

// curlBody finds the JSON body of a curl command: -d '...'.
var curlBody = regexp.MustCompile(`(?s)curl\s.*?-d\s+'([^']*)'`)

// readmeRequests turns the README's GraphQL blocks, each with the JSON
// block that follows it as its variables, and the bodies its curl
// commands send into requests, in the README's order.
func readmeRequests(t *testing.T) []readmeRequest {
	t.Helper()
	fences := readmeFences(t)
	var reqs []readmeRequest
	for i, f := range fences {
		where := "README.md:" + itoa(f.line)
		switch f.lang {
		case "graphql":
			req := map[string]any{"query": f.text}
			if i+1 < len(fences) && fences[i+1].lang == "json" {
				var vars map[string]any
				if err := json.Unmarshal([]byte(fences[i+1].text), &vars); err != nil {
					t.Fatalf("%s: the variables after the query are not a JSON object: %v", where, err)
				}
				req["variables"] = vars
			}
			body, _ := json.Marshal(req)
			reqs = append(reqs, readmeRequest{where, body})
		case "sh":
			for _, m := range curlBody.FindAllStringSubmatch(f.text, -1) {
				reqs = append(reqs, readmeRequest{where + " (curl)", []byte(m[1])})
			}
		}
	}
	return reqs
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestREADMEGraphQL runs every GraphQL block and curl body of the README,
// in order on one database, against a server set up as `make run` sets
// it up: the demo store seeded at the same size (the README's IDs are
// those of a fresh database) and a token with every scope.
func TestREADMEGraphQL(t *testing.T) {
	reqs := readmeRequests(t)
	if len(reqs) < 6 {
		t.Fatalf("readmeRequests() = %d requests, want the README's curl body and its 5 GraphQL blocks at least", len(reqs))
	}
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: "demo", Products: 100, Variants: 10, Locations: 5})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	token, err := auth.CreateToken(ctx, db.DB, res.Store.ID, "readme", auth.AllScopes)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db}))
	defer srv.Close()
	for _, r := range reqs {
		status, out := postGraphQL(t, srv.URL+"/graphql", token, r.body)
		var resp struct {
			Data   json.RawMessage   `json:"data"`
			Errors []json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Errorf("%s: POST /graphql = %d %q, want a JSON response", r.where, status, out)
			continue
		}
		if status != http.StatusOK || len(resp.Errors) > 0 || len(resp.Data) == 0 || string(resp.Data) == "null" {
			t.Errorf("%s: POST /graphql = %d, errors %s, want 200 with data and no errors\nrequest: %s", r.where, status, resp.Errors, r.body)
		}
	}
}

func postGraphQL(t *testing.T, url, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	if _, err := out.ReadFrom(resp.Body); err != nil {
		t.Fatalf("read the response: %v", err)
	}
	return resp.StatusCode, out.Bytes()
}

// stockgraphCall finds a bin/stockgraph command in a shell line, up to a
// comment or the end of a command substitution.
var stockgraphCall = regexp.MustCompile(`bin/stockgraph((?:[ \t]+(?:"[^"]*"|[^\s#)"]+))*)`)

// TestREADMECommands parses every bin/stockgraph command of the README's
// shell blocks as the binary would, without running it: the command must
// exist and take the flags, arguments and required flags given.
func TestREADMECommands(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none") // parsing must not need it
	n := 0
	for _, f := range readmeFences(t) {
		if f.lang != "sh" {
			continue
		}
		for _, m := range stockgraphCall.FindAllStringSubmatch(f.text, -1) {
			n++
			args := shellWords(m[1])
			if err := parseOnly(args); err != nil {
				t.Errorf("README.md:%d: bin/stockgraph %s: %v", f.line, strings.Join(args, " "), err)
			}
		}
	}
	if n < 4 {
		t.Errorf("README commands found = %d, want at least 4 (token create twice, export, import)", n)
	}
}

// shellWords splits the arguments of a simple command: words separated by
// spaces, double quotes grouping words.
func shellWords(s string) []string {
	var words []string
	for _, w := range regexp.MustCompile(`"[^"]*"|\S+`).FindAllString(s, -1) {
		words = append(words, strings.Trim(w, `"`))
	}
	return words
}

// parseOnly checks a command line as Execute would before running it.
func parseOnly(args []string) error {
	root := NewRoot(Serve(), Migrate(), Seed(), Token(), Import(), Export(), Bench())
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return err
	}
	return cmd.ValidateRequiredFlags()
}

// TestREADMEConditionalRead runs the README's conditional read block with
// bash, as pasted, against a server on a fresh demo store: the first GET
// prints a weak ETag, the second answers 304.
func TestREADMEConditionalRead(t *testing.T) {
	block := shBlock(t, "persistedQuery", "sends a persisted query", "bash", "curl", "sha256sum", "awk")
	db := testdb.MustOpenDB(t)
	ctx := context.Background()
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: "demo", Products: 10, Variants: 2, Locations: 2})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	token, err := auth.CreateToken(ctx, db.DB, res.Store.ID, "readme", []auth.Scope{auth.ReadInventory})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	settle, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := changes.Settle(settle, db.DB, res.Store.ID); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db}))
	defer srv.Close()
	cmd := exec.CommandContext(ctx, "bash", "-eu", "-o", "pipefail", "-c", strings.ReplaceAll(block.text, "http://127.0.0.1:8080", srv.URL))
	cmd.Env = append(os.Environ(), "TOKEN="+token)
	out, err := cmd.CombinedOutput()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], `W/"`) || lines[1] != "304" {
		t.Errorf("README.md:%d run with bash = %q (%v), want a weak ETag and then 304", block.line, out, err)
	}
}

// TestREADMEBulkOperations runs the README's bulk operations block with
// bash, as pasted, in a scratch folder, against a server with a bulk
// worker on a fresh demo store: it exports, downloads, imports the file
// back with one on hand changed and prints the empty error report.
func TestREADMEBulkOperations(t *testing.T) {
	block := shBlock(t, "startInventoryImport", "starts an import", "bash", "curl", "sed")
	db := testdb.MustOpenDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := seed.Run(ctx, db.DB, seed.Options{StoreHandle: "demo", Products: 10, Variants: 2, Locations: 2})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	token, err := auth.CreateToken(ctx, db.DB, res.Store.ID, "readme", []auth.Scope{auth.ReadInventory, auth.WriteInventory})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	done := make(chan struct{})
	go func() { defer close(done); bulk.NewWorker(db.DB, bulk.Config{Poll: 50 * time.Millisecond}).Run(ctx) }()
	defer func() { cancel(); <-done }()
	srv := httptest.NewServer(api.NewHandler(api.Config{DB: db}))
	defer srv.Close()
	cmd := exec.CommandContext(ctx, "bash", "-eu", "-o", "pipefail", "-c", strings.ReplaceAll(block.text, "http://127.0.0.1:8080", srv.URL))
	cmd.Env = append(os.Environ(), "TOKEN="+token)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var onHand int
	db.Raw(`SELECT i.on_hand FROM inventory_items i JOIN variants v ON v.id = i.variant_id JOIN locations l ON l.id = i.location_id
		WHERE v.sku = 'P00001-01' AND l.code = 'LOC-1'`).Scan(&onHand)
	if err != nil || stdout.String() != "line,location_code,sku,code,message\n" || onHand != 42 {
		t.Errorf("README.md:%d run with bash = %q (%v), stderr %s; on hand %d; want the error report's header alone and on hand 42",
			block.line, stdout.String(), err, stderr.String(), onHand)
	}
}

// shBlock is the README's last sh block that contains marker (it fails
// the test, saying that no block what, when there is none); it skips the
// test when a tool the block runs is missing.
func shBlock(t *testing.T, marker, what string, tools ...string) *fence {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the block needs %s: %v", tool, err)
		}
	}
	var block *fence
	for _, f := range readmeFences(t) {
		if f.lang == "sh" && strings.Contains(f.text, marker) {
			block = &f
		}
	}
	if block == nil {
		t.Fatalf("README: no sh block %s", what)
	}
	return block
}
