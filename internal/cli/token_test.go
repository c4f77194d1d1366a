package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"stockgraph/internal/catalog"
	"stockgraph/internal/database"
	"stockgraph/internal/testsupport/testdb"
)

// TestTokenListAndRevokeByID: tokens made with and without an expiry are
// listed (never the token itself) and one is revoked by the ID the list
// shows.
func TestTokenListAndRevokeByID(t *testing.T) {
	url := testdb.MustCreate(t)
	t.Setenv("DATABASE_URL", url)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := catalog.EnsureStore(db.DB, "tok"); err != nil {
		t.Fatal(err)
	}
	forever, err := run("token", "create", "--store", "tok", "--name", "forever")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run("token", "create", "--store", "tok", "--name", "month", "--expires", "720h"); err != nil {
		t.Fatal(err)
	}
	out, err := run("token", "list", "--store", "tok")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || strings.Contains(out, strings.TrimSpace(forever)) {
		t.Fatalf("token list =\n%s\nwant a header and two tokens, without the tokens themselves", out)
	}
	date := `\d{4}-\d\d-\d\dT`
	if !regexp.MustCompile(`^\d+ +forever +read_inventory +`+date+`\S+ +- +- +-$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^\d+ +month +read_inventory +`+date+`\S+ +`+date+`\S+ +- +-$`).MatchString(lines[2]) {
		t.Errorf("token list rows =\n%s\n%s\nwant forever without an expiry and month with one, neither used nor revoked", lines[1], lines[2])
	}
	id := strings.Fields(lines[1])[0]
	if _, err := run("token", "revoke", "--store", "tok", "--id", id); err != nil {
		t.Fatal(err)
	}
	out, _ = run("token", "list", "--store", "tok")
	if row := strings.Split(strings.TrimSpace(out), "\n")[1]; strings.HasSuffix(row, " -") {
		t.Errorf("after revoking %s its row = %q, want a revocation time", id, row)
	}
	if _, err := run("token", "revoke", "--store", "tok", "--id", id); err == nil || !strings.Contains(err.Error(), "no such active token") {
		t.Errorf("revoking it again = %v, want no such active token", err)
	}
}
