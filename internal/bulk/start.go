package bulk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"gorm.io/gorm"

	"stockgraph/internal/apperr"
	"stockgraph/internal/database"
	"stockgraph/internal/idempotency"
	"stockgraph/internal/page"
	"stockgraph/internal/transfer"
)

// ExportRequest is what startInventoryExport asks for.
type ExportRequest struct {
	TokenID int64 // the API token that starts it, 0 for none
	Format  transfer.Format
	Filter  transfer.ExportFilter
}

// StartExport creates an export for a worker to run.
func StartExport(ctx context.Context, db *gorm.DB, storeID int64, req ExportRequest) (Operation, error) {
	filter, err := json.Marshal(req.Filter)
	if err != nil {
		return Operation{}, fmt.Errorf("start export: %w", err)
	}
	var op Operation
	err = db.WithContext(ctx).Raw(`INSERT INTO bulk_operations (store_id, kind, format, filter, token_id) VALUES (?, 'EXPORT', ?, ?::jsonb, ?) RETURNING *`,
		storeID, req.Format, string(filter), tokenOrNull(req.TokenID)).Scan(&op).Error
	if err != nil {
		return op, fmt.Errorf("start export: %w", err)
	}
	Kick()
	return op, nil
}

// ImportRequest is what startInventoryImport asks for.
type ImportRequest struct {
	TokenID        int64 // the API token that starts it: the ledger's actor
	File           io.Reader
	Format         transfer.Format
	ErrorPolicy    ErrorPolicy
	DryRun         bool
	IdempotencyKey string
	// MaxBytes is the largest file accepted (DefaultMaxUploadBytes when 0).
	MaxBytes int64
}

// StartImport stores the file and creates the import for a worker to run,
// in one transaction: a worker never sees an operation whose file is not
// all there. With an idempotency key used before for the same file and
// options, it returns that operation and stores nothing; with the key of
// another request, IDEMPOTENCY_KEY_REUSED.
func StartImport(ctx context.Context, db *gorm.DB, storeID int64, req ImportRequest) (Operation, error) {
	if req.MaxBytes <= 0 {
		req.MaxBytes = DefaultMaxUploadBytes
	}
	if len(req.IdempotencyKey) > idempotency.MaxKeyLength {
		return Operation{}, apperr.New(apperr.BadUserInput, "idempotencyKey has at most %d characters", idempotency.MaxKeyLength).
			WithField("input.idempotencyKey")
	}
	if req.IdempotencyKey != "" {
		if prior, ok, err := byKey(ctx, db, storeID, req.IdempotencyKey); err != nil || ok {
			if err != nil {
				return prior, err
			}
			h, _, err := readAll(req, io.Discard)
			if err != nil {
				return prior, err
			}
			return replay(prior, req.IdempotencyKey, h)
		}
	}
	op, h, err := storeImport(ctx, db, storeID, req)
	if req.IdempotencyKey != "" && database.IsUniqueViolation(err, "bulk_operations_idempotency_key") {
		// A concurrent request with the key committed first.
		prior, _, err := byKey(ctx, db, storeID, req.IdempotencyKey)
		if err != nil {
			return prior, err
		}
		return replay(prior, req.IdempotencyKey, h)
	}
	if err == nil {
		Kick()
	}
	return op, err
}

// storeImport inserts the operation and its file in one transaction and
// returns the request's hash.
func storeImport(ctx context.Context, db *gorm.DB, storeID int64, req ImportRequest) (op Operation, h string, err error) {
	err = database.Tx(ctx, db, func(tx *gorm.DB) error {
		err := tx.Raw(`INSERT INTO bulk_operations (store_id, kind, format, error_policy, dry_run, token_id) VALUES (?, 'IMPORT', ?, ?, ?, ?) RETURNING *`,
			storeID, req.Format, req.ErrorPolicy, req.DryRun, tokenOrNull(req.TokenID)).Scan(&op).Error
		if err != nil {
			return fmt.Errorf("start import: %w", err)
		}
		w := newFileWriter(ctx, tx, op.ID, Input, 0)
		var lines int64
		h, lines, err = readAll(req, w)
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			return err
		}
		var key *string
		if req.IdempotencyKey != "" {
			key = &req.IdempotencyKey
		}
		return tx.Raw(`UPDATE bulk_operations SET total = ?, request_hash = ?, idempotency_key = ? WHERE store_id = ? AND id = ? RETURNING *`,
			rowsIn(req.Format, lines), h, key, storeID, op.ID).Scan(&op).Error
	})
	return op, h, err
}

