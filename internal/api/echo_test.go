package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestErrorsDoNotEchoMegabytes: whatever a client sends, its errors come
// back small; a message quoting the input is cut.
func TestErrorsDoNotEchoMegabytes(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("echo", 1, 1, 1)
	big := strings.Repeat("x", 1<<20)
	for name, q := range map[string]string{
		"an unknown field named by a megabyte": `{ store { ` + big + ` } }`,
		"a megabyte ID":                        `{ node(id: "` + big + `") { id } }`,
		"a megabyte of bad tokens":             `{ store { ` + strings.Repeat("a!", 1<<19) + ` } }`,
		"a megabyte search":                    `{ store { products(filter: { search: "` + big + `" }) { nodes { id } } } }`,
	} {
		r := e.do(token, q, nil)
		b, _ := json.Marshal(r.Errors)
		if len(r.Errors) == 0 || len(b) > 4096 {
			t.Errorf("%s: %d errors in %d bytes, want an error in at most 4 KiB", name, len(r.Errors), len(b))
		}
	}
}

// TestDatabaseRefusalsInOurWords: input PostgreSQL refuses (a NUL byte in
// a text) is BAD_USER_INPUT in our words; the database's own message stays
// in the log.
func TestDatabaseRefusalsInOurWords(t *testing.T) {
	e := newEnv(t)
	token := e.seedStore("nul", 1, 1, 1)
	r := e.do(token, `mutation($n: String!) { createProduct(input: { name: $n }) { product { id } } }`, map[string]any{"n": "Tee\x00shirt"})
	if r.code() != "BAD_USER_INPUT" || len(r.Errors) != 1 {
		t.Fatalf("NUL byte in a name = %+v, want BAD_USER_INPUT", r.Errors)
	}
	if msg := r.Errors[0].Message; !strings.Contains(msg, "cannot be stored") || strings.Contains(msg, "UTF8") || strings.Contains(msg, "0x00") {
		t.Errorf("message = %q, want ours, without the database's words", msg)
	}
}
