// Package bulk owns bulk operations: an inventory export or import that a
// client starts through the API and a worker runs in the background, with
// its files, its progress and its download links.
//
// An operation's row in bulk_operations is its job. Any replica's Worker
// claims a CREATED operation, or a RUNNING one whose lease ran out, with
// FOR UPDATE SKIP LOCKED, as the webhook sender claims deliveries, and
// holds it with a lease it extends as it goes. Files live in
// bulk_operation_files in chunks (files.go): the upload is stored before
// the operation exists for workers, the worker reads it back chunk by
// chunk, and writes the export and the per-line error report the same way,
// so nothing is held whole in memory or only in one replica.
//
// The work itself is internal/transfer's, as for the CLI: an import
// commits each batch together with the operation's checkpoint (rows read,
// applied and failed, and the batch's error lines), so a worker killed
// mid-import leaves the operation at its last batch and the next worker
// resumes after it, never applying a row twice. An export is started
// again from scratch, its result file replaced.
//
// Download URLs are signed (sign.go): an HMAC of the operation, the part
// and an expiry under a server secret.
package bulk

import (
	"time"

	"stockgraph/internal/transfer"
)

// Kind is what an operation does.
type Kind string

// The kinds.
const (
	Export Kind = "EXPORT"
	Import Kind = "IMPORT"
)

// Status is where an operation stands.
type Status string

// The states: CREATED until a worker claims it, RUNNING (also while a
// lost worker's lease runs out), then one of the three final ones.
const (
	Created   Status = "CREATED"
	Running   Status = "RUNNING"
	Completed Status = "COMPLETED"
	Failed    Status = "FAILED"
	Canceled  Status = "CANCELED"
)

// Final reports whether the status is one an operation ends in.
func (s Status) Final() bool { return s == Completed || s == Failed || s == Canceled }

// ErrorPolicy says what an import does with a row that fails.
type ErrorPolicy string

// The policies.
const (
	// Continue reports the row in the error report and goes on.
	Continue ErrorPolicy = "CONTINUE"
	// Stop ends the import FAILED (ROWS_FAILED) after the batch in which
	// a row failed: the batches before it and that batch's good rows stay
	// applied. Run it with dryRun first to apply all or nothing.
	Stop ErrorPolicy = "STOP"
)

// Part is one of an operation's files.
type Part string

// The parts.
const (
	Input  Part = "input"  // the uploaded file of an import
	Result Part = "result" // the exported file
	Errors Part = "errors" // the per-line error report of an import
)

// The codes a FAILED operation's errorCode takes (README: Bulk operations).
const (
	// CodeInvalidFile: the file cannot be read as its format says (no
	// header, an unknown or repeated column, a broken structure).
	CodeInvalidFile = "INVALID_FILE"
	// CodeRowsFailed: a row failed and the error policy was STOP.
	CodeRowsFailed = "ROWS_FAILED"
	// CodeInterrupted: the operation's worker stopped MaxAttempts times
	// without finishing it (crashes, or the database failing meanwhile).
	CodeInterrupted = "INTERRUPTED"
)

// Limits and times.
const (
	// DefaultMaxUploadBytes is the largest import file accepted
	// (STOCKGRAPH_BULK_MAX_UPLOAD_BYTES): FILE_TOO_LARGE above it.
	DefaultMaxUploadBytes = 256 << 20
	// ChunkSize is the size of a stored file's chunks.
	ChunkSize = 1 << 20
	// Retention is how long a finished operation's files and URLs are
	// kept (its expiresAt).
	Retention = 7 * 24 * time.Hour
	// MaxAttempts is how many claims an operation gets before it fails
	// with INTERRUPTED.
	MaxAttempts = 5
)

// Operation is a bulk operation as stored.
type Operation struct {
	StoreID     int64
	ID          int64
	Kind        Kind
	Status      Status
	Format      transfer.Format
	Filter      string // JSON of transfer.ExportFilter
	ErrorPolicy ErrorPolicy
	DryRun      bool
	TokenID     *int64
	// IdempotencyKey and RequestHash make a retried start return the
	// first operation (start.go).
	IdempotencyKey *string
	RequestHash    string
	Done           int64
	Total          int64
	RowsWritten    int64
	ErrorCount     int64
	ErrorCode      string
	ErrorMessage   string
	CreatedAt      time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	ExpiresAt      *time.Time
	LeaseOwner     string
	LeaseExpiresAt *time.Time
	Attempts       int
	Checkpoint     string // JSON of transfer.Report
}

// TableName is GORM's name for the table.
func (Operation) TableName() string { return "bulk_operations" }

// HasFile reports whether the operation has the part to download now:
// an export's result and an import's error report once it completed or
// failed, until they expire.
func (o Operation) HasFile(p Part, now time.Time) bool {
	if o.Status != Completed && o.Status != Failed || o.ExpiresAt == nil || !now.Before(*o.ExpiresAt) {
		return false
	}
	switch p {
	case Result:
		return o.Kind == Export && o.Status == Completed
	case Errors:
		return o.Kind == Import
	}
	return false
}
