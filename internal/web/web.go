// Package web owns the browser-facing side of the server that is not the
// GraphQL API itself: it serves a GraphiQL IDE whose JavaScript and CSS are
// vendored from the npm registry (see fetch-assets.sh and assets/README.md)
// and embedded into the binary, so the page works on a machine without
// internet access and never loads anything from a CDN.
package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net"
	"net/http"
	"path"
	"strings"
	"time"
)

// DefaultEndpoint is the GraphQL endpoint used when Options.Endpoint is empty.
const DefaultEndpoint = "/graphql"

// DefaultQuery is the query shown in a fresh GraphiQL tab.
const DefaultQuery = `{
  store {
    name
    products(first: 5) {
      totalCount
      edges {
        node {
          name
          sku
          inventory {
            aggregated {
              availableToSell
              onHand
              availability
            }
          }
        }
      }
    }
  }
}
`

// Options configures Handler.
type Options struct {
	// Endpoint is the path (or URL) of the GraphQL endpoint, e.g. "/graphql".
	// Relative values are resolved against the page's location in the
	// browser; subscriptions use the same URL with a ws(s) scheme.
	Endpoint string
	// DevToken, when non-empty, prefills GraphiQL's headers editor with
	// {"Authorization": "Bearer <DevToken>"}. Only for development setups:
	// the token is visible to anyone who can load the page.
	DevToken string
}

//go:embed index.html.tmpl
var indexSource string

// Only the files the page loads are embedded; licenses and README stay in
// the repository.
//
//go:embed assets/*.js assets/*.css
var assetFS embed.FS

var indexTmpl = template.Must(template.New("index").Parse(indexSource))

// asset is one embedded file, prepared once at startup.
type asset struct {
	body        []byte
	contentType string
	etag        string // quoted strong ETag
	version     string // short content hash used as cache-busting ?v=
}

// contentTypes is explicit rather than mime.TypeByExtension, whose answer
// depends on the host's mime.types files.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// assets maps a URL path below /assets/ (e.g. "graphiql.min.js") to its file.
var assets = mustLoadAssets()

func mustLoadAssets() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("web: no content type for embedded asset %s", p)
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])
		m[strings.TrimPrefix(p, "assets/")] = &asset{
			body:        body,
			contentType: ct,
			etag:        `"` + h[:32] + `"`,
			version:     h[:12],
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return m
}

// assetURL is the relative URL index.html uses for an embedded asset. It is
// relative so the page also works when mounted below a prefix, and carries
// the content hash so the asset can be cached forever.
func assetURL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic("web: unknown asset " + name)
	}
	return "assets/" + name + "?v=" + a.version
}

type assetURLs struct {
	GraphiQLCSS, PageCSS, ReactJS, ReactDOMJS, GraphiQLJS, PageJS string
}

var pageAssets = assetURLs{
	GraphiQLCSS: assetURL("graphiql.min.css"),
	PageCSS:     assetURL("page.css"),
	ReactJS:     assetURL("react.production.min.js"),
	ReactDOMJS:  assetURL("react-dom.production.min.js"),
	GraphiQLJS:  assetURL("graphiql.min.js"),
	PageJS:      assetURL("page.js"),
}

// pageConfig is rendered as JSON into index.html and read by assets/page.js.
type pageConfig struct {
	Endpoint         string `json:"endpoint"`
	Headers          string `json:"headers,omitempty"` // JSON text for the headers editor
	DefaultQuery     string `json:"defaultQuery"`
	Nonce            string `json:"nonce"`
	StorageNamespace string `json:"storageNamespace"`
}

type indexData struct {
	Assets assetURLs
	Config pageConfig
}

// Handler returns an http.Handler meant to be mounted at "/": it serves the
// GraphiQL page at "/" and its embedded assets below "/assets/", and answers
// 404 for every other path.
func Handler(opts Options) http.Handler {
	if opts.Endpoint == "" {
		opts.Endpoint = DefaultEndpoint
	}
	cfg := pageConfig{
		Endpoint:     opts.Endpoint,
		DefaultQuery: DefaultQuery,
		// Persisted tabs include the headers; keying the storage by token
		// keeps a stale token from an earlier run from overriding the new one.
		StorageNamespace: "stockgraph",
	}
	if opts.DevToken != "" {
		b, err := json.MarshalIndent(map[string]string{"Authorization": "Bearer " + opts.DevToken}, "", "  ")
		if err != nil {
			panic(err) // a map[string]string always marshals
		}
		cfg.Headers = string(b)
		sum := sha256.Sum256([]byte(opts.DevToken))
		cfg.StorageNamespace += "-" + hex.EncodeToString(sum[:6])
	}
	return &handler{cfg: cfg}
}

type handler struct {
	cfg pageConfig
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/":
		h.serveIndex(w, r)
	case strings.HasPrefix(p, "/assets/"):
		serveAsset(w, r, strings.TrimPrefix(p, "/assets/"))
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	// A fresh nonce per response: it is the only way an injected <style>
	// (see page.js) is allowed, without resorting to 'unsafe-inline'.
	nonce := rand.Text()
	data := indexData{Assets: pageAssets, Config: h.cfg}
	data.Config.Nonce = nonce
	if !fromThisMachine(r) {
		data.Config.Headers = ""
	}

	var buf bytes.Buffer
	if err := indexTmpl.Execute(&buf, data); err != nil {
		log.Printf("web: rendering index: %v", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	// The page may carry a dev token and always carries a per-response nonce.
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Security-Policy", contentSecurityPolicy(nonce))
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// contentSecurityPolicy allows only same-origin resources, so an accidental
// CDN load fails loudly. Exceptions, all checked against GraphiQL 3.9:
//   - data: fonts and images: graphiql.min.css inlines its fonts as data: URIs.
//   - the style nonce: react-remove-scroll injects a <style> tag when a
//     dialog opens. Style attributes set from JS (CSSOM) need no exception.
//
// connect-src 'self' also covers ws(s):// to the same host (CSP level 3), so
// graphql-ws subscriptions need no extra source. Neither 'unsafe-inline'
// nor 'unsafe-eval' is needed.
func contentSecurityPolicy(nonce string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src 'self'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("ETag", a.etag)
	if r.URL.Query().Get("v") == a.version {
		// The URL names this exact content, so it never changes.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache") // revalidate via ETag
	}
	// ServeContent handles HEAD, Range and If-None-Match against the ETag.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}

// fromThisMachine reports whether a request may get the dev token: it
// comes straight from this machine and names it. The peer address must be
// a loopback one (the Host header is the client's to choose), no proxy
// may have handled it (a forwarding header says one did: a proxy on this
// machine would pass the world's requests on from a loopback address), the
// request line must be origin-form ("GET / HTTP/1.1", as browsers send
// to a server, not "GET http://host/" as to a proxy), and the Host must
// be loopback too, so that a page reached by another name (DNS
// rebinding) does not get it either.
func fromThisMachine(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"} {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(peer)
	return ip != nil && ip.IsLoopback() && strings.HasPrefix(r.RequestURI, "/") && isLoopbackHost(r.Host)
}

// isLoopbackHost reports whether a Host header names this machine by a
// loopback address or localhost.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
