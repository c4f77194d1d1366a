package web

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, srv *httptest.Server, rawURL string) (*http.Response, string) {
	t.Helper()
	resp, err := srv.Client().Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", rawURL, err)
	}
	return resp, string(body)
}

func getIndex(t *testing.T, opts Options) (*httptest.Server, *http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(Handler(opts))
	t.Cleanup(srv.Close)
	resp, body := get(t, srv, srv.URL+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET /: Content-Type %q, want text/html", ct)
	}
	return srv, resp, body
}

var configRE = regexp.MustCompile(`(?s)<script id="graphiql-config" type="application/json">(.*?)</script>`)

// pageConfigOf extracts and parses the JSON config block the way page.js does.
func pageConfigOf(t *testing.T, page string) pageConfig {
	t.Helper()
	m := configRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no graphiql-config block in page:\n%s", page)
	}
	var cfg pageConfig
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("config block is not valid JSON: %v\n%s", err, m[1])
	}
	return cfg
}

func TestIndexWithoutDevToken(t *testing.T) {
	_, resp, page := getIndex(t, Options{Endpoint: "/graphql"})
	for _, s := range []string{"Authorization", "Bearer"} {
		if strings.Contains(page, s) {
			t.Errorf("page contains %q although no dev token is set", s)
		}
	}
	cfg := pageConfigOf(t, page)
	if cfg.Headers != "" {
		t.Errorf("headers = %q, want empty", cfg.Headers)
	}
	if cfg.Endpoint != "/graphql" {
		t.Errorf("endpoint = %q, want /graphql", cfg.Endpoint)
	}
	if !strings.Contains(cfg.DefaultQuery, "availableToSell") {
		t.Errorf("default query missing: %q", cfg.DefaultQuery)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("index Cache-Control = %q, want no-store", cc)
	}
}

func TestIndexWithDevToken(t *testing.T) {
	_, _, page := getIndex(t, Options{Endpoint: "/graphql", DevToken: "tok123"})
	if !strings.Contains(page, "Bearer tok123") {
		t.Errorf("page does not contain the dev token:\n%s", page)
	}
	cfg := pageConfigOf(t, page)
	var hdrs map[string]string
	if err := json.Unmarshal([]byte(cfg.Headers), &hdrs); err != nil {
		t.Fatalf("headers %q are not a JSON object: %v", cfg.Headers, err)
	}
	if got := hdrs["Authorization"]; got != "Bearer tok123" || len(hdrs) != 1 {
		t.Errorf("headers = %v, want only Authorization: Bearer tok123", hdrs)
	}
}

// A hostile token must round-trip exactly and must not break out of the
// <script> block.
func TestIndexEscapesDevToken(t *testing.T) {
	token := "a\"b'c</script><script>alert(1)</script>&\u2028"
	_, _, page := getIndex(t, Options{DevToken: token})
	if strings.Contains(page, "alert(1)</script>") || strings.Count(page, "</script>") != 5 {
		t.Errorf("token broke out of the config block:\n%s", page)
	}
	cfg := pageConfigOf(t, page)
	var hdrs map[string]string
	if err := json.Unmarshal([]byte(cfg.Headers), &hdrs); err != nil {
		t.Fatalf("headers %q are not a JSON object: %v", cfg.Headers, err)
	}
	if got, want := hdrs["Authorization"], "Bearer "+token; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	if cfg.Endpoint != DefaultEndpoint {
		t.Errorf("endpoint = %q, want default %q", cfg.Endpoint, DefaultEndpoint)
	}
}

// The storage namespace depends on the token, so a persisted tab with an old
// token does not shadow a new one.
func TestStorageNamespacePerToken(t *testing.T) {
	ns := func(tok string) string {
		_, _, page := getIndex(t, Options{DevToken: tok})
		return pageConfigOf(t, page).StorageNamespace
	}
	a, b, none := ns("one"), ns("two"), ns("")
	if a == b || a == none || b == none || a != ns("one") {
		t.Errorf("namespaces not distinct per token: %q %q %q", a, b, none)
	}
}

func TestCSP(t *testing.T) {
	_, resp, page := getIndex(t, Options{})
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q contains %q", csp, bad)
		}
	}
	// The nonce in the header must be the one page.js hands to GraphiQL.
	nonce := pageConfigOf(t, page).Nonce
	if nonce == "" || !strings.Contains(csp, "'nonce-"+nonce+"'") {
		t.Errorf("CSP %q does not carry the page nonce %q", csp, nonce)
	}
	_, resp2, page2 := getIndex(t, Options{})
	if pageConfigOf(t, page2).Nonce == nonce || resp2.Header.Get("Content-Security-Policy") == csp {
		t.Error("nonce is not fresh per response")
	}
}

