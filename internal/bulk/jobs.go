package bulk

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"stockgraph/internal/database"
	"stockgraph/internal/inventory"
	"stockgraph/internal/transfer"
	"stockgraph/models"
)

// progressEvery is how often an export records its progress.
const progressEvery = time.Second

// export writes the store's export as the result file, from scratch
// every attempt.
func (w *Worker) export(ctx context.Context, op Operation) error {
	var filter transfer.ExportFilter
	if err := json.Unmarshal([]byte(op.Filter), &filter); err != nil {
		return fmt.Errorf("read the export's filter: %w", err)
	}
	if err := deletePart(ctx, w.db, op.ID, Result); err != nil {
		return err
	}
	total, err := transfer.Count(ctx, w.db, op.StoreID, filter)
	if err != nil {
		return err
	}
	if err := w.progress(ctx, op, 0, int64(total)); err != nil {
		return err
	}
	last := time.Now()
	p := transfer.NewProgressFunc(func(rows int, _ int64) {
		if time.Since(last) >= progressEvery {
			last = time.Now()
			_ = w.progress(ctx, op, int64(rows), int64(total)) // the next one or the end records it
		}
	})
	fw := newFileWriter(ctx, w.db, op.ID, Result, 0)
	n, err := transfer.ExportWith(ctx, w.db, op.StoreID, fw, transfer.ExportOptions{Format: op.Format, Filter: filter, Progress: p})
	if err == nil {
		err = fw.Close()
	}
	if err != nil {
		return err
	}
	if err := w.progress(ctx, op, int64(n), int64(n)); err != nil {
		return err
	}
	return w.finish(ctx, op, Completed, "", "")
}

// progress records an export's rows so far; errLost when the operation
// is no longer this attempt's.
func (w *Worker) progress(ctx context.Context, op Operation, done, total int64) error {
	res := w.db.WithContext(ctx).Exec(`UPDATE bulk_operations SET done = ?, rows_written = ?, total = ?
		WHERE store_id = ? AND id = ? AND lease_owner = ? AND status = 'RUNNING'`, done, done, total, op.StoreID, op.ID, op.LeaseOwner)
	if res.Error != nil {
		return fmt.Errorf("record bulk operation %d's progress: %w", op.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return errLost
	}
	changed.Ring()
	return nil
}

const stoppedMessage = "a row failed and the error policy is STOP: see errorsUrl; the batches before it and that batch's other rows were applied"

// errStopped ends an import whose error policy is STOP once a batch with
// a failed row has committed.
var errStopped = errors.New("a row failed and the error policy is STOP")

// importFile applies the uploaded file after the last checkpoint.
func (w *Worker) importFile(ctx context.Context, op Operation) error {
	var resume transfer.Report
	if err := json.Unmarshal([]byte(op.Checkpoint), &resume); err != nil {
		return fmt.Errorf("read the import's checkpoint: %w", err)
	}
	seq, err := nextSeq(ctx, w.db, op.ID, Errors)
	if err != nil {
		return err
	}
	actor := inventory.Actor{Store: models.Store{ID: op.StoreID}}
	if op.TokenID != nil {
		actor.TokenID = *op.TokenID
		ctx = database.WithActor(ctx, *op.TokenID)
	}
	report := &errorReport{format: op.Format, header: seq > 0}
	ck := &checkpointer{w: w, op: op, report: report, seq: seq, stopped: op.ErrorPolicy == Stop && resume.Failed > 0}
	if ck.stopped { // an earlier attempt stopped after the failing batch
		return w.finish(ctx, op, Failed, CodeRowsFailed, stoppedMessage)
	}
	_, err = transfer.Import(ctx, w.db, actor, newFileReader(ctx, w.db, op.ID, Input), transfer.ImportOptions{
		Format: op.Format, Reference: fmt.Sprintf("bulk operation %d", op.ID), BatchSize: w.cfg.BatchSize,
		OnError: report.add, Checkpoint: ck.save, Resume: resume, DryRun: op.DryRun,
	})
	var fe *transfer.FileError
	switch {
	case errors.As(err, &fe):
		return w.finish(ctx, op, Failed, CodeInvalidFile, fe.Error())
	case ck.stopped && (err == nil || errors.Is(err, errStopped)):
		return w.finish(ctx, op, Failed, CodeRowsFailed, stoppedMessage)
	case err != nil:
		return err
	}
	return w.finish(ctx, op, Completed, "", "")
}

// checkpointer records an import's batches: its error lines and counts,
// in the batch's transaction.
type checkpointer struct {
	w       *Worker
	op      Operation
	report  *errorReport
	seq     int
	stopped bool
}

// save is the import's Checkpoint. With the STOP policy, the batch that
// had a failure is the last: the next batch's checkpoint refuses, which
// rolls that batch back and stops the import.
func (c *checkpointer) save(tx *gorm.DB, done transfer.Report) error {
	if c.stopped {
		return errStopped
	}
	if c.report.buf.Len() > 0 || c.report.headerDue() {
		fw := newFileWriter(tx.Statement.Context, tx, c.op.ID, Errors, c.seq)
		if _, err := fw.Write(c.report.bytes()); err != nil {
			return err
		}
		if err := fw.Close(); err != nil {
			return err
		}
		c.seq = fw.seq
	}
	state, _ := json.Marshal(done)
	res := tx.Exec(`UPDATE bulk_operations SET done = ?, rows_written = ?, error_count = ?, checkpoint = ?::jsonb,
		lease_expires_at = now() + ? * interval '1 millisecond'
		WHERE store_id = ? AND id = ? AND lease_owner = ? AND status = 'RUNNING'`,
		done.Read, done.Applied(), done.Failed, string(state), c.w.cfg.Lease.Milliseconds(), c.op.StoreID, c.op.ID, c.op.LeaseOwner)
	if res.Error != nil {
		return fmt.Errorf("record bulk operation %d's checkpoint: %w", c.op.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return errLost
	}
	c.stopped = c.op.ErrorPolicy == Stop && done.Failed > 0
	database.AfterCommit(tx, func(*gorm.DB) {
		changed.Ring()
		if c.w.cfg.AfterBatch != nil {
			c.w.cfg.AfterBatch(c.op, int64(done.Read))
		}
	})
	return nil
}

// errorReport collects a batch's failed rows as lines of the error file:
// CSV (line,location_code,sku,code,message with a header in the first
// chunk) or JSON Lines, as the import's file.
type errorReport struct {
	format transfer.Format
	buf    bytes.Buffer
	header bool
}

func (r *errorReport) add(e *transfer.LineError) {
	msg := e.Err.Error()
	if r.format == transfer.JSONL {
		b, _ := json.Marshal(map[string]any{"line": e.Line, "location_code": e.Location, "sku": e.SKU, "code": e.ReportCode(), "message": msg})
		r.buf.Write(append(b, '\n'))
		return
	}
	cw := csv.NewWriter(&r.buf)
	_ = cw.Write([]string{strconv.Itoa(e.Line), e.Location, e.SKU, e.ReportCode(), msg})
	cw.Flush()
}

// headerDue says the CSV header is still to be written: with the first
// batch, so that a report without failures is a header alone.
func (r *errorReport) headerDue() bool { return r.format == transfer.CSV && !r.header }

// bytes returns the batch's lines and starts the next batch's; the CSV
// header goes before the first line of the file.
func (r *errorReport) bytes() []byte {
	defer r.buf.Reset()
	if r.format == transfer.JSONL || r.header {
		return bytes.Clone(r.buf.Bytes())
	}
	r.header = true
	return append([]byte("line,location_code,sku,code,message\n"), r.buf.Bytes()...)
}
