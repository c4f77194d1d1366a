package bulk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"gorm.io/gorm"
)

// fileWriter stores what is written to it as the part's chunks of
// ChunkSize, from seq on: only one chunk is held in memory.
type fileWriter struct {
	ctx  context.Context
	db   *gorm.DB
	op   int64
	part Part
	seq  int
	buf  []byte
}

func newFileWriter(ctx context.Context, db *gorm.DB, op int64, part Part, seq int) *fileWriter {
	return &fileWriter{ctx: ctx, db: db, op: op, part: part, seq: seq, buf: make([]byte, 0, ChunkSize)}
}

func (w *fileWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		take := min(len(p), ChunkSize-len(w.buf))
		w.buf, p = append(w.buf, p[:take]...), p[take:]
		if len(w.buf) == ChunkSize {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// Close stores what is left.
func (w *fileWriter) Close() error {
	if len(w.buf) == 0 {
		return nil
	}
	return w.flush()
}

func (w *fileWriter) flush() error {
	err := w.db.WithContext(w.ctx).Exec(`INSERT INTO bulk_operation_files (operation_id, part, seq, data) VALUES (?, ?, ?, ?)`,
		w.op, w.part, w.seq, w.buf).Error
	if err != nil {
		return fmt.Errorf("store chunk %d of operation %d's %s: %w", w.seq, w.op, w.part, err)
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// ReadError is a failure to read a stored file back: the database's, not
// the file's.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }

func (e *ReadError) Unwrap() error { return e.Err }

// fileReader reads a part back chunk by chunk, one query per chunk.
type fileReader struct {
	ctx  context.Context
	db   *gorm.DB
	op   int64
	part Part
	seq  int
	buf  []byte
	eof  bool
}

func newFileReader(ctx context.Context, db *gorm.DB, op int64, part Part) *fileReader {
	return &fileReader{ctx: ctx, db: db, op: op, part: part}
}

func (r *fileReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, &ReadError{err}
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *fileReader) next() error {
	var chunks [][]byte
	err := r.db.WithContext(r.ctx).Raw(`SELECT data FROM bulk_operation_files WHERE operation_id = ? AND part = ? AND seq = ?`,
		r.op, r.part, r.seq).Scan(&chunks).Error
	if err != nil {
		return fmt.Errorf("read chunk %d of operation %d's %s: %w", r.seq, r.op, r.part, err)
	}
	if len(chunks) == 0 {
		r.eof = true
		return nil
	}
	r.seq++
	r.buf = chunks[0]
	return nil
}

// nextSeq is the seq after the part's last chunk.
func nextSeq(ctx context.Context, tx *gorm.DB, op int64, part Part) (int, error) {
	var seq int
	err := tx.WithContext(ctx).Raw(`SELECT coalesce(max(seq) + 1, 0) FROM bulk_operation_files WHERE operation_id = ? AND part = ?`, op, part).Scan(&seq).Error
	if err != nil {
		return 0, fmt.Errorf("find operation %d's last %s chunk: %w", op, part, err)
	}
	return seq, nil
}

// deletePart drops a part's chunks, such as an export's before it starts again.
func deletePart(ctx context.Context, db *gorm.DB, op int64, part Part) error {
	err := db.WithContext(ctx).Exec(`DELETE FROM bulk_operation_files WHERE operation_id = ? AND part = ?`, op, part).Error
	if err != nil {
		return fmt.Errorf("delete operation %d's %s: %w", op, part, err)
	}
	return nil
}

// CopyFile writes a part to w as stored, chunk by chunk.
func CopyFile(ctx context.Context, db *gorm.DB, op int64, part Part, w io.Writer) (int64, error) {
	n, err := io.Copy(w, newFileReader(ctx, db, op, part))
	var re *ReadError
	if errors.As(err, &re) {
		return n, re.Err
	}
	return n, err
}
