package webhooks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"stockgraph/internal/api"
	"stockgraph/internal/webhooks"
)

// readmeBlock returns the README's fenced block of lang that contains marker.
func readmeBlock(t *testing.T, lang, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(string(b), "```"+lang+"\n")[1:] {
		block, _, _ := strings.Cut(part, "\n```\n")
		if strings.Contains(block, marker) {
			return block
		}
	}
	t.Fatalf("README has no ```%s block with %q", lang, marker)
	return ""
}

// signedRequest is a delivery the worker sent, as the receiver got it.
func signedRequest(t *testing.T) (secret string, h http.Header, body []byte) {
	t.Helper()
	e := newEnv(t)
	got := make(chan struct {
		h    http.Header
		body []byte
	}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		got <- struct {
			h    http.Header
			body []byte
		}{req.Header.Clone(), b}
	}))
	t.Cleanup(srv.Close)
	hook := e.create(webhooks.Input{URL: srv.URL, Topics: []string{"store/inventory/stock_changed"}})
	cfg := fast()
	cfg.Names = api.WebhookNames{}
	e.run(cfg)
	e.write(1)
	req := <-got
	return hook.Secret, req.h, req.body
}

// TestREADMEVerifiers runs the README's Go and shell signature checks
// against a request the worker signed, and against the same request with
// its body changed, so that the README cannot show a check that does not
// work.
func TestREADMEVerifiers(t *testing.T) {
	secret, h, body := signedRequest(t)
	tampered := []byte(strings.Replace(string(body), `"STOCK_CHANGED"`, `"LOW_STOCK"`, 1))
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{{"signed", body, "valid"}, {"tampered", tampered, "INVALID"}} {
		if got := runGoVerifier(t, secret, h, tc.body); got != tc.want {
			t.Errorf("README Go verify(%s request) = %s, want %s", tc.name, got, tc.want)
		}
		if got := runShellVerifier(t, secret, h, tc.body); got != tc.want {
			t.Errorf("README shell check(%s request) = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestREADMEBody checks that every field the README shows in a delivery's
// body is in the body the worker sends, and the other way round.
func TestREADMEBody(t *testing.T) {
	_, _, body := signedRequest(t)
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		if m, ok := v.(map[string]any); ok {
			for k, child := range m {
				keys[k] = true
				if k != "quantities" { // keyed by quantity state, not fields
					walk(child)
				}
			}
		}
	}
	walk(got)
	shown := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(\w+)":`).FindAllStringSubmatch(readmeBlock(t, "text", `"type": "store/inventory/`), -1) {
		shown[m[1]] = true
	}
	delete(shown, "ON_HAND") // a quantity state in the example
	for k := range shown {
		if !keys[k] {
			t.Errorf("README shows body field %q, which the body lacks", k)
		}
	}
	for k := range keys {
		if !shown[k] {
			t.Errorf("the body has field %q, which the README does not show", k)
		}
	}
}

// runGoVerifier compiles the README's verify with a main that feeds it.
func runGoVerifier(t *testing.T, secret string, h http.Header, body []byte) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("verify.go", "package main\n\n"+readmeBlock(t, "go", "func verify("))
	write("main.go", `package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

func main() {
	var in struct {
		Secret string
		Header http.Header
		Body   []byte
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	if verify(in.Secret, in.Header, in.Body) {
		fmt.Print("valid")
	} else {
		fmt.Print("INVALID")
	}
}
`)
	write("go.mod", "module readmeverify\n\ngo 1.22\n")
	in, _ := json.Marshal(map[string]any{"Secret": secret, "Header": h, "Body": body})
	cmd := exec.Command("go", "run", ".")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(string(in))
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run the README's verify: %v\n%s", err, out)
	}
	return string(out)
}

// runShellVerifier runs the README's shell check with bash.
func runShellVerifier(t *testing.T, secret string, h http.Header, body []byte) string {
	t.Helper()
	for _, tool := range []string{"bash", "openssl", "xxd", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "body.json"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-euc", readmeBlock(t, "sh", "openssl dgst"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "secret="+secret, "id="+h.Get("webhook-id"), "ts="+h.Get("webhook-timestamp"),
		"sig="+h.Get("webhook-signature"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash the README's check: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}