// readAll copies the file to w, at most MaxBytes of it (FILE_TOO_LARGE
// beyond), and returns the request's hash and the file's lines.
func readAll(req ImportRequest, w io.Writer) (string, int64, error) {
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\x00%s\x00%t\x00", req.Format, req.ErrorPolicy, req.DryRun)
	lc := &lineCounter{}
	n, err := io.Copy(io.MultiWriter(w, hashWriter{sum}, lc), io.LimitReader(req.File, req.MaxBytes+1))
	switch {
	case err != nil:
		return "", 0, fmt.Errorf("store the import's file: %w", err)
	case n > req.MaxBytes:
		return "", 0, apperr.New(apperr.FileTooLarge, "the file is larger than %d bytes; split it into several imports", req.MaxBytes).
			WithField("input.file").With("maxBytes", req.MaxBytes)
	case n == 0:
		return "", 0, apperr.New(apperr.BadUserInput, "the file is empty").WithField("input.file")
	}
	return hex.EncodeToString(sum.Sum(nil)), lc.lines(), nil
}

type hashWriter struct{ hash.Hash }

// lineCounter counts lines, the last one also without a newline.
type lineCounter struct {
	newlines int64
	last     byte
}

func (c *lineCounter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		c.newlines += int64(bytes.Count(p, []byte{'\n'}))
		c.last = p[len(p)-1]
	}
	return len(p), nil
}

func (c *lineCounter) lines() int64 {
	if c.last != 0 && c.last != '\n' {
		return c.newlines + 1
	}
	return c.newlines
}

// rowsIn estimates a file's rows from its lines: a CSV file has a header,
// and a newline at the end starts no row. Quoted newlines make it an
// estimate; the operation's total is exact once it completes.
func rowsIn(f transfer.Format, lines int64) int64 {
	if f == transfer.CSV {
		lines--
	}
	return max(lines, 0)
}

func replay(prior Operation, key, h string) (Operation, error) {
	if prior.RequestHash != h {
		return prior, apperr.New(apperr.IdempotencyKeyReused,
			"idempotency key %q was used for another import (another file or options); use a new key for a new request", key).
			WithField("input.idempotencyKey")
	}
	return prior, nil
}

func byKey(ctx context.Context, db *gorm.DB, storeID int64, key string) (Operation, bool, error) {
	var ops []Operation
	if err := db.WithContext(ctx).Where("store_id = ? AND idempotency_key = ?", storeID, key).Find(&ops).Error; err != nil {
		return Operation{}, false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if len(ops) == 0 {
		return Operation{}, false, nil
	}
	return ops[0], true, nil
}

// Get returns one of the store's operations.
func Get(ctx context.Context, db *gorm.DB, storeID, id int64) (Operation, error) {
	var op Operation
	err := db.WithContext(ctx).Where("store_id = ? AND id = ?", storeID, id).Take(&op).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return op, apperr.New(apperr.NotFound, "no bulk operation with ID %d", id)
	}
	if err != nil {
		return op, fmt.Errorf("get bulk operation %d: %w", id, err)
	}
	return op, nil
}

// ByID returns an operation of any store: for a download URL, whose
// signature names the operation.
func ByID(ctx context.Context, db *gorm.DB, id int64) (Operation, error) {
	var op Operation
	err := db.WithContext(ctx).Where("id = ?", id).Take(&op).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return op, apperr.New(apperr.NotFound, "no bulk operation with ID %d", id)
	}
	if err != nil {
		return op, fmt.Errorf("get bulk operation %d: %w", id, err)
	}
	return op, nil
}

// List pages the store's operations, newest first, of one status when
// status is not nil.
func List(ctx context.Context, db *gorm.DB, storeID int64, status *Status, win page.Window) (page.Page[Operation], error) {
	cmp, dir := win.Order(true)
	q := db.WithContext(ctx).Where("store_id = ?", storeID)
	if status != nil {
		q = q.Where("status = ?", *status)
	}
	if win.From != nil {
		q = q.Where("id "+cmp+" ?", win.From.ID)
	}
	var rows []Operation
	if err := q.Order("id " + dir).Limit(win.Limit + 1).Find(&rows).Error; err != nil {
		return page.Page[Operation]{}, fmt.Errorf("list bulk operations: %w", err)
	}
	return page.FromRows(rows, win, page.ByID(func(o Operation) int64 { return o.ID })), nil
}

// Cancel ends a CREATED or RUNNING operation: no batch of an import
// commits after it (each checks the status in its transaction), and the
// batches committed before stay applied. A finished operation is a
// CONFLICT.
func Cancel(ctx context.Context, db *gorm.DB, storeID, id int64) (Operation, error) {
	var ops []Operation
	err := db.WithContext(ctx).Raw(`UPDATE bulk_operations
		SET status = 'CANCELED', finished_at = now(), expires_at = now() + ? * interval '1 second', lease_owner = '', lease_expires_at = NULL
		WHERE store_id = ? AND id = ? AND status IN ('CREATED', 'RUNNING') RETURNING *`, Retention.Seconds(), storeID, id).Scan(&ops).Error
	if err != nil {
		return Operation{}, fmt.Errorf("cancel bulk operation %d: %w", id, err)
	}
	if len(ops) == 1 {
		return ops[0], nil
	}
	op, err := Get(ctx, db, storeID, id)
	if err != nil {
		return op, err
	}
	return op, apperr.New(apperr.Conflict, "bulk operation %d is %s already; only CREATED and RUNNING operations can be canceled", id, op.Status).
		With("status", string(op.Status))
}

func tokenOrNull(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