func TestNoExternalReferencesInIndex(t *testing.T) {
	_, _, page := getIndex(t, Options{DevToken: "tok123"})
	if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+`).FindString(page); m != "" {
		t.Errorf("index.html references an external host: %q", m)
	}
}

var refRE = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

func TestAssetsServed(t *testing.T) {
	srv, _, page := getIndex(t, Options{})
	base, err := url.Parse(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := map[string]string{".js": "text/javascript", ".css": "text/css"}
	seen := map[string]bool{}
	for _, m := range refRE.FindAllStringSubmatch(page, -1) {
		ref, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatalf("bad reference %q: %v", m[1], err)
		}
		if ref.Scheme == "data" {
			continue // inline, nothing is fetched
		}
		u := base.ResolveReference(ref)
		if u.Host != base.Host {
			t.Errorf("reference %q leaves the server", m[1])
			continue
		}
		name := path.Base(u.Path)
		seen[name] = true
		resp, body := get(t, srv, u.String())
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", u, resp.StatusCode)
			continue
		}
		if len(body) == 0 || len(body) != len(assets[name].body) {
			t.Errorf("GET %s: got %d bytes, want %d", u, len(body), len(assets[name].body))
		}
		ct, want := resp.Header.Get("Content-Type"), wantTypes[path.Ext(name)]
		if want == "" || !strings.HasPrefix(ct, want) {
			t.Errorf("GET %s: Content-Type %q, want %q", u, ct, want)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control %q, want immutable for a versioned URL", u, cc)
		}
		if strings.HasSuffix(name, ".css") {
			checkCSSIsSelfContained(t, name, body)
		}
		checkNoCDN(t, name, body)
	}
	for _, name := range []string{"graphiql.min.js", "graphiql.min.css", "react.production.min.js",
		"react-dom.production.min.js", "page.js", "page.css"} {
		if !seen[name] {
			t.Errorf("index.html does not reference %s", name)
		}
	}
}

// checkCSSIsSelfContained fails on any url(...) or @import that is not a
// data: URI, since those would be fetched from elsewhere.
func checkCSSIsSelfContained(t *testing.T, name, css string) {
	t.Helper()
	if strings.Contains(css, "@import") {
		t.Errorf("%s uses @import", name)
	}
	for _, m := range regexp.MustCompile(`url\(\s*['"]?([^'")]{0,40})`).FindAllStringSubmatch(css, -1) {
		if !strings.HasPrefix(m[1], "data:") {
			t.Errorf("%s loads url(%s...)", name, m[1])
		}
	}
}

// checkNoCDN catches well-known CDN hosts an asset might load from at run time.
func checkNoCDN(t *testing.T, name, body string) {
	t.Helper()
	for _, host := range []string{"unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com",
		"esm.sh", "fonts.googleapis.com", "fonts.gstatic.com"} {
		if strings.Contains(body, "//"+host) {
			t.Errorf("%s references %s", name, host)
		}
	}
}

func TestAssetUnversionedRevalidates(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{}))
	defer srv.Close()
	resp, _ := get(t, srv, srv.URL+"/assets/page.js")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned asset Cache-Control %q, want no-cache", cc)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/assets/page.js", nil)
	req.Header.Set("If-None-Match", etag)
	resp2, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: status %d, want 304", resp2.StatusCode)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{}))
	defer srv.Close()
	for _, p := range []string{"/nope", "/assets/", "/assets/missing.js", "/assets/../web.go", "/index.html.tmpl"} {
		resp, _ := get(t, srv, srv.URL+p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	resp, err := srv.Client().Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", resp.StatusCode)
	}
}

// TestDevTokenOnlyForLoopbackHosts: a page requested under another host
// name (DNS rebinding) must not hand out the dev token.
func TestDevTokenOnlyForLoopbackHosts(t *testing.T) {
	h := Handler(Options{Endpoint: "/graphql", DevToken: "tok123"})
	for host, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true,
		"evil.example:8080": false, "192.168.1.5:8080": false,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = host
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := strings.Contains(rec.Body.String(), "tok123"); got != want {
			t.Errorf("page for Host %s has the token = %v, want %v", host, got, want)
		}
	}
}

// TestDevTokenOnlyStraightFromThisMachine: the dev token goes only to a
// loopback peer whose request no proxy handled, with an origin-form
// request line; the Host header alone decides nothing.
func TestDevTokenOnlyStraightFromThisMachine(t *testing.T) {
	h := Handler(Options{Endpoint: "/graphql", DevToken: "tok123"})
	tests := []struct {
		name   string
		target string // the request line's target
		peer   string
		header map[string]string
		want   bool
	}{
		{"loopback peer", "/", "127.0.0.1:40000", nil, true},
		{"IPv6 loopback peer", "/", "[::1]:40000", nil, true},
		{"remote peer", "/", "203.0.113.9:40000", nil, false},
		{"private peer", "/", "192.168.1.5:40000", nil, false},
		{"X-Forwarded-For", "/", "127.0.0.1:40000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, false},
		{"X-Forwarded-For of loopback", "/", "127.0.0.1:40000", map[string]string{"X-Forwarded-For": "127.0.0.1"}, false},
		{"Forwarded", "/", "127.0.0.1:40000", map[string]string{"Forwarded": "for=203.0.113.9"}, false},
		{"X-Real-IP", "/", "127.0.0.1:40000", map[string]string{"X-Real-IP": "203.0.113.9"}, false},
		{"X-Forwarded-Host", "/", "127.0.0.1:40000", map[string]string{"X-Forwarded-Host": "127.0.0.1"}, false},
		{"absolute-form request line", "http://127.0.0.1:8080/", "127.0.0.1:40000", nil, false},
		{"no peer address", "/", "", nil, false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, tt.target, nil)
		req.Host = "127.0.0.1:8080"
		req.RemoteAddr = tt.peer
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", tt.name, rec.Code)
		}
		if got := strings.Contains(rec.Body.String(), "tok123"); got != tt.want {
			t.Errorf("page for %s has the token = %v, want %v", tt.name, got, tt.want)
		}
	}
}
