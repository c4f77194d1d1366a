// Package browsertest owns driving a real headless browser from Go tests: it
// starts the locally installed Debian Chromium through chromedp (nothing is
// downloaded), loads the GraphiQL page served by package web, runs a query
// through the UI the way a person would, and returns what GraphiQL shows.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds RunGraphiQL and Screenshot when ctx has no deadline,
// so a page that never renders fails the test instead of hanging it.
const DefaultTimeout = time.Minute

// chromiumCandidates are tried in order before searching $PATH. A variable so
// the tests can point it elsewhere.
var chromiumCandidates = []string{"/usr/bin/chromium"}

// chromiumNames are looked up on $PATH.
var chromiumNames = []string{"chromium", "chromium-browser"}

// ChromiumPath returns the path of the Chromium executable: /usr/bin/chromium,
// or else chromium (or chromium-browser) on $PATH.
func ChromiumPath() (string, error) {
	for _, p := range chromiumCandidates {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("browsertest: Chromium not found (looked for %s and for %s on $PATH); "+
		"install it with: apt-get install chromium",
		strings.Join(chromiumCandidates, ", "), strings.Join(chromiumNames, ", "))
}

// allocatorOptions are chromedp's defaults plus flags that keep the browser
// headless, runnable as root in a container, and quiet on the network: a test
// machine may have no internet, and the browser must not try to reach Google
// services on its own.
func allocatorOptions(execPath string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
		// No UserDataDir option: chromedp then creates a fresh temporary
		// profile for each browser and removes it when the browser exits, so
		// GraphiQL's localStorage (tabs, headers) never leaks between runs.
	)
}

// session is one browser with one tab, plus the console messages worth
// reporting when something goes wrong.
type session struct {
	ctx    context.Context // the tab's context
	cancel context.CancelFunc

	mu      sync.Mutex
	console []string
}

// newSession starts Chromium. The caller must call s.close.
func newSession(ctx context.Context) (*session, error) {
	path, err := ChromiumPath()
	if err != nil {
		return nil, err
	}
	cancelTimeout := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancelTimeout = context.WithTimeout(ctx, DefaultTimeout)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, allocatorOptions(path)...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	s := &session{ctx: tabCtx, cancel: func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		cancelTimeout()
	}}
	// Starting the browser here makes a broken install fail with a clear
	// message rather than inside the first page action.
	if err := chromedp.Do(tabCtx); err != nil {
		s.cancel()
		return nil, fmt.Errorf("browsertest: starting %s: %w", path, err)
	}
	go s.collectConsole(chromedp.Console(tabCtx)) // subscribes now, before any page loads
	return s, nil
}

func (s *session) close() { s.cancel() }

// collectConsole keeps the page's errors, exceptions and security messages
// (CSP violations land there) to explain a failure.
func (s *session) collectConsole(msgs iter.Seq2[chromedp.ConsoleMessage, error]) {
	for m, err := range msgs {
		if err != nil {
			return
		}
		if m.Type != chromedp.ConsoleError && !m.IsException() && m.Source != "security" {
			continue
		}
		s.mu.Lock()
		if len(s.console) < 20 {
			s.console = append(s.console, fmt.Sprintf("console %s: %s", m.Type, m.Text))
		}
		s.mu.Unlock()
	}
}

// wrap adds the console messages seen so far to err.
func (s *session) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	s.mu.Lock()
	msgs := strings.Join(s.console, "\n  ")
	s.mu.Unlock()
	err = fmt.Errorf("browsertest: "+format+": %w", append(args, err)...)
	if msgs != "" {
		err = fmt.Errorf("%w\n  %s", err, msgs)
	}
	return err
}

// CSS selectors of GraphiQL 3's UI. The editors are CodeMirror 5 instances,
// whose wrapper element has a .CodeMirror property with the editor API.
const (
	queryEditorSel   = ".graphiql-query-editor .CodeMirror"
	responseSel      = ".graphiql-response .CodeMirror"
	executeButtonSel = ".graphiql-execute-button"
)

// setQueryJS replaces the query editor's content and returns what the response
// pane shows before the run (usually "", or a schema error). It remembers the
// editor's parsed document so querySyncedJS can tell when GraphiQL has
// re-parsed the new query.
const setQueryJS = `(() => {
	const q = document.querySelector(%q);
	if (!q || !q.CodeMirror) throw new Error("GraphiQL query editor not found");
	window.__browsertestPrevAST = q.CodeMirror.documentAST;
	q.CodeMirror.setValue(%s);
	const r = document.querySelector(%q);
	return r && r.CodeMirror ? r.CodeMirror.getValue() : "";
})()`

