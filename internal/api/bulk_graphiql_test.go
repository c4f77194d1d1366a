package api_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/bulk"
	"stockgraph/internal/testsupport/browsertest"
	"stockgraph/internal/transfer"
)

// TestExportDownloadedFromGraphiQL starts an export from GraphiQL in
// headless Chromium, polls it there until it is done, and opens its
// resultUrl in the same browser, as a merchant who copies the link from
// the response pane would: the browser downloads the file, which must be
// the store's export.
func TestExportDownloadedFromGraphiQL(t *testing.T) {
	if _, err := browsertest.ChromiumPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Chromium is needed in CI (make test installs it): %v", err)
		}
		t.Skipf("no Chromium: %v", err)
	}
	e := newEnv(t)
	token := e.seedStore("bulk-graphiql", 5, 2, 2)
	e.serveWith(api.Config{DevToken: token, DevMode: true})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	worked := make(chan struct{})
	go func() {
		defer close(worked)
		bulk.NewWorker(e.db.DB, bulk.Config{Poll: 20 * time.Millisecond}).Run(ctx)
	}()
	defer func() { cancel(); <-worked }()

	p, err := browsertest.OpenGraphiQL(ctx, e.srv.URL+"/")
	if err != nil {
		t.Fatalf("OpenGraphiQL: %v", err)
	}
	defer p.Close()
	run := graphiqlRunner(t, p)
	var started struct {
		Data struct {
			StartInventoryExport struct{ BulkOperation struct{ ID string } }
		}
	}
	run(`mutation { startInventoryExport(input: { format: CSV }) { bulkOperation { id } } }`, &started)
	id := started.Data.StartInventoryExport.BulkOperation.ID
	if id == "" {
		t.Fatalf("startInventoryExport in GraphiQL gave no operation")
	}
	var op struct {
		Data struct {
			BulkOperation struct {
				Status    string
				ResultURL string
			}
		}
	}
	for op.Data.BulkOperation.Status != "COMPLETED" {
		if s := op.Data.BulkOperation.Status; s != "" && s != "CREATED" && s != "RUNNING" {
			t.Fatalf("export ended %s", s)
		}
		// Each run changes the editor, so GraphiQL shows each answer anew.
		run(`query { bulkOperation(id: "`+id+`") { status resultUrl } } # `+time.Now().String(), &op)
	}

	name, file, err := p.Download(op.Data.BulkOperation.ResultURL)
	if err != nil {
		t.Fatalf("Download(resultUrl): %v", err)
	}
	var want bytes.Buffer
	var storeID int64
	e.db.Raw(`SELECT id FROM stores WHERE handle = 'bulk-graphiql'`).Scan(&storeID)
	if _, err := transfer.Export(context.Background(), e.db.DB, storeID, &want, transfer.CSV); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".csv") || string(file) != want.String() {
		t.Errorf("the browser downloaded %q:\n%s\nwant a .csv of the store's export:\n%s", name, file, want.String())
	}
}
