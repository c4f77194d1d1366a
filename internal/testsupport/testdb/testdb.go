// Package testdb gives each test a fresh, migrated PostgreSQL database on
// the server named by DATABASE_URL (make test starts a private one). Tests
// never mock the database.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver for admin statements

	"stockgraph/dbmigrate"
	"stockgraph/internal/database"
)

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// URL returns DATABASE_URL, skipping the test when it is unset outside CI
// and failing it in CI, where a missing database is a broken set-up.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("DATABASE_URL is not set; run the tests with `make test`")
		}
		t.Skip("DATABASE_URL is not set; `make test` starts PostgreSQL and sets it")
	}
	return u
}

// MustOpenDB creates a new database from the migrated template, opens it
// and drops it when the test ends.
func MustOpenDB(t testing.TB) *database.DB {
	t.Helper()
	dsn := MustCreate(t)
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// MustCreate creates a fresh migrated database and returns its URL; it is
// dropped when the test ends.
func MustCreate(t testing.TB) string {
	t.Helper()
	base := URL(t)
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(base) })
	if templateErr != nil {
		t.Fatalf("prepare template database: %v", templateErr)
	}
	admin := mustAdmin(t, base)
	name := fmt.Sprintf("sgtest_%d_%d", os.Getpid(), time.Now().UnixNano())
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		// Two CREATE DATABASE from one template at once fail with "source
		// database is being accessed by other users": wait and retry.
		_, err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName))
		if err == nil || !strings.Contains(err.Error(), "being accessed") {
			break
		}
		time.Sleep(time.Duration(50+attempt*25) * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	return withDatabase(base, name)
}

// ensureTemplate migrates a template database named after the migrations'
// content, once per server, under an advisory lock so that test packages
// running in parallel do not race.
func ensureTemplate(base string) (string, error) {
	name := "sgtemplate_" + migrationsHash()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7355608)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7355608)`)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	_, _ = conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	tmpl, err := sql.Open("pgx", withDatabase(base, building))
	if err != nil {
		return "", err
	}
	_, err = dbmigrate.Up(ctx, tmpl)
	tmpl.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash() string {
	h := sha256.New()
	_ = fs.WalkDir(dbmigrate.Files(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dbmigrate.Files(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func mustAdmin(t testing.TB, base string) *sql.DB {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect to %s: %v", database.Redact(base), err)
	}
	return admin
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("DATABASE_URL is not a URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}