// querySyncedJS is true once GraphiQL's debounced (100ms) change handler has
// parsed the new query: until then, the execute button would run with the old
// query's operation facts (name, and whether it is a subscription, which
// decides HTTP vs WebSocket). A query that does not parse yields null.
const querySyncedJS = `(q) => {
	const d = document.querySelector(%q).CodeMirror.documentAST;
	if (d && d.loc && d.loc.source && d.loc.source.body === q) return true;
	return d === null && window.__browsertestPrevAST !== null;
}`

// pollResponseJS is truthy once the response pane holds new text: a GraphQL
// response ({ok: true}) or anything else, such as a network error ({ok: false}).
// getValue returns the whole document, not only the lines CodeMirror renders.
const pollResponseJS = `(before) => {
	const r = document.querySelector(%q);
	const text = r && r.CodeMirror ? r.CodeMirror.getValue() : "";
	if (text === "" || text === before) return null;
	try {
		const o = JSON.parse(text);
		if (o && typeof o === "object" && !Array.isArray(o) && ("data" in o || "errors" in o)) {
			return {ok: true, text};
		}
	} catch (e) {}
	return {ok: false, text};
}`

type pollResult struct {
	OK   bool   `json:"ok"`
	Text string `json:"text"`
}

// RunGraphiQL opens the GraphiQL page at pageURL in a fresh headless Chromium,
// replaces the query editor's content with query, clicks the execute button
// and returns the response pane's text once it is a GraphQL response (a JSON
// object with "data" or "errors"). Headers come from the page itself, e.g. the
// dev token web.Handler prefills. query must hold a single operation (with
// several, GraphiQL asks which one to run, and RunGraphiQL fails). For a
// subscription, the first event is returned.
//
// GraphiQL shows transport failures (HTTP errors, non-JSON bodies) as
// {"errors": [...]} too, so callers should check the result's content.
//
// It returns an error if GraphiQL does not render, if the response pane shows
// something else (e.g. a schema error list), or when ctx ends; the error
// includes the page's console errors. Without a deadline on ctx,
// DefaultTimeout applies. Each call starts its own browser (about 1.3s) and
// takes 3-5s in all on a 2-core machine.
func RunGraphiQL(ctx context.Context, pageURL, query string) (result string, err error) {
	p, err := OpenGraphiQL(ctx, pageURL)
	if err != nil {
		return "", err
	}
	defer p.Close()
	before, err := p.Execute(query)
	if err != nil {
		return "", err
	}
	return p.WaitForResponse(before, nil)
}

// Page is GraphiQL open in a tab of its own headless Chromium: a person at
// the page, who can run one operation after another and watch the
// response pane, where a subscription's events replace each other.
type Page struct {
	s *session
}

// OpenGraphiQL opens the GraphiQL page at pageURL in a fresh headless
// Chromium and waits until its editors render. Close it when done.
func OpenGraphiQL(ctx context.Context, pageURL string) (*Page, error) {
	s, err := newSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := chromedp.Do(s.ctx,
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(chromedp.CSS(queryEditorSel)),
		chromedp.WaitVisible(chromedp.CSS(executeButtonSel)),
	); err != nil {
		s.close()
		return nil, s.wrap(err, "loading GraphiQL at %s", pageURL)
	}
	return &Page{s: s}, nil
}

// Close closes the page's browser.
func (p *Page) Close() { p.s.close() }

// Execute replaces the query editor's content with query (one operation)
// and clicks the execute button. It returns what the response pane showed
// before, for WaitForResponse.
func (p *Page) Execute(query string) (before string, err error) {
	s := p.s
	q, err := json.Marshal(query) // a JSON string is a valid JS string literal
	if err != nil {
		return "", err
	}
	before, err = chromedp.Run(s.ctx, chromedp.Evaluate[string](
		fmt.Sprintf(setQueryJS, queryEditorSel, q, responseSel)))
	if err != nil {
		return "", s.wrap(err, "setting the query")
	}
	// Best effort with a short limit: if GraphiQL's internals change, running
	// a bit early is still right for a single anonymous query.
	_, err = chromedp.Run(s.ctx, chromedp.PollFunction[chromedp.Void](
		fmt.Sprintf(querySyncedJS, queryEditorSel),
		chromedp.WithPollingInterval(10*time.Millisecond),
		chromedp.WithPollingTimeout(2*time.Second),
		chromedp.WithPollingArgs(query),
	))
	if err != nil && !errors.Is(err, chromedp.ErrPollingTimeout) {
		return "", s.wrap(err, "waiting for GraphiQL to parse the query")
	}
	// With several operations GraphiQL opens a menu to pick one instead of
	// running; fail fast rather than time out.
	nOps, err := chromedp.Run(s.ctx, chromedp.Evaluate[int](
		fmt.Sprintf(`(document.querySelector(%q).CodeMirror.operations || []).length`, queryEditorSel)))
	if err != nil {
		return "", s.wrap(err, "counting operations")
	}
	if nOps > 1 {
		return "", fmt.Errorf("browsertest: query has %d operations; a page runs a single one", nOps)
	}
	if err := chromedp.Do(s.ctx, chromedp.Click(chromedp.CSS(executeButtonSel))); err != nil {
		return "", s.wrap(err, "clicking execute")
	}
	return before, nil
}

