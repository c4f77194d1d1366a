package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/ledger"
	"stockgraph/internal/transfer"
)

// TestKill9ResumesBulkImport uploads an import of 8,000 rows to
// `stockgraph serve`, kills the server with SIGKILL once some batches
// have committed, starts it again, and checks that the import completes
// on its second attempt with every row applied exactly once: one
// movement per row, the file's levels, a consistent ledger.
func TestKill9ResumesBulkImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it")
	}
	url, db, storeID, token := seededDatabase(t, "bulkkill", 2000) // 2,000 × 2 × 2 = 8,000 items
	srv := newKillServer(t, url)
	srv.env = append(srv.env, "STOCKGRAPH_BULK_LEASE=2s")
	srv.start()
	var file bytes.Buffer
	if _, err := transfer.Export(context.Background(), db.DB, storeID, &file, transfer.CSV); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(file.String(), "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		cells := strings.SplitN(lines[i], ",", 4)
		lines[i] = strings.Join([]string{cells[0], cells[1], fmt.Sprint(1000 + i), cells[3]}, ",")
	}
	id := uploadImport(t, srv, token, strings.Join(lines, "\n")+"\n")
	var done, attempts int64
	for deadline := time.Now().Add(time.Minute); done == 0; time.Sleep(5 * time.Millisecond) {
		db.Raw(`SELECT done FROM bulk_operations WHERE id = ?`, id).Scan(&done)
		if time.Now().After(deadline) {
			t.Fatalf("the import committed no batch within a minute; see %s", srv.logs.Name())
		}
	}
	srv.kill9()
	db.Raw(`SELECT done FROM bulk_operations WHERE id = ?`, id).Scan(&done)
	if done >= 8000 {
		t.Skipf("the import finished (%d rows) before the kill: nothing to resume", done)
	}
	srv.start()
	var status string
	for deadline := time.Now().Add(2 * time.Minute); status != "COMPLETED"; time.Sleep(50 * time.Millisecond) {
		_ = db.Raw(`SELECT status, attempts FROM bulk_operations WHERE id = ?`, id).Row().Scan(&status, &attempts)
		if time.Now().After(deadline) || status == "FAILED" {
			t.Fatalf("import after the restart = %s; see %s", status, srv.logs.Name())
		}
	}
	var movements, wrong int64
	db.Raw(`SELECT count(*) FROM inventory_movements WHERE store_id = ? AND reference = ?`, storeID, fmt.Sprintf("bulk operation %d", id)).Scan(&movements)
	db.Raw(`SELECT count(*) FROM inventory_items WHERE store_id = ? AND on_hand < 1000`, storeID).Scan(&wrong)
	if attempts != 2 || movements != 8000 || wrong != 0 {
		t.Errorf("killed after %d rows, the import completed in %d attempts with %d movements and %d items not at the file's level; want 2 attempts, 8000 movements (one a row), 0",
			done, attempts, movements, wrong)
	}
	if bad, err := ledger.Inconsistencies(context.Background(), db.DB, storeID); err != nil || len(bad) > 0 {
		t.Errorf("after the kill the ledger and the levels disagree: %v %v", bad, err)
	}
}

// uploadImport starts an import of a CSV file through a multipart request
// and returns the operation's entity ID.
func uploadImport(t *testing.T, s *server, token, file string) int64 {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("operations", `{"query":"mutation($f: Upload!) { startInventoryImport(input: {file: $f, format: CSV}) { bulkOperation { entityId } } }","variables":{"f":null}}`)
	_ = mw.WriteField("map", `{"0":["variables.f"]}`)
	part, _ := mw.CreateFormFile("0", "stock.csv")
	_, _ = part.Write([]byte(file))
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			StartInventoryImport struct{ BulkOperation struct{ EntityID int64 } }
		}
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("startInventoryImport: %v %v", err, out.Errors)
	}
	return out.Data.StartInventoryImport.BulkOperation.EntityID
}
