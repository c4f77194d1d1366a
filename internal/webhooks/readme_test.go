package webhooks_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	e.run(fast())
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
