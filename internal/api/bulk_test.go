package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"stockgraph/internal/api"
	"stockgraph/internal/auth"
	"stockgraph/internal/bulk"
	"stockgraph/internal/transfer"
)

// bulkEnv is an API over a seeded store (20 items: 5 products × 2
// variants × 2 locations) with, unless idle, a bulk worker of its own.
type bulkEnv struct {
	*env
	token   string
	storeID int64
}

func newBulkEnv(t *testing.T, cfg api.Config, worker bool) *bulkEnv {
	t.Helper()
	e := newEnv(t)
	e.serveWith(cfg)
	be := &bulkEnv{env: e, token: e.seedStore("bulk", 5, 2, 2)}
	e.db.Raw(`SELECT id FROM stores WHERE handle = 'bulk'`).Scan(&be.storeID)
	if worker {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			bulk.NewWorker(e.db.DB, bulk.Config{Poll: 20 * time.Millisecond, BatchSize: 3}).Run(ctx)
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	return be
}

const startImport = `mutation($file: Upload!, $key: String, $dry: Boolean, $policy: BulkErrorPolicy) {
  startInventoryImport(input: {file: $file, format: CSV, dryRun: $dry, idempotencyKey: $key, errorPolicy: $policy}) {
    bulkOperation { id status progress { done total } }
  }
}`

// upload sends startInventoryImport as a multipart request, built by hand
// as curl -F builds it: operations, map, then the file.
func (e *env) upload(token, file string, vars map[string]any) response {
	e.t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["file"] = nil
	ops, _ := json.Marshal(map[string]any{"query": startImport, "variables": vars})
	const boundary = "------------------------d74496d66958873e"
	body := "--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"operations\"\r\n\r\n" + string(ops) + "\r\n" +
		"--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"map\"\r\n\r\n" + `{"0": ["variables.file"]}` + "\r\n" +
		"--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"0\"; filename=\"stock.csv\"\r\n" +
		"Content-Type: text/csv\r\n\r\n" + file + "\r\n" +
		"--" + boundary + "--\r\n"
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST multipart: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("multipart response is not JSON (HTTP %d): %s", resp.StatusCode, raw)
	}
	return out
}

// bulkOp is a BulkOperation as the tests select it.
type bulkOp struct {
	ID                      string
	Status                  string
	Progress                struct{ Done, Total int }
	RowsWritten, ErrorCount int
	ErrorCode               *string
	ResultURL, ErrorsURL    *string
}

const bulkOpFields = `id status progress { done total } rowsWritten errorCount errorCode resultUrl errorsUrl`

func (be *bulkEnv) started(r response, field string) string {
	be.t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		be.t.Fatalf("%s = HTTP %d %+v", field, r.Status, r.Errors)
	}
	var data map[string]struct{ BulkOperation bulkOp }
	if err := json.Unmarshal(r.Data, &data); err != nil {
		be.t.Fatal(err)
	}
	return data[field].BulkOperation.ID
}

// wait polls bulkOperation until it ends, as a client would.
func (be *bulkEnv) wait(id string) bulkOp {
	be.t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var data struct{ BulkOperation bulkOp }
		be.mustData(be.token, `query($id: ID!) { bulkOperation(id: $id) { `+bulkOpFields+` } }`, map[string]any{"id": id}, &data)
		if s := data.BulkOperation.Status; s != "CREATED" && s != "RUNNING" {
			return data.BulkOperation
		}
	}
	be.t.Fatalf("bulk operation %s did not end within 2 minutes", id)
	return bulkOp{}
}

