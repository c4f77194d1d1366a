package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeChromium points the lookup at dir only: candidates inside dir and
// $PATH=dir.
func fakeChromium(t *testing.T, dir string, candidates ...string) {
	t.Helper()
	old := chromiumCandidates
	t.Cleanup(func() { chromiumCandidates = old })
	chromiumCandidates = nil
	for _, c := range candidates {
		chromiumCandidates = append(chromiumCandidates, filepath.Join(dir, c))
	}
	t.Setenv("PATH", dir)
}

func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
}

func TestChromiumPathPrefersFixedLocation(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "usr-bin", "chromium"), 0o755)
	writeFile(t, filepath.Join(dir, "chromium"), 0o755)
	fakeChromium(t, dir, "usr-bin/chromium")
	got, err := ChromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "usr-bin", "chromium"); got != want {
		t.Errorf("ChromiumPath() = %q, want %q", got, want)
	}
}

func TestChromiumPathFallsBackToPATH(t *testing.T) {
	dir := t.TempDir()
	// Not executable, so it must be skipped.
	writeFile(t, filepath.Join(dir, "usr-bin", "chromium"), 0o644)
	writeFile(t, filepath.Join(dir, "chromium-browser"), 0o755)
	fakeChromium(t, dir, "usr-bin/chromium")
	got, err := ChromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "chromium-browser"); got != want {
		t.Errorf("ChromiumPath() = %q, want %q", got, want)
	}
}

func TestMissingChromiumIsAClearError(t *testing.T) {
	dir := t.TempDir()
	fakeChromium(t, dir, "usr-bin/chromium")
	if p, err := ChromiumPath(); err == nil || !strings.Contains(err.Error(), "apt-get install chromium") {
		t.Errorf("ChromiumPath() = %q, %v; want an error that says how to install it", p, err)
	}
	// RunGraphiQL reports the same error before trying to start anything.
	if _, err := RunGraphiQL(context.Background(), "http://127.0.0.1:1/", "{ __typename }"); err == nil ||
		!strings.Contains(err.Error(), "Chromium not found") {
		t.Errorf("RunGraphiQL without Chromium: err = %v", err)
	}
}
