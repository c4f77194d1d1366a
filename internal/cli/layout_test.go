package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// layoutEntry is a path in the first column of the README's Layout table,
// such as "internal/page/" or "server.go".
var layoutEntry = regexp.MustCompile("`([^`]+)`")

// readmeLayout returns the paths the README's Layout table names.
func readmeLayout(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Layout\n")
	if !ok {
		t.Fatal("README has no ## Layout section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var paths []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.Contains(cells[1], "`") {
			continue
		}
		for _, m := range layoutEntry.FindAllStringSubmatch(cells[1], -1) {
			paths = append(paths, strings.TrimSuffix(m[1], "/"))
		}
	}
	return paths
}

// TestREADMELayoutMatchesTree checks that every path in the README's
// Layout table exists, and that every root entry and every package under
// internal/ is in the table (a package is covered by its own row or by
// its parent's).
func TestREADMELayoutMatchesTree(t *testing.T) {
	listed := readmeLayout(t)
	for _, p := range listed {
		if _, err := os.Stat(filepath.Join("../..", p)); err != nil {
			t.Errorf("README's Layout names %s, which does not exist", p)
		}
	}
	under := func(p string) bool { return underAny(p, listed) }
	for _, p := range internalPackages(t) {
		if !under(p) {
			t.Errorf("package %s is not in the README's Layout table", p)
		}
	}
	// A root folder is covered by its own row, or by rows of what it holds.
	for _, p := range rootEntries(t) {
		if !under(p) && !slices.ContainsFunc(listed, func(l string) bool { return strings.HasPrefix(l, p+"/") }) {
			t.Errorf("%s is not in the README's Layout table", p)
		}
	}
}

// rootEntries are the files and folders git tracks at the root, apart from
// the files every Go module has and the README itself.
func rootEntries(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", "../..", "ls-files").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	var entries []string
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		top, _, _ := strings.Cut(f, "/")
		if strings.HasPrefix(top, ".") && top != ".ci" {
			continue
		}
		switch top {
		case "go.mod", "go.sum", "README.md", "Makefile", "tools.go", "gqlgen.yml":
			continue
		}
		if !slices.Contains(entries, top) {
			entries = append(entries, top)
		}
	}
	return entries
}

// internalPackages are the Go packages under internal/, as paths.
func internalPackages(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "stockgraph/internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, filepath.ToSlash(rel))
	}
	return pkgs
}

// TestDomainDoesNotImportTheAPI checks the direction of the layers: no
// domain, storage or support package depends on the API layer (the HTTP
// server, Relay IDs and cursors, the generated GraphQL code, resolvers).
func TestDomainDoesNotImportTheAPI(t *testing.T) {
	api := []string{"stockgraph/internal/api", "stockgraph/graph", "stockgraph/resolvers"}
	// The API layer itself, the commands that start it, and their tests'
	// helpers may import it; nothing else.
	above := []string{"stockgraph/internal/api", "stockgraph/internal/cli", "stockgraph/internal/bench", "stockgraph/internal/testsupport"}
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "stockgraph/internal/...", "stockgraph/models", "stockgraph/dbmigrate").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		if !strings.HasPrefix(pkg, "stockgraph/") || underAny(pkg, above) || underAny(pkg, api) {
			continue
		}
		checked++
		for _, d := range deps {
			if underAny(d, api) {
				t.Errorf("%s imports %s: the domain and storage must not depend on the API layer", pkg, d)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d packages, want the dozen domain and storage packages", checked)
	}
}

func underAny(pkg string, roots []string) bool {
	for _, r := range roots {
		if pkg == r || strings.HasPrefix(pkg, r+"/") {
			return true
		}
	}
	return false
}
