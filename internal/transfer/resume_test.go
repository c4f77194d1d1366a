package transfer

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// resumeFile is 20 rows of new on hands with a bad SKU on line 6 and, on
// its last line, a repeat of line 2's item: a resumed import must still
// know that line 2 named it.
func resumeFile(t *testing.T, f fixture) string {
	t.Helper()
	recs, _ := readAll(t, CSV, f.export(t, CSV))
	for i := range recs {
		recs[i].cells[colOnHand] = strconv.Itoa(100 + i)
	}
	recs[4].cells[colSKU] = "GONE"
	recs = append(recs, recs[0])
	return writeAll(t, CSV, recs)
}

// TestImportResumesAfterLastCheckpoint stops an import in its third
// batch's transaction and resumes it from the last committed checkpoint:
// the store, the ledger and the report are those of one uninterrupted
// import, and every failure is reported once.
func TestImportResumesAfterLastCheckpoint(t *testing.T) {
	whole, stopped := newFixture(t, 5, 2, 2), newFixture(t, 5, 2, 2)
	file := resumeFile(t, whole)
	var wantBad []int
	want, err := Import(context.Background(), whole.db, whole.actor, strings.NewReader(file), ImportOptions{
		Format: CSV, BatchSize: 3, OnError: func(e *LineError) { wantBad = append(wantBad, e.Line) }})
	if err != nil {
		t.Fatal(err)
	}
	crash := errors.New("crash")
	var saved Report
	var gotBad, pending []int
	checkpoint := func(stopAt int) func(*gorm.DB, Report) error {
		batches := 0
		return func(tx *gorm.DB, r Report) error {
			if batches++; batches == stopAt {
				return crash
			}
			saved, gotBad, pending = r, append(gotBad, pending...), nil
			return nil
		}
	}
	onError := func(e *LineError) { pending = append(pending, e.Line) }
	_, err = Import(context.Background(), stopped.db, stopped.actor, strings.NewReader(file), ImportOptions{
		Format: CSV, BatchSize: 3, OnError: onError, Checkpoint: checkpoint(3)})
	if !errors.Is(err, crash) || saved.Read == 0 {
		t.Fatalf("Import(stopped in batch 3) = %v after %d rows, want the crash after some rows", err, saved.Read)
	}
	pending = nil
	got, err := Import(context.Background(), stopped.db, stopped.actor, strings.NewReader(file), ImportOptions{
		Format: CSV, BatchSize: 3, OnError: onError, Checkpoint: checkpoint(-1), Resume: saved})
	got.Duration, want.Duration = 0, 0
	if err != nil || got != want || !slices.Equal(gotBad, wantBad) {
		t.Errorf("resumed Import() = %+v, failed lines %v, %v; want %+v, %v", got, gotBad, err, want, wantBad)
	}
	if g, w := stopped.export(t, CSV), whole.export(t, CSV); g != w {
		t.Errorf("Export() after the resumed import differs: %s", firstDiff(g, w))
	}
	if g, w := stopped.movements(t), whole.movements(t); g != w {
		t.Errorf("movements after the resumed import = %d, want %d", g, w)
	}
	stopped.mustBeConsistent(t)
}

func TestImportDryRunChangesNothing(t *testing.T) {
	f := newFixture(t, 5, 2, 2)
	file := resumeFile(t, f)
	before, movements := f.export(t, CSV), f.movements(t)
	rep, err := Import(context.Background(), f.db, f.actor, strings.NewReader(file), ImportOptions{Format: CSV, BatchSize: 3, DryRun: true})
	if err != nil || rep.Changed != 19 || rep.Failed != 2 {
		t.Fatalf("Import(dry run) = %+v, %v; want 19 rows that would change and 2 failures", rep, err)
	}
	if f.export(t, CSV) != before || f.movements(t) != movements {
		t.Errorf("Import(dry run) changed the store")
	}
}
