package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"stockgraph/internal/apperr"
	"stockgraph/internal/webhooks"
)

// TestCreateRefusesPrivateAddresses is the SSRF table: URLs that reach the
// server's own networks are refused with BAD_USER_INPUT on input.url,
// unless the operator allows them.
func TestCreateRefusesPrivateAddresses(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		url  string
		why  string // in the message; "" when allowed
		code apperr.Code
	}{
		{"http://127.0.0.1/hook", "loopback", apperr.BadUserInput},
		{"http://localhost:8080/hook", "loopback", apperr.BadUserInput},
		{"http://[::1]/hook", "loopback", apperr.BadUserInput},
		{"http://[::ffff:127.0.0.1]/hook", "loopback", apperr.BadUserInput},
		{"https://10.0.0.1/hook", "private", apperr.BadUserInput},
		{"https://172.16.5.4/hook", "private", apperr.BadUserInput},
		{"https://192.168.1.1/hook", "private", apperr.BadUserInput},
		{"http://169.254.169.254/latest/meta-data/", "metadata", apperr.BadUserInput},
		{"http://[fd00:ec2::254]/", "private", apperr.BadUserInput},
		{"https://[fd00::1]/hook", "private", apperr.BadUserInput},
		{"https://[fe80::1]/hook", "link-local", apperr.BadUserInput},
		{"https://100.64.0.1/hook", "CGNAT", apperr.BadUserInput},
		{"http://0.0.0.0/hook", "unspecified", apperr.BadUserInput},
		{"http://224.0.0.1/hook", "multicast", apperr.BadUserInput},
		{"ftp://example.com/hook", "http or https", apperr.BadUserInput},
		{"/hook", "http or https", apperr.BadUserInput},
		{"https://93.184.215.14/hook", "", ""},
		{"https://hooks.example.invalid/hook", "", ""}, // does not resolve now: checked again when sending
	} {
		_, err := webhooks.Create(context.Background(), e.db, webhooks.Guard{}, e.store,
			webhooks.Input{URL: tc.url, Topics: []string{"store/inventory/stock_changed"}})
		ae, _ := apperr.As(err)
		switch {
		case tc.why == "" && err != nil:
			t.Errorf("Create(%s) = %v, want it allowed", tc.url, err)
		case tc.why == "":
		case ae == nil || ae.Code != tc.code || ae.Field != "input.url" || !strings.Contains(ae.Message, tc.why):
			t.Errorf("Create(%s) = %v, want %s on input.url saying %q", tc.url, err, tc.code, tc.why)
		}
	}
	if _, err := webhooks.Create(context.Background(), e.db, webhooks.Guard{AllowPrivate: true}, e.store,
		webhooks.Input{URL: "http://127.0.0.1:9/hook", Topics: []string{"store/inventory/low_stock"}}); err != nil {
		t.Errorf("Create(loopback) with AllowPrivate = %v, want it allowed", err)
	}
}

// TestUpdateRefusesPrivateAddresses checks the guard on update too.
func TestUpdateRefusesPrivateAddresses(t *testing.T) {
	e := newEnv(t)
	w, err := webhooks.Create(context.Background(), e.db, webhooks.Guard{}, e.store,
		webhooks.Input{URL: "https://93.184.215.14/hook", Topics: []string{"store/inventory/stock_changed"}})
	if err != nil {
		t.Fatal(err)
	}
	bad := "http://10.1.2.3/hook"
	_, err = webhooks.Update(context.Background(), e.db, webhooks.Guard{}, e.store, w.ID, webhooks.Patch{URL: &bad})
	if ae, ok := apperr.As(err); !ok || ae.Code != apperr.BadUserInput {
		t.Errorf("Update(url: %s) = %v, want BAD_USER_INPUT", bad, err)
	}
	if got := e.get(w.ID).URL; got != w.URL {
		t.Errorf("URL after a refused update = %s, want %s", got, w.URL)
	}
}

// TestDialTimeCheck sends to a loopback receiver with a guard that
// refuses loopback, as if the name had resolved to a public address when
// the webhook was created (DNS rebinding): the connection is refused and
// the receiver never called.
func TestDialTimeCheck(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t, always(http.StatusOK))
	hook := e.hook(r) // created with loopback allowed
	cfg := fast()
	cfg.Guard = webhooks.Guard{}
	e.run(cfg)
	e.write(1)
	eventually(t, "a refused attempt", func() bool {
		ds := e.deliveries(hook.ID, nil)
		return len(ds) == 1 && ds[0].Attempts > 0 && ds[0].LastError != ""
	})
	if d := e.deliveries(hook.ID, nil)[0]; !strings.Contains(d.LastError, "not allowed") || d.LastStatusCode != nil {
		t.Errorf("delivery to loopback = error %q, status %v, want the guard's refusal and no status", d.LastError, d.LastStatusCode)
	}
	if n := len(r.all()); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}
	if err := cfg.Guard.Control("tcp4", "127.0.0.1:80", nil); !errors.Is(err, webhooks.ErrBlocked) {
		t.Errorf("Control(127.0.0.1:80) = %v, want ErrBlocked", err)
	}
	if err := cfg.Guard.Control("tcp4", "93.184.215.14:443", nil); err != nil {
		t.Errorf("Control(93.184.215.14:443) = %v, want nil", err)
	}
}