// WaitForResponse waits until the response pane shows a GraphQL response
// other than before for which accept (nil: any) is true, and returns it.
// A subscription's events replace each other in the pane, so this is how
// a person watches one arrive.
func (p *Page) WaitForResponse(before string, accept func(text string) bool) (string, error) {
	s := p.s
	for {
		res, err := chromedp.Run(s.ctx, chromedp.PollFunction[pollResult](
			fmt.Sprintf(pollResponseJS, responseSel),
			chromedp.WithPollingInterval(25*time.Millisecond),
			chromedp.WithPollingTimeout(0), // ctx bounds the wait
			chromedp.WithPollingArgs(before),
		))
		if err != nil {
			return "", s.wrap(err, "waiting for the response")
		}
		if !res.OK {
			return res.Text, s.wrap(errors.New(res.Text), "GraphiQL shows no GraphQL response")
		}
		if accept == nil || accept(res.Text) {
			return res.Text, nil
		}
		before = res.Text
	}
}

// Screenshot loads pageURL in a fresh headless Chromium and writes a PNG of
// the window to file. For a GraphiQL page it waits (up to 10s) until the
// editors render; any other page is captured once loaded.
func Screenshot(ctx context.Context, pageURL, file string) error {
	s, err := newSession(ctx)
	if err != nil {
		return err
	}
	defer s.close()

	if err := chromedp.Do(s.ctx, chromedp.Navigate(pageURL)); err != nil {
		return s.wrap(err, "loading %s", pageURL)
	}
	// Best effort: a page that is not (or not yet) GraphiQL is still captured.
	_, _ = chromedp.Run(s.ctx, chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.querySelector(%q)`, queryEditorSel),
		chromedp.WithPollingTimeout(10*time.Second)))
	png, err := chromedp.Run(s.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return s.wrap(err, "capturing %s", pageURL)
	}
	return os.WriteFile(file, png, 0o644)
}

// Download opens url in the page's browser, as a person who copied a link
// from the response pane into the address bar would, and waits for the
// download the server's Content-Disposition: attachment starts. It
// returns the downloaded file's name as the browser would save it and its
// content.
func (p *Page) Download(url string) (name string, content []byte, err error) {
	s := p.s
	dir, err := os.MkdirTemp("", "browsertest-download-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(dir)
	events := make(chan any, 16)
	listen, stop := context.WithCancel(s.ctx)
	defer stop()
	if err := chromedp.ListenBrowser(listen, func(ev any) {
		switch ev.(type) {
		case *browser.EventDownloadWillBegin, *browser.EventDownloadProgress:
			events <- ev
		}
	}); err != nil {
		return "", nil, s.wrap(err, "listening for downloads")
	}
	on := true
	if _, err := chromedp.CallBrowser(s.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on}); err != nil {
		return "", nil, s.wrap(err, "allowing downloads")
	}
	// A navigation that ends in a download is aborted, and the browser
	// says so; the download goes on.
	if err := chromedp.Do(s.ctx, chromedp.Navigate(url)); err != nil && !strings.Contains(err.Error(), "ERR_ABORTED") {
		return "", nil, s.wrap(err, "opening %s", url)
	}
	for {
		select {
		case ev := <-events:
			switch e := ev.(type) {
			case *browser.EventDownloadWillBegin:
				name = e.SuggestedFilename
			case *browser.EventDownloadProgress:
				switch e.State {
				case browser.DownloadProgressStateCompleted:
					content, err := os.ReadFile(filepath.Join(dir, e.GUID))
					return name, content, err
				case browser.DownloadProgressStateCanceled:
					return "", nil, s.wrap(errors.New("the download was canceled"), "downloading %s", url)
				}
			}
		case <-s.ctx.Done():
			return "", nil, s.wrap(s.ctx.Err(), "waiting for the download of %s", url)
		}
	}
}