// download GETs a URL without a token.
func download(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// importFile is the store's export with new on hands, a bad SKU on line
// 6 and, last, line 2's item again.
func (be *bulkEnv) importFile() string {
	be.t.Helper()
	var buf bytes.Buffer
	if _, err := transfer.Export(context.Background(), be.db.DB, be.storeID, &buf, transfer.CSV); err != nil {
		be.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for i := 1; i < len(lines); i++ {
		cells := strings.Split(lines[i], ",")
		cells[2] = fmt.Sprint(100 + i)
		if i == 5 {
			cells[1] = "GONE"
		}
		lines[i] = strings.Join(cells, ",")
	}
	return strings.Join(append(lines, lines[1]), "\n") + "\n"
}

func (be *bulkEnv) onHand(sku, location string) int {
	var n int
	be.db.Raw(`SELECT i.on_hand FROM inventory_items i JOIN variants v ON v.id = i.variant_id JOIN locations l ON l.id = i.location_id
		WHERE i.store_id = ? AND v.sku = ? AND l.code = ?`, be.storeID, sku, location).Scan(&n)
	return n
}

// TestBulkImportThroughMultipart uploads a file as a multipart request,
// polls the operation to its end and downloads its error report through
// the signed URL.
func TestBulkImportThroughMultipart(t *testing.T) {
	be := newBulkEnv(t, api.Config{}, true)
	id := be.started(be.upload(be.token, be.importFile(), nil), "startInventoryImport")
	op := be.wait(id)
	if op.Status != "COMPLETED" || op.Progress.Done != 21 || op.Progress.Total != 21 || op.RowsWritten != 19 || op.ErrorCount != 2 ||
		op.ErrorsURL == nil || op.ResultURL != nil {
		t.Fatalf("import = %+v, want COMPLETED: 21 rows, 19 written, 2 errors, an errorsUrl and no resultUrl", op)
	}
	if got := be.onHand("P00001-02", "LOC-1"); got != 102 {
		t.Errorf("on hand of P00001-02 at LOC-1 = %d, want 102", got)
	}
	status, header, body := download(t, *op.ErrorsURL)
	if status != http.StatusOK || header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(header.Get("Content-Disposition"), `attachment; filename="inventory-import-`) ||
		!strings.Contains(body, "6,LOC-1,GONE,NOT_FOUND,") || !strings.Contains(body, "22,LOC-1,P00001-01,CONFLICT,") {
		t.Errorf("GET errorsUrl = %d %q %q\n%s, want the CSV error report naming lines 6 and 22", status,
			header.Get("Content-Type"), header.Get("Content-Disposition"), body)
	}
}

func TestBulkExportDownloadAndSignedURLs(t *testing.T) {
	signer := bulk.NewSigner([]byte("test secret"))
	be := newBulkEnv(t, api.Config{BulkSigner: signer}, true)
	r := be.do(be.token, `mutation { startInventoryExport(input: {format: JSONL, filter: {skus: ["P00001-01", "P00002-02"]}}) { bulkOperation { id } } }`, nil)
	op := be.wait(be.started(r, "startInventoryExport"))
	if op.Status != "COMPLETED" || op.RowsWritten != 4 || op.ResultURL == nil || op.ErrorsURL != nil {
		t.Fatalf("export = %+v, want COMPLETED with 4 rows and a resultUrl", op)
	}
	status, header, body := download(t, *op.ResultURL)
	if status != http.StatusOK || header.Get("Content-Type") != "application/jsonl; charset=utf-8" || strings.Count(body, "\n") != 4 ||
		!strings.Contains(body, `"sku":"P00002-02"`) {
		t.Errorf("GET resultUrl = %d %q\n%s, want the 4 rows as JSON Lines", status, header.Get("Content-Type"), body)
	}
	u, _ := url.Parse(*op.ResultURL)
	exp, _, _ := strings.Cut(u.Query().Get("signature"), ".")
	u.RawQuery = "signature=" + exp + "." + strings.Repeat("0", 64)
	if status, _, body := download(t, u.String()); status != http.StatusForbidden || !strings.Contains(body, "FORBIDDEN: the download link is not valid") {
		t.Errorf("GET tampered resultUrl = %d %q, want 403 saying the link is not valid", status, body)
	}
	u.RawQuery = signer.Sign(be.entityID(op.ID), bulk.Result, time.Now().Add(-time.Hour))
	if status, _, body := download(t, u.String()); status != http.StatusForbidden || !strings.Contains(body, "the download link expired") {
		t.Errorf("GET expired resultUrl = %d %q, want 403 saying the link expired", status, body)
	}
	u.Path = strings.TrimSuffix(u.Path, "result") + "errors"
	u.RawQuery = signer.Sign(be.entityID(op.ID), bulk.Result, time.Now())
	if status, _, _ := download(t, u.String()); status != http.StatusForbidden {
		t.Errorf("GET errors with the result's signature = %d, want 403", status)
	}
}

func TestBulkOperationOptions(t *testing.T) {
	be := newBulkEnv(t, api.Config{MaxUploadBytes: 2048}, true)
	file := be.importFile()
	dry := be.wait(be.started(be.upload(be.token, file, map[string]any{"dry": true, "key": "dry-1"}), "startInventoryImport"))
	if dry.Status != "COMPLETED" || dry.RowsWritten != 19 || be.onHand("P00001-02", "LOC-1") == 102 {
		t.Errorf("dry run = %+v and on hand %d, want COMPLETED, 19 rows that would be written, nothing changed", dry, be.onHand("P00001-02", "LOC-1"))
	}
	again := be.started(be.upload(be.token, file, map[string]any{"dry": true, "key": "dry-1"}), "startInventoryImport")
	if again != dry.ID {
		t.Errorf("startInventoryImport with the same key = %s, want the first operation %s", again, dry.ID)
	}
	if r := be.upload(be.token, file, map[string]any{"key": "dry-1"}); r.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("same key, other options = %+v, want IDEMPOTENCY_KEY_REUSED", r.Errors)
	}
	stop := be.wait(be.started(be.upload(be.token, file, map[string]any{"policy": "STOP"}), "startInventoryImport"))
	if stop.Status != "FAILED" || stop.ErrorCode == nil || *stop.ErrorCode != "ROWS_FAILED" || stop.Progress.Done != 6 || stop.ErrorsURL == nil {
		t.Errorf("STOP import = %+v, want FAILED with ROWS_FAILED after the batch of line 6", stop)
	}
	if r := be.upload(be.token, file+strings.Repeat("#", 2048), nil); r.code() != "FILE_TOO_LARGE" || r.Errors[0].Extensions["field"] != "input.file" {
		t.Errorf("upload over the limit = %+v, want FILE_TOO_LARGE on input.file", r.Errors)
	}
	read := be.env.token(be.storeID, auth.ReadInventory)
	if r := be.upload(read, file, nil); r.code() != "FORBIDDEN" {
		t.Errorf("startInventoryImport with a read token = %+v, want FORBIDDEN", r.Errors)
	}
}

func TestCancelBulkOperation(t *testing.T) {
	be := newBulkEnv(t, api.Config{}, false) // no worker: the operations wait
	read := be.env.token(be.storeID, auth.ReadInventory)
	exp := be.started(be.do(read, `mutation { startInventoryExport(input: {format: CSV}) { bulkOperation { id } } }`, nil), "startInventoryExport")
	imp := be.started(be.upload(be.token, be.importFile(), nil), "startInventoryImport")
	cancel := `mutation($id: ID!) { cancelBulkOperation(input: {id: $id}) { bulkOperation { status finishedAt } } }`
	if r := be.do(read, cancel, map[string]any{"id": imp}); r.code() != "FORBIDDEN" {
		t.Errorf("cancel an import with a read token = %+v, want FORBIDDEN", r.Errors)
	}
	var data struct {
		CancelBulkOperation struct{ BulkOperation bulkOp }
	}
	be.mustData(read, cancel, map[string]any{"id": exp}, &data)
	if data.CancelBulkOperation.BulkOperation.Status != "CANCELED" {
		t.Errorf("cancelBulkOperation = %+v, want CANCELED", data)
	}
	if r := be.do(read, cancel, map[string]any{"id": exp}); r.code() != "CONFLICT" {
		t.Errorf("cancel again = %+v, want CONFLICT", r.Errors)
	}
	var list struct {
		BulkOperations struct{ Nodes []bulkOp }
	}
	be.mustData(read, `{ bulkOperations(status: CREATED) { nodes { id status } } }`, nil, &list)
	if n := list.BulkOperations.Nodes; len(n) != 1 || n[0].ID != imp {
		t.Errorf("bulkOperations(status: CREATED) = %+v, want the import alone", n)
	}
	other := newBulkEnv(t, api.Config{}, false)
	if r := other.do(other.token, `query($id: ID!) { bulkOperation(id: $id) { id } }`, map[string]any{"id": exp}); r.code() != "NOT_FOUND" {
		t.Errorf("another store's bulkOperation = %+v, want NOT_FOUND", r.Errors)
	}
}

func TestBulkOperationChangedSubscription(t *testing.T) {
	be := newBulkEnv(t, api.Config{}, false)
	id := be.started(be.upload(be.token, be.importFile(), nil), "startInventoryImport")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := dialWS(t, ctx, be.srv, "graphql-transport-ws", nil)
	c.init(be.token)
	c.subscribe("1", `subscription($id: ID!) { bulkOperationChanged(id: $id) { status progress { done } } }`, map[string]any{"id": id})
	first := c.read()
	if !strings.Contains(string(first.Payload), `"CREATED"`) {
		t.Fatalf("first message = %s %s, want the operation as CREATED", first.Type, first.Payload)
	}
	go func() { _, _ = bulk.NewWorker(be.db.DB, bulk.Config{BatchSize: 3}).RunOnce(ctx) }()
	var last string
	for {
		m := c.read()
		if m.Type == "complete" {
			break
		}
		last = string(m.Payload)
	}
	if !strings.Contains(last, `"COMPLETED"`) || !strings.Contains(last, `"done":21`) {
		t.Errorf("last message before complete = %s, want COMPLETED with 21 rows done", last)
	}
}
