package api_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"stockgraph/internal/database"
)

// TestMain runs the API's tests while recording every statement sent for
// an authenticated request, then fails the run when one touches a table
// distributed by store (see SCALING.md) without naming store_id: on Citus
// such a statement would reach every shard, and here it may read across
// stores.
func TestMain(m *testing.M) {
	var mu sync.Mutex
	seen := map[string]bool{}
	database.RecordStatements(func(ctx context.Context, sql string) {
		if database.ActorOf(ctx) == 0 {
			return // the tests' own setup and checks, and authentication itself
		}
		mu.Lock()
		seen[strings.Join(strings.Fields(sql), " ")] = true
		mu.Unlock()
	})
	code := m.Run()
	database.RecordStatements(nil)
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "recorded %d distinct statements sent for API requests\n", len(seen))
	}
	if bad := unscoped(seen); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "%d statements sent for API requests touch a table distributed by store without store_id:\n  %s\n",
			len(bad), strings.Join(bad, "\n  "))
		code = 1
	} else if code == 0 && flag.Lookup("test.run").Value.String() == "" && len(seen) < 50 {
		// The whole suite sends hundreds; a handful means the recorder
		// came loose and the check above proves nothing.
		fmt.Fprintf(os.Stderr, "only %d distinct statements recorded; is the recorder still wired?\n", len(seen))
		code = 1
	}
	os.Exit(code)
}

// distributed are the tables distributed by store_id (SCALING.md); stores
// is the one reference table.
var distributed = regexp.MustCompile(`\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(locations|products|variants|inventory_items|inventory_movements|` +
	`idempotency_keys|api_tokens|api_token_use|stock_events|webhooks|webhook_deliveries|webhook_attempts|inventory_models|stock_levels|orders|` +
	`reservations|order_lines|allocations|audit_log|store_changes)\b`)

// unscoped returns the statements that touch a distributed table and never
// name store_id.
func unscoped(statements map[string]bool) []string {
	var bad []string
	for sql := range statements {
		if distributed.MatchString(sql) && !strings.Contains(sql, "store_id") {
			bad = append(bad, sql)
		}
	}
	slices.Sort(bad)
	return bad
}

func TestUnscopedStatements(t *testing.T) {
	got := unscoped(map[string]bool{
		`SELECT * FROM "products" WHERE id = $1`:                                       true,
		`SELECT * FROM products WHERE store_id = $1 AND id = $2`:                       true,
		`UPDATE inventory_items i SET on_hand = 1 FROM unnest($1) d WHERE i.id = d.id`: true,
		`SELECT s.* FROM stores s WHERE s.id = $1`:                                     true,
		`SELECT 1 FROM orders o JOIN allocations a ON a.line_id = o.id`:                true,
	})
	want := []string{
		`SELECT * FROM "products" WHERE id = $1`,
		`SELECT 1 FROM orders o JOIN allocations a ON a.line_id = o.id`,
		`UPDATE inventory_items i SET on_hand = 1 FROM unnest($1) d WHERE i.id = d.id`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("unscoped = %q, want %q", got, want)
	}
}
