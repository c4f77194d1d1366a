package cli

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// newTestRoot builds the root as server.go does, writing to out.
func newTestRoot(out *bytes.Buffer) *cobra.Command {
	root := NewRoot(Serve(), Migrate(), Seed(), Token(), Import(), Export(), Bench())
	root.SetOut(out)
	root.SetErr(out)
	return root
}

// commandPaths lists the arguments that name every command, the root's
// being empty.
func commandPaths(cmd *cobra.Command, prefix []string) [][]string {
	paths := [][]string{prefix}
	for _, c := range cmd.Commands() {
		if c.Name() == "help" {
			continue
		}
		paths = append(paths, commandPaths(c, append(append([]string{}, prefix...), c.Name()))...)
	}
	return paths
}

func run(args ...string) (string, error) {
	var out bytes.Buffer
	root := newTestRoot(&out)
	root.SetArgs(args)
	err := Execute(context.Background(), root)
	return out.String(), err
}

func TestHelpExitsZero(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none") // help must not need it
	paths := commandPaths(newTestRoot(&bytes.Buffer{}), nil)
	if len(paths) < 10 {
		t.Fatalf("commandPaths(root) = %d commands, want the root and its 9 commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.Join(append([]string{"stockgraph"}, path...), " ")
		for _, args := range [][]string{
			append(append([]string{}, path...), "--help"),
			append(append([]string{}, path...), "-h"),
			append([]string{"help"}, path...),
		} {
			out, err := run(args...)
			if err != nil {
				t.Errorf("Execute(%q) = %v, want nil (exit 0)", args, err)
			}
			if !strings.Contains(out, "Usage:\n  "+name) || !strings.Contains(out, "DATABASE_URL") {
				t.Errorf("Execute(%q) printed %q, want the usage of %q and the environment", args, out, name)
			}
		}
	}
}

func TestCommandLineMistakes(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none") // none of these may reach it
	tests := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus\nRun 'stockgraph --help' for usage"},
		{[]string{"frob"}, `unknown command "frob" for "stockgraph"`},
		{[]string{"sede"}, "did you mean serve or seed?"},
		{[]string{"export", "--store", "demo", "--bogus"}, "unknown flag: --bogus\nRun 'stockgraph export --help' for usage"},
		{[]string{"export", "--store", "demo", "a.csv", "b.csv"}, "export takes at most one FILE"},
		{[]string{"export", "a.csv"}, `required flag(s) "store" not set` + "\nRun 'stockgraph export --help'"},
		{[]string{"import", "--store", "demo"}, "import needs one FILE"},
		{[]string{"seed", "--products", "x"}, `invalid argument "x" for "--products"`},
		{[]string{"token"}, "name a command, create, list or revoke\nRun 'stockgraph token --help'"},
		{[]string{"token", "crate"}, "did you mean create?"},
		{[]string{"token", "create", "--scope", "read_inventory"}, "unknown flag: --scope"},
		{[]string{"token", "revoke"}, "token revoke needs one TOKEN"},
		{[]string{"token", "revoke", "--store", "demo", "--id", "3", "sgt_x"}, "give either TOKEN or --store and --id, not both"},
		{[]string{"token", "create", "--store", "demo", "--expires", "-1h"}, "--expires -1h0m0s is negative"},
		{[]string{"token", "create", "--store", "demo", "--expires", "soon"}, `invalid argument "soon" for "--expires"`},
		{[]string{"token", "list"}, `required flag(s) "store" not set`},
		{[]string{"bench", "writes", "--clients", "8,x"}, `invalid argument "8,x" for "--clients"`},
		{[]string{"bench", "writes", "--clients", "0"}, "must be positive integers"},
		{[]string{"bench", "orders", "--clients", "32,0"}, "bench orders: --clients [32 0] must be positive integers"},
		{[]string{"bench", "orders", "--pgbench-scale", "0"}, "bench orders: --pgbench-scale must be at least 1"},
		{[]string{"bench", "orders", "--skus", "many"}, `invalid argument "many" for "--skus"`},
		{[]string{"migrate", "now"}, `stockgraph migrate takes no arguments, got "now"`},
		{[]string{"serve", "--port", "1"}, "unknown flag: --port"},
		{[]string{"help", "frob"}, `unknown help topic "frob"`},
		{[]string{"help", "token", "crate"}, `unknown help topic "token crate"`},
	}
	for _, tt := range tests {
		_, err := run(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Execute(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestDatabaseURL(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://someone@db.example:5432/x")
	if got, err := databaseURL(); err != nil || got != "postgres://someone@db.example:5432/x" {
		t.Errorf("databaseURL() with DATABASE_URL set = %q, %v, want it unchanged", got, err)
	}
	t.Setenv("DATABASE_URL", "")
	t.Setenv("STOCKGRAPH_PGPORT", "1") // nothing listens on port 1
	_, err := databaseURL()
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "make db-start") {
		t.Errorf("databaseURL() with no DATABASE_URL and no cluster = %v, want an error naming 127.0.0.1:1 and make db-start", err)
	}
	// A listener stands in for the private cluster.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	t.Setenv("STOCKGRAPH_PGPORT", port)
	want := "postgres://postgres@127.0.0.1:" + port + "/stockgraph?sslmode=disable" // as scripts/pg.sh url prints
	if got, err := databaseURL(); err != nil || got != want {
		t.Errorf("databaseURL() with no DATABASE_URL and a cluster on %s = %q, %v, want %q", port, got, err, want)
	}
}
